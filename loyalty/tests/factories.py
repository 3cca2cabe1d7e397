"""Factories for the loyalty tests. Ledger entries are written through
``loyalty.services.ledger.entries_post`` (``post``), never saved alone, so every test
world keeps balances equal to ledger sums like the application does."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from customers.tests.factories import CustomerFactory, OrderFactory
from loyalty.models import EntryKind, PointsEntry
from loyalty.selectors.points import entries_without_account, ledger_mismatches
from loyalty.services.ledger import entries_post


class VipCustomerFactory(CustomerFactory):
    vip_level = "silver"


class PurchaseFactory(OrderFactory):
    amount = Decimal("100.00")
    ordered_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))


def post(customer, points: int, *, kind=EntryKind.BIRTHDAY, earned_at=None, **fields):
    """One entry through the ledger service (a bonus lot dated ``earned_at`` by default;
    a redemption or expiry consumes)."""
    now = timezone.now()
    if kind in (EntryKind.BIRTHDAY, EntryKind.REFERRAL) and earned_at is None:
        earned_at = now
    if kind == EntryKind.BIRTHDAY:
        fields.setdefault("year", (earned_at or now).year)
    entry = PointsEntry(
        customer=customer, kind=kind, points=points, earned_at=earned_at, created_at=now, **fields
    )
    entries_post([entry])
    return entry


def assert_balanced() -> None:
    """Every account equals the sum of its ledger, and no ledger lacks an account."""
    assert list(ledger_mismatches().values_list("customer_id", "balance", "ledger_total")) == []
    assert not entries_without_account().exists()
