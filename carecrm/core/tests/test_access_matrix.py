"""Every route of the URL conf, walked as an anonymous visitor, GET and POST: nothing but
the login page, the customer pages (their signed token is the credential), the signed
webhooks and the health check answers anyone. The walk is generated from the URL conf,
so an endpoint added tomorrow is covered without being listed here."""

import pytest
from django.test import Client

from carecrm.core.testing import PUBLIC_ROUTES, url_routes

pytestmark = pytest.mark.django_db

# Open by design; each checks its own credential (token, signature) or shows nothing.
PUBLIC = PUBLIC_ROUTES
ROUTES = sorted(
    {
        path
        for path, route in url_routes()
        if not path.startswith("/admin/") and "format" not in route
    }
)
PRIVATE = [path for path in ROUTES if not PUBLIC.match(path)]
OPEN = [path for path in ROUTES if PUBLIC.match(path)]


def test_the_walk_sees_pages_api_and_customer_links():
    for path in ("/customers/1/", "/campaigns/1/review/", "/api/v1/customers/1/", "/m/u/x/"):
        assert path in ROUTES
    assert len(PRIVATE) > 100


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("path", PRIVATE)
def test_an_anonymous_visitor_is_sent_to_the_login_or_refused(method, path):
    response = getattr(Client(), method)(path)
    status = response.status_code
    if path.startswith("/api/"):
        assert status in (401, 403), (method, path, status)
    elif status == 302:
        assert response["Location"].startswith("/accounts/login/"), (path, response["Location"])
    else:
        assert status in (403, 405), (method, path, status)


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("path", OPEN)
def test_open_routes_never_fail_on_a_stranger(settings, method, path):
    settings.DELIVERY_WEBHOOK_SECRET = "a-secret-the-stranger-does-not-have"
    response = getattr(Client(), method)(path)
    assert response.status_code < 500, (method, path, response.status_code)
