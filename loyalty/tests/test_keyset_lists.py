"""Points accounts, a ledger and the referrals a keyset page at a time: every row
exactly once in order, filters kept."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from carecrm.core.testing import walk_keyset_pages
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from loyalty.models import EntryKind, PointsAccount, PointsEntry
from loyalty.tests.factories import post

pytestmark = pytest.mark.django_db


def test_points_accounts_page_by_balance(staff_a_client, department_a, rules):
    for n, customer in enumerate(CustomerFactory.create_batch(110, department=department_a)):
        PointsAccount.objects.create(customer=customer, balance=(n % 30) * 10 + 1)

    pages = walk_keyset_pages(
        staff_a_client, "/loyalty/?balance=positive", "data-account", keep={"balance": "positive"}
    )

    expected = PointsAccount.objects.order_by("-balance", "-id").values_list(
        "customer_id", flat=True
    )
    assert [pk for page in pages for pk in page] == [str(pk) for pk in expected]


def test_a_ledger_pages_newest_first(staff_a_client, silver):
    for year in range(1900, 2010):
        post(silver, 10, kind=EntryKind.BIRTHDAY, year=year)

    pages = walk_keyset_pages(
        staff_a_client,
        reverse("loyalty:ledger", args=[silver.pk]) + "?kind=birthday",
        "data-entry",
        keep={"kind": "birthday"},
    )

    expected = PointsEntry.objects.order_by("-created_at", "-id").values_list("pk", flat=True)
    assert [pk for page in pages for pk in page] == [str(pk) for pk in expected]


def test_referrals_page_the_latest_first(staff_a_client, department_a, rules):
    referrer = CustomerFactory(department=department_a)
    now = timezone.now()
    for n in range(110):
        CustomerFactory(
            department=department_a,
            referred_by=referrer,
            referred_at=now - dt.timedelta(days=n % 20) if n % 11 else None,
        )

    pages = walk_keyset_pages(staff_a_client, "/loyalty/referrals/", "data-referral")

    referred = Customer.objects.filter(referred_by__isnull=False)
    dated = referred.filter(referred_at__isnull=False).order_by("-referred_at", "-id")
    undated = referred.filter(referred_at__isnull=True).order_by("-id")
    expected = [*dated.values_list("pk", flat=True), *undated.values_list("pk", flat=True)]
    assert [pk for page in pages for pk in page] == [str(pk) for pk in expected]
