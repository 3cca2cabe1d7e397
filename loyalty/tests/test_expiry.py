"""Expiry: points not spent within the period expire, oldest first (redemptions consume the
oldest lots), once; the balance stays the ledger's sum and never drops below zero by it."""

import datetime as dt
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from customers.tests.factories import OrderFactory
from loyalty.models import EntryKind, PointsEntry
from loyalty.selectors.points import account_balance, points_summary
from loyalty.services.accrual import orders_accrue
from loyalty.services.expiry import points_expire
from loyalty.services.redemption import points_redeem
from loyalty.tests.factories import PurchaseFactory, assert_balanced, post

pytestmark = pytest.mark.django_db


def months_ago(months: int, days: int = 0) -> dt.datetime:
    return timezone.now() - relativedelta(months=months) - dt.timedelta(days=days)


def expired(customer) -> list[int]:
    return list(
        PointsEntry.objects.filter(customer=customer, kind=EntryKind.EXPIRY)
        .order_by("pk")
        .values_list("points", flat=True)
    )


def test_unspent_points_of_old_lots_expire_first_in_first_out(silver, staff_a):
    post(silver, 100, earned_at=months_ago(23))  # lot A
    post(silver, 100, earned_at=months_ago(1))  # lot B
    points_redeem(customer=silver, points=30, reward="咖啡券", user=staff_a)  # from A
    assert points_expire(now=timezone.now()) == 0  # nothing is 24 months old yet
    assert_balanced()

    two_months_on = timezone.now() + relativedelta(months=2)
    assert points_expire(now=two_months_on) == 1
    assert expired(silver) == [-70]  # what is left of A; B is untouched
    assert account_balance(silver) == 100
    assert_balanced()

    assert points_expire(now=two_months_on) == 0  # the same day again: nothing more
    assert expired(silver) == [-70]


def test_a_redemption_larger_than_the_oldest_lot_eats_into_the_next(silver, staff_a):
    post(silver, 100, earned_at=months_ago(25))
    post(silver, 100, earned_at=months_ago(2))
    points_redeem(customer=silver, points=150, reward="礼盒", user=staff_a)
    assert points_expire() == 0  # the old lot is spent
    later = timezone.now() + relativedelta(months=23)
    assert points_expire(now=later) == 1
    assert expired(silver) == [-50]
    assert account_balance(silver) == 0
    assert_balanced()


def test_a_refund_shrinks_its_purchases_lot_and_an_unknown_refund_consumes(silver):
    PurchaseFactory(
        customer=silver, order_no="SO-9001", amount=Decimal("1000"), ordered_at=months_ago(23)
    )
    PurchaseFactory(
        customer=silver, order_no="SO-9002", amount=Decimal("1000"), ordered_at=months_ago(1)
    )
    OrderFactory(
        customer=silver, order_no="R-SO-9001", amount=Decimal("-500"), ordered_at=months_ago(0, 2)
    )
    OrderFactory(
        customer=silver, order_no="退-1", amount=Decimal("-250"), ordered_at=months_ago(0, 1)
    )
    orders_accrue()  # +120 +120 −60 (lot of SO-9001) −30 (oldest points)
    assert account_balance(silver) == 150
    points_expire(now=timezone.now() + relativedelta(months=2))
    assert expired(silver) == [-30]  # SO-9001's 120 − 60 refunded − 30 consumed
    assert account_balance(silver) == 120
    assert_balanced()


def test_a_negative_balance_has_nothing_to_expire(silver, staff_a):
    PurchaseFactory(customer=silver, amount=Decimal("1000"), ordered_at=months_ago(23))
    orders_accrue()
    points_redeem(customer=silver, points=120, reward="保温杯", user=staff_a)
    OrderFactory(customer=silver, order_no="RX-1", amount=Decimal("-500"))
    orders_accrue()
    assert account_balance(silver) == -60
    assert points_expire(now=timezone.now() + relativedelta(months=6)) == 0
    assert account_balance(silver) == -60
    assert_balanced()


def test_points_never_expire_when_the_period_is_zero(silver, rules):
    rules.expiry_months = 0
    rules.save()
    post(silver, 100, earned_at=months_ago(60))
    assert points_expire() == 0
    assert points_summary(silver).expiring == 0


def test_the_customer_is_warned_of_points_about_to_expire(silver, staff_a):
    post(silver, 100, earned_at=months_ago(24) + dt.timedelta(days=10))
    post(silver, 50, earned_at=months_ago(3))
    points_redeem(customer=silver, points=40, reward="咖啡券", user=staff_a)
    summary = points_summary(silver)
    assert summary.expiring == 60 and summary.balance == 110
    assert summary.expiring_by == timezone.localdate() + dt.timedelta(days=30)
