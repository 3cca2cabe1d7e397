"""Login security: brute-force lockout (OWASP ASVS L2 anti-automation) and CSRF on forms."""

import pytest
from django.test import Client

from carecrm.accounts.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


def login(client, username, password):
    return client.post(
        LOGIN_URL, {"username": username, "password": password}, HTTP_ACCEPT_LANGUAGE="en"
    )


def test_right_password_logs_in(client, staff_a):
    response = login(client, "staff_a", TEST_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_wrong_password_shows_the_form_again_with_an_error(client, staff_a):
    response = login(client, "staff_a", "not-the-password")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_sixth_attempt_after_five_failures_is_locked_even_with_the_right_password(client, staff_a):
    for _ in range(4):
        assert login(client, "staff_a", "guess-1234567").status_code == 200
    fifth = login(client, "staff_a", "guess-1234567")
    assert fifth.status_code == 429

    sixth = login(client, "staff_a", TEST_PASSWORD)
    assert sixth.status_code == 429
    assert "Too many failed login attempts" in sixth.content.decode()
    assert "_auth_user_id" not in client.session


def test_four_failures_then_the_right_password_still_logs_in(client, staff_a):
    for _ in range(4):
        login(client, "staff_a", "guess-1234567")
    assert login(client, "staff_a", TEST_PASSWORD).status_code == 302


def test_lockout_of_one_user_leaves_other_users_alone(client, staff_a, staff_b):
    for _ in range(5):
        login(client, "staff_a", "guess-1234567")
    assert login(client, "staff_b", TEST_PASSWORD).status_code == 302


def test_login_form_rejects_a_post_without_csrf_token(staff_a):
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN_URL, {"username": "staff_a", "password": TEST_PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_login_form_accepts_a_post_with_the_token_from_the_page(staff_a):
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN_URL)
    token = client.cookies["csrftoken"].value
    response = client.post(
        LOGIN_URL,
        {"username": "staff_a", "password": TEST_PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_password_change_form_rejects_a_post_without_csrf_token(staff_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_a)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "a-new-long-passphrase-42",
            "new_password2": "a-new-long-passphrase-42",
        },
    )
    assert response.status_code == 403
    staff_a.refresh_from_db()
    assert staff_a.check_password(TEST_PASSWORD)


def test_logout_needs_a_csrf_token(staff_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_a)
    assert client.post("/accounts/logout/").status_code == 403
    assert "_auth_user_id" in client.session


def test_password_change_requires_twelve_characters(staff_a_client, staff_a):
    response = staff_a_client.post(
        "/accounts/password/",
        {"old_password": TEST_PASSWORD, "new_password1": "Short-pw1", "new_password2": "Short-pw1"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
