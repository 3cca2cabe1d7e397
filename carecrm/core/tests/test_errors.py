"""Error pages staff see: the app's own, in their language, with a way back — not
Django's plain or debug pages."""

import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def _no_debug(settings):
    settings.DEBUG = False


def test_an_unknown_page_is_the_apps_404_with_a_way_home(staff_a_client):
    response = staff_a_client.get("/customers/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'id="staff-error"' in body and "Page not found" in body
    assert 'id="main-nav"' in body


def test_an_expired_form_says_nothing_was_saved_and_offers_a_reload(staff_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_a)
    response = client.post("/accounts/logout/", HTTP_REFERER="http://testserver/customers/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "The form had expired" in body and "Nothing was saved" in body
    assert 'href="http://testserver/customers/"' in body
    assert "CSRF verification failed" not in body


def test_a_server_error_is_a_plain_page_that_needs_no_database(rf):
    from carecrm.core.errors import server_error

    response = server_error(rf.get("/customers/"))
    assert response.status_code == 500
    assert 'id="staff-error"' in response.content.decode()
