"""Search cannot uncover masked contact data (issue 13, finding 4).

A staff user without ``view_customer_pii`` sees ``138****5678`` and ``w***@example.cn``;
search must not let them recover the hidden part by trying growing fragments. The limit
on searches is in ``test_search_throttle.py``.
"""

import pytest

from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/customers/"
API_URL = "/api/v1/customers/"
MOBILE = "+8613812345678"
EMAIL = "wang.fang@example.cn"


@pytest.fixture
def wang_fang(department_a):
    return CustomerFactory(name="王芳", mobile=MOBILE, email=EMAIL, department=department_a)


def page_finds(client, query: str) -> list[int]:
    response = client.get(LIST_URL, {"q": query})
    assert response.status_code == 200
    return [row["customer"].pk for row in response.context["rows"]]


def api_finds(client, query: str, parameter: str = "q") -> list[int]:
    response = client.get(API_URL, {parameter: query})
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


# Growing suffixes from the visible last four up to the hidden middle, and digit runs.
FRAGMENTS = ["45678", "345678", "2345678", "12345678", "812345678", "38123", "1381234", "23", "34"]
EMAIL_FRAGMENTS = ["wang", "wang.fang", "ang.f", "fang@", "@example.cn", "example.cn", "w"]


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_staff_without_pii_permission_cannot_find_by_a_digit_fragment(
    staff_a_client, wang_fang, fragment
):
    assert page_finds(staff_a_client, fragment) == []


@pytest.mark.parametrize("fragment", EMAIL_FRAGMENTS)
def test_staff_without_pii_permission_cannot_find_by_part_of_an_email(
    staff_a_client, wang_fang, fragment
):
    assert page_finds(staff_a_client, fragment) == []


@pytest.mark.parametrize("query", ["5678", "13812345678", "138 1234 5678", "+8613812345678"])
def test_staff_without_pii_permission_finds_by_last_four_or_the_whole_number(
    staff_a_client, wang_fang, query
):
    assert page_finds(staff_a_client, query) == [wang_fang.pk]


def test_staff_without_pii_permission_finds_by_the_whole_email_in_any_case(
    staff_a_client, wang_fang
):
    assert page_finds(staff_a_client, "Wang.Fang@Example.CN") == [wang_fang.pk]


def test_staff_without_pii_permission_still_finds_by_part_of_a_name(staff_a_client, wang_fang):
    assert page_finds(staff_a_client, "芳") == [wang_fang.pk]


def test_htmx_results_follow_the_same_rule(staff_a_client, wang_fang):
    response = staff_a_client.get(LIST_URL, {"q": "345678"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.context["rows"] == []


@pytest.mark.parametrize("fragment", [*FRAGMENTS, *EMAIL_FRAGMENTS])
def test_api_without_pii_permission_cannot_find_by_a_fragment(
    api_client_for, staff_a, wang_fang, fragment
):
    assert api_finds(api_client_for(staff_a), fragment) == []


def test_api_without_pii_permission_finds_by_last_four_whole_number_or_whole_email(
    api_client_for, staff_a, wang_fang
):
    client = api_client_for(staff_a)
    assert api_finds(client, "5678") == [wang_fang.pk]
    assert api_finds(client, "13812345678") == [wang_fang.pk]
    assert api_finds(client, EMAIL.upper()) == [wang_fang.pk]


def test_api_search_parameter_is_not_a_way_around_the_masking(
    api_client_for, staff_a, wang_fang, department_a
):
    CustomerFactory(name="李娜", department=department_a)
    client = api_client_for(staff_a)
    # ``search`` is not a filter of this API: it neither narrows nor matches hidden digits.
    assert len(api_finds(client, "345678", "search")) == 2


def test_users_with_pii_permission_keep_partial_search(
    manager_a_client, api_client_for, manager_a, wang_fang
):
    assert page_finds(manager_a_client, "345678") == [wang_fang.pk]
    assert page_finds(manager_a_client, "wang") == [wang_fang.pk]
    assert api_finds(api_client_for(manager_a), "2345678") == [wang_fang.pk]
