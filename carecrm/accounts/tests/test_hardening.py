"""What an attacker tried against accounts and the API, each now refused: a token that
outlives a password change or lives for ever, a keyboard-walk password, a lockout that
takes everybody behind the reverse proxy with it, and an API map open to anyone."""

import datetime as dt

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from carecrm.accounts.tests.factories import TEST_PASSWORD
from carecrm.core.tests.test_settings import run_django

pytestmark = pytest.mark.django_db
ME = "/api/v1/customers/"


def _token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _obtain(user) -> str:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    return response.json()["token"]


def test_a_token_stops_working_when_the_password_changes(staff_a):
    key = _obtain(staff_a)
    assert _token_client(key).get(ME).status_code == 200

    staff_a.set_password(TEST_PASSWORD)  # e.g. after a leak: the same or a new password
    staff_a.save()

    refused = _token_client(key).get(ME)
    assert refused.status_code in (401, 403)
    assert "before the password was changed" in refused.json()["detail"]
    fresh = _obtain(staff_a)
    assert fresh != key and _token_client(fresh).get(ME).status_code == 200


def test_a_token_expires_and_a_new_one_is_handed_out(settings, staff_a):
    settings.API_TOKEN_DAYS = 30
    key = _obtain(staff_a)
    Token.objects.filter(key=key).update(created=timezone.now() - dt.timedelta(days=31))

    refused = _token_client(key).get(ME)

    assert refused.status_code in (401, 403) and "expired" in refused.json()["detail"]
    fresh = _obtain(staff_a)
    assert fresh != key and _token_client(fresh).get(ME).status_code == 200
    assert _obtain(staff_a) == fresh  # a usable token is handed out again, not replaced


@pytest.mark.parametrize(
    "password", ["qwertyuiopas", "ytrewqasdfgh", "1234567890ab", "aaaabbbbcccc"]
)
def test_a_keyboard_walk_or_repetitive_password_is_refused(password, staff_a):
    with pytest.raises(ValidationError):
        validate_password(password, staff_a)


def test_a_passphrase_is_still_accepted(staff_a):
    validate_password("correct-horse-battery-staple", staff_a)


def _login_through_proxy(forwarded_for: str, password: str):
    return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for).post(
        "/accounts/login/", {"username": "staff_a", "password": password}
    )


def test_behind_a_trusted_proxy_the_lockout_is_per_client_not_per_proxy(settings, staff_a):
    """Five failures from one client behind the proxy lock that client, not the next one
    who comes through the same proxy."""
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        _login_through_proxy("203.0.113.7", "guess-1234567")
    assert _login_through_proxy("203.0.113.7", TEST_PASSWORD).status_code == 429
    assert _login_through_proxy("198.51.100.9", TEST_PASSWORD).status_code == 302


def test_without_a_declared_proxy_a_forged_forwarded_header_changes_nothing(settings, staff_a):
    settings.TRUSTED_PROXY_COUNT = 0
    for attempt in range(5):
        _login_through_proxy(f"203.0.113.{attempt}", "guess-1234567")
    assert _login_through_proxy("198.51.100.9", TEST_PASSWORD).status_code == 429


def test_only_the_address_the_trusted_proxy_saw_counts(rf, settings):
    from carecrm.accounts.client_ip import client_ip

    settings.TRUSTED_PROXY_COUNT = 1
    forged = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert client_ip(forged) == "203.0.113.7"
    garbage = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert client_ip(garbage) == "10.0.0.2"


def test_the_settings_read_the_proxy_count_from_the_environment(tmp_path):
    code = "from django.conf import settings; print(settings.TRUSTED_PROXY_COUNT)"
    assert run_django(tmp_path, code).stdout.strip() == "0"
    assert run_django(tmp_path, code, TRUSTED_PROXY_COUNT="2").stdout.strip() == "2"


def test_the_api_schema_and_docs_need_a_login(staff_a_client):
    for url in ("/api/schema/", "/api/docs/"):
        assert Client().get(url).status_code in (401, 403)
    assert staff_a_client.get("/api/schema/").status_code == 200


def test_a_locked_out_api_login_is_told_to_wait_not_that_the_password_is_wrong(staff_a):
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    answers = [
        client.post(
            "/api/v1/auth/token/", {"username": "staff_a", "password": "guess-1234567"}
        ).status_code
        for _ in range(5)
    ]
    assert answers == [400, 400, 400, 400, 429]  # the fifth failure locks
    locked = client.post("/api/v1/auth/token/", {"username": "staff_a", "password": TEST_PASSWORD})
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == 3600
    assert "locked" in locked.json()["detail"]
    assert not Token.objects.filter(user=staff_a).exists()
