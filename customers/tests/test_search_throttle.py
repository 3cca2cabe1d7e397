"""Searches per user are limited (``SEARCH_RATE_LIMIT``), pages and API counted together:
with masked search a script could still try every middle four of a known number."""

import pytest
from django.core.cache import cache

from carecrm.core.search_throttle import SearchRateThrottle
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/customers/"
API_URL = "/api/v1/customers/"


@pytest.fixture
def wang_fang(department_a):
    return CustomerFactory(name="王芳", mobile="+8613812345678", department=department_a)


@pytest.fixture
def three_searches_a_minute(settings, staff_a):
    settings.SEARCH_RATE_LIMIT = "3/minute"
    key = SearchRateThrottle.cache_format % {"scope": "search", "ident": staff_a.pk}
    cache.delete(key)
    yield
    cache.delete(key)


def test_the_fourth_search_in_a_minute_gets_429_with_a_message(
    staff_a_client, wang_fang, three_searches_a_minute
):
    for _ in range(3):
        assert staff_a_client.get(LIST_URL, {"q": "5678"}).status_code == 200
    response = staff_a_client.get(LIST_URL, {"q": "5679"})
    assert response.status_code == 429
    assert "Too many searches" in response.content.decode()
    htmx = staff_a_client.get(LIST_URL, {"q": "5670"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 429
    assert 'id="search-throttled"' in htmx.content.decode()


def test_browsing_without_a_search_is_not_counted(
    staff_a_client, wang_fang, three_searches_a_minute
):
    for _ in range(5):
        assert staff_a_client.get(LIST_URL, {"vip_level": "gold"}).status_code == 200
    assert staff_a_client.get(LIST_URL, {"q": "5678"}).status_code == 200


def test_pages_and_api_share_one_search_limit(
    staff_a_client, api_client_for, staff_a, wang_fang, three_searches_a_minute
):
    client = api_client_for(staff_a)
    for _ in range(2):
        assert staff_a_client.get(LIST_URL, {"q": "5678"}).status_code == 200
    assert client.get(API_URL, {"q": "5678"}).status_code == 200
    response = client.get(API_URL, {"q": "5678"})
    assert response.status_code == 429
    assert "Too many searches" in response.json()["detail"]
