"""Points for orders: earned at the level's rate, rounded down, once per order; refunds
take back from their purchase (or at the current rate); corrections follow a changed
amount; the balance is the ledger's sum after every step."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.services.orders import order_record, order_update
from customers.tests.factories import CustomerFactory, OrderFactory
from loyalty.models import EntryKind, PointsAccount, PointsEntry
from loyalty.selectors.points import account_balance
from loyalty.services import accrual
from loyalty.services.accrual import orders_accrue
from loyalty.services.redemption import points_redeem
from loyalty.tests.factories import PurchaseFactory, assert_balanced

pytestmark = pytest.mark.django_db


def entries(customer, kind=None):
    rows = PointsEntry.objects.filter(customer=customer)
    return rows.filter(kind=kind) if kind else rows


def test_a_purchase_earns_at_its_levels_rate_rounded_down_once(silver, normal):
    PurchaseFactory(customer=normal, amount=Decimal("199.99"))  # 0.1 → 19.999 → 19
    PurchaseFactory(customer=silver, amount=Decimal("199.99"))  # 0.12 → 23.99 → 23
    result = orders_accrue()
    assert result.earned == 2 and result.points == 42
    assert account_balance(normal) == 19 and account_balance(silver) == 23
    earn = entries(silver, EntryKind.EARN).get()
    assert earn.rate == Decimal("0.12") and earn.basis == Decimal("199.99")
    assert_balanced()

    again = orders_accrue()
    assert again.earned == again.reversed == again.corrected == 0
    assert entries(silver).count() == 1 and account_balance(silver) == 23
    assert_balanced()


def test_the_database_refuses_a_second_earn_entry_for_an_order(silver):
    order = PurchaseFactory(customer=silver)
    orders_accrue()
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(
            customer=silver, kind=EntryKind.EARN, order=order, points=12, created_at=timezone.now()
        )


def test_an_order_too_small_for_a_point_gets_its_entry_and_is_not_read_again(normal):
    PurchaseFactory(customer=normal, amount=Decimal("5.00"))
    assert orders_accrue().earned == 1
    assert entries(normal).get().points == 0
    assert orders_accrue().earned == 0


def test_orders_before_the_start_or_older_than_the_expiry_period_earn_nothing(normal, rules):
    rules.earn_since = timezone.localdate() - dt.timedelta(days=30)
    rules.save()
    PurchaseFactory(customer=normal, ordered_at=timezone.now() - dt.timedelta(days=40))
    PurchaseFactory(customer=normal, ordered_at=timezone.now() - dt.timedelta(days=20))
    rules.earn_since = None
    rules.save()
    PurchaseFactory(customer=normal, ordered_at=timezone.now() - dt.timedelta(days=800))
    assert orders_accrue().earned == 2  # without a start, only the 800-day-old one is out
    rules.earn_since = timezone.localdate()
    rules.save()
    PurchaseFactory(customer=normal, ordered_at=timezone.now() - dt.timedelta(days=2))
    assert orders_accrue().earned == 0


def test_orders_of_merged_customers_earn_nothing(department_a, rules):
    merged = CustomerFactory(department=department_a, status="merged")
    PurchaseFactory(customer=merged)
    assert orders_accrue().earned == 0


def test_a_refund_takes_back_from_its_purchase_at_the_purchases_rate(silver):
    purchase = PurchaseFactory(customer=silver, order_no="SO-20250101-7", amount=Decimal("500"))
    orders_accrue()  # 60 points at silver's 0.12
    silver.vip_level = "diamond"  # a later rate (0.2) does not change what is taken back
    silver.save()
    OrderFactory(
        customer=silver,
        order_no="RF-SO-20250101-7",
        amount=Decimal("-250.00"),
        ordered_at=timezone.now() - dt.timedelta(days=1),
    )
    result = orders_accrue()
    assert result.reversed == 1
    reversal = entries(silver, EntryKind.REVERSAL).get()
    assert reversal.original_order == purchase
    assert reversal.points == -30 and reversal.rate == Decimal("0.12")
    assert reversal.earned_at == purchase.ordered_at  # it shrinks the purchase's own lot
    assert account_balance(silver) == 30
    assert_balanced()


def test_refunds_never_take_back_more_than_their_purchase_earned(silver):
    PurchaseFactory(customer=silver, order_no="SO-8800", amount=Decimal("100"))  # 12
    for number, amount in (("1", "-80"), ("2", "-80")):
        OrderFactory(
            customer=silver,
            order_no=f"R{number}-SO-8800",
            amount=Decimal(amount),
            ordered_at=timezone.now() - dt.timedelta(hours=1),
        )
    orders_accrue()  # purchase and both refunds in one batch
    taken = list(
        entries(silver, EntryKind.REVERSAL).order_by("pk").values_list("points", flat=True)
    )
    assert taken == [-9, -3]
    assert account_balance(silver) == 0
    assert_balanced()


def test_a_refund_of_an_unknown_purchase_uses_the_current_rate_and_may_go_below_zero(
    silver, staff_a
):
    PurchaseFactory(customer=silver, amount=Decimal("1000"))  # 120 points
    orders_accrue()
    points_redeem(customer=silver, points=120, reward="保温杯", user=staff_a)
    OrderFactory(customer=silver, order_no="退款-77", amount=Decimal("-1000"))
    orders_accrue()
    reversal = entries(silver, EntryKind.REVERSAL).get()
    assert reversal.original_order is None and reversal.earned_at is None
    assert reversal.points == -120
    assert account_balance(silver) == -120  # shown on the pages as below zero
    assert_balanced()


def test_a_refund_of_a_purchase_that_earned_nothing_takes_nothing(silver, rules):
    PurchaseFactory(
        customer=silver, order_no="SO-OLD-1", ordered_at=timezone.now() - dt.timedelta(days=40)
    )
    rules.earn_since = timezone.localdate() - dt.timedelta(days=10)
    rules.save()
    OrderFactory(customer=silver, order_no="R-SO-OLD-1", amount=Decimal("-100"))
    orders_accrue()
    reversal = entries(silver, EntryKind.REVERSAL).get()
    assert reversal.points == 0 and reversal.original_order.order_no == "SO-OLD-1"
    assert orders_accrue().reversed == 0


def test_a_corrected_order_is_brought_in_line_once(silver, staff_a):
    order = order_record(
        customer=silver,
        order_no="SO-C-1",
        ordered_at=timezone.now() - dt.timedelta(days=1),
        lines=[{"product": "茶叶", "unit_price": "300", "quantity": "1"}],
        user=staff_a,
    )
    orders_accrue()
    assert account_balance(silver) == 36
    order_update(order=order, user=staff_a, lines=[{"product": "茶叶", "unit_price": "200"}])
    result = orders_accrue()
    assert result.corrected == 1
    correction = entries(silver, EntryKind.CORRECTION).get()
    assert correction.points == -12 and correction.basis == Decimal("200.00")
    assert account_balance(silver) == 24
    assert orders_accrue().corrected == 0
    assert_balanced()


def test_recording_an_order_queues_the_accrual(
    silver, staff_a, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order_record(
            customer=silver,
            order_no="SO-LIVE-1",
            ordered_at=timezone.now(),
            lines=[{"product": "咖啡", "unit_price": "250"}],
            user=staff_a,
        )
    assert account_balance(silver) == 30
    assert_balanced()


def test_accrual_is_set_based_in_batches(
    department_a, rules, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(accrual, "BATCH_ORDERS", 5)
    customers = [CustomerFactory(department=department_a) for _ in range(3)]
    for number in range(12):
        PurchaseFactory(customer=customers[number % 3], order_no=f"B-{number:04d}")
    with django_assert_max_num_queries(40):  # 3 batches, each a constant few statements
        result = orders_accrue()
    assert result.earned == 12
    assert PointsAccount.objects.filter(balance=40).count() == 3
    assert_balanced()
