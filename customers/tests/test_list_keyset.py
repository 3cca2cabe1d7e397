"""Keyset pagination of the customer list: every row exactly once, in order, both ways."""

import datetime as dt
from decimal import Decimal

import pytest

from carecrm.core.counts import CountEstimate
from carecrm.core.keyset import encode_cursor
from customers.models import Customer
from customers.selectors import (
    CUSTOMER_SORTS,
    CustomerSort,
    customer_first_page,
    customer_list_page,
)
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

PAGE_SIZE = 4


@pytest.fixture
def customers_with_ties(department_a):
    """17 customers: names, spends and dates repeat; some dates are missing."""
    names = ["王芳", "李娜", "张伟", "王芳", "陈静"]
    spends = [Decimal("0"), Decimal("199.00"), Decimal("199.00"), Decimal("5000.50")]
    dates = [dt.date(2024, 5, 1), None, dt.date(2024, 5, 1), dt.date(2023, 1, 9), None]
    for index in range(17):
        CustomerFactory(
            name=names[index % len(names)],
            total_spend=spends[index % len(spends)],
            last_purchase_on=dates[index % len(dates)],
            registered_on=dates[(index + 2) % len(dates)],
            department=department_a,
        )
    return list(Customer.objects.all())


def expected_order(customers, sort: CustomerSort) -> list[int]:
    """Hand-written rule: by the sort key (missing values always last), then by id in the
    same direction."""
    field = sort.key.field

    def value(customer):
        return customer.pk if field == "id" else getattr(customer, field)

    present = [c for c in customers if value(c) is not None]
    missing = [c for c in customers if value(c) is None]
    present.sort(key=lambda c: (value(c), c.pk), reverse=sort.descending)
    missing.sort(key=lambda c: c.pk, reverse=sort.descending)
    return [c.pk for c in present + missing]


def walk_forward(sort: CustomerSort) -> list[list[int]]:
    pages, after = [], None
    while True:
        page = customer_list_page(Customer.objects.all(), sort=sort, size=PAGE_SIZE, after=after)
        pages.append([c.pk for c in page.rows])
        if not page.has_next:
            return pages
        after = page.next_cursor


ALL_SORTS = [f"{sign}{name}" for name in CUSTOMER_SORTS for sign in ("", "-")]


@pytest.mark.parametrize("sort_param", ALL_SORTS)
def test_the_first_page_read_with_its_count_is_the_keyset_first_page(
    customers_with_ties, sort_param
):
    """The first page comes from the ids that also count the list (one read of the
    matches on PostgreSQL): the same rows in the same order, and a next link that goes on
    where the first page stops, for every sort including those with missing values."""
    sort = CustomerSort.parse(sort_param)
    order = expected_order(customers_with_ties, sort)

    page, count = customer_first_page(Customer.objects.all(), sort=sort, size=PAGE_SIZE)
    second = customer_list_page(
        Customer.objects.all(), sort=sort, size=PAGE_SIZE, after=page.next_cursor
    )

    assert [c.pk for c in page.rows] == order[:PAGE_SIZE]
    assert [c.pk for c in second.rows] == order[PAGE_SIZE : 2 * PAGE_SIZE]
    assert not page.has_previous
    assert count == CountEstimate(17, exact=True)


@pytest.mark.parametrize("sort_param", ALL_SORTS)
def test_next_links_walk_every_customer_exactly_once_in_order(customers_with_ties, sort_param):
    sort = CustomerSort.parse(sort_param)
    pages = walk_forward(sort)
    walked = [pk for page in pages for pk in page]
    assert walked == expected_order(customers_with_ties, sort)
    assert [len(page) for page in pages] == [4, 4, 4, 4, 1]


@pytest.mark.parametrize("sort_param", ALL_SORTS)
def test_previous_links_walk_back_through_the_same_pages(customers_with_ties, sort_param):
    sort = CustomerSort.parse(sort_param)
    forward = walk_forward(sort)
    page = customer_list_page(Customer.objects.all(), sort=sort, size=PAGE_SIZE)
    while page.has_next:
        page = customer_list_page(
            Customer.objects.all(), sort=sort, size=PAGE_SIZE, after=page.next_cursor
        )
    backward = [[c.pk for c in page.rows]]
    while page.has_previous:
        page = customer_list_page(
            Customer.objects.all(), sort=sort, size=PAGE_SIZE, before=page.previous_cursor
        )
        backward.append([c.pk for c in page.rows])
    backward.reverse()
    # The last page is the short one; walking back, every full page comes back unchanged.
    assert backward == forward


def test_walking_back_past_the_start_shows_a_full_first_page(customers_with_ties):
    sort = CustomerSort.parse("-total_spend")
    first = customer_list_page(Customer.objects.all(), sort=sort, size=PAGE_SIZE)
    # "Previous" from a page that starts at the 3rd row (rows were added meanwhile): only
    # two rows lie before it, so the first page is shown in full instead of a stub.
    before_third = encode_cursor(first.rows[2], sort.key)
    back = customer_list_page(
        Customer.objects.all(), sort=sort, size=PAGE_SIZE, before=before_third
    )
    assert [c.pk for c in back.rows] == [c.pk for c in first.rows]
    assert not back.has_previous


def test_an_edited_cursor_shows_the_first_page(customers_with_ties):
    sort = CustomerSort.parse("-last_purchase")
    first = customer_list_page(Customer.objects.all(), sort=sort, size=PAGE_SIZE)
    for bad in ("not-a-cursor", "WyJ4IiwxXQ", "W251bGwsIngiXQ"):
        page = customer_list_page(Customer.objects.all(), sort=sort, size=PAGE_SIZE, after=bad)
        assert [c.pk for c in page.rows] == [c.pk for c in first.rows]


def test_an_unknown_sort_falls_back_to_newest_first():
    assert CustomerSort.parse("password").param == "-id"
    assert CustomerSort.parse("").param == "-id"
    assert CustomerSort.parse("-total_spend").param == "-total_spend"
