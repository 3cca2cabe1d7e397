"""Order summaries match a from-scratch aggregation of the orders after every kind of
order write, and the unranked figures on the customer follow in the same transaction."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import Customer, CustomerOrderSummary, Order
from customers.services.merge import customer_merge
from customers.services.order_summaries import (
    SummaryEdges,
    order_summaries_batched,
    order_summaries_changed,
    order_summaries_rebase,
    order_summaries_rebuild,
    summary_edges,
)
from customers.services.orders import LineInput, order_record, order_update
from customers.tests.factories import CustomerFactory, OrderFactory
from customers.tests.import_files import csv_bytes, run_import

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def cents(amount: Decimal) -> int:
    return int(amount * 100)


def expected(customer_id: int, edges: SummaryEdges | None) -> dict | None:
    """The summary of one customer, computed by hand from the orders."""
    orders = list(Order.objects.filter(customer_id=customer_id))
    if not orders:
        return None
    bought = [o for o in orders if o.amount > 0]
    w, r, p = edges.as_tuple() if edges else (None, None, None)

    def after(edge, only_purchases=True):
        rows = bought if only_purchases else orders
        return [o for o in rows if edge is not None and o.ordered_at > edge]

    return {
        "purchases": len(bought),
        "net_cents": sum(cents(o.amount) for o in orders),
        "first_purchase_at": min((o.ordered_at for o in bought), default=None),
        "last_purchase_at": max((o.ordered_at for o in bought), default=None),
        "window_cents": sum(cents(o.amount) for o in after(w, only_purchases=False)),
        "window_purchases": len(after(w)),
        "recent_purchases": len(after(r)),
        "previous_purchases": len(after(p)),
    }


def stored(customer_id: int) -> dict | None:
    row = CustomerOrderSummary.objects.filter(customer_id=customer_id).values().first()
    if row is None:
        return None
    row.pop("customer_id")
    row.pop("rescore_pending")
    return row


def assert_summaries_match(*customers) -> None:
    edges = summary_edges()
    for customer in customers:
        assert stored(customer.pk) == expected(customer.pk, edges), customer.pk


def assert_card_figures(customer: Customer) -> None:
    """Total spend, purchases and first/last purchase date on the customer are the orders'."""
    customer.refresh_from_db()
    orders = list(Order.objects.filter(customer=customer))
    bought = [o for o in orders if o.amount > 0]
    assert customer.total_spend == sum((o.amount for o in orders), Decimal("0"))
    assert customer.purchase_count == len(bought)
    dates = sorted(o.ordered_at.astimezone(SHANGHAI).date() for o in bought)
    assert customer.first_purchase_on == (dates[0] if dates else None)
    assert customer.last_purchase_on == (dates[-1] if dates else None)


def test_recording_an_order_updates_summary_and_value_card_at_once(staff_a, department_a):
    customer = CustomerFactory(department=department_a)
    # 15:59:59 UTC is the last second of the Shanghai day; the next order is the next day.
    late = dt.datetime(2026, 3, 1, 15, 59, 59, tzinfo=dt.UTC)
    order_record(
        customer=customer,
        order_no="A1",
        ordered_at=late,
        lines=[LineInput(product="茶", unit_price=Decimal("88.80"))],
        user=staff_a,
    )
    order_record(
        customer=customer,
        order_no="A2",
        ordered_at=late + dt.timedelta(seconds=1),
        lines=[LineInput(product="茶", unit_price=Decimal("11.20"))],
        user=staff_a,
    )

    assert_summaries_match(customer)
    customer.refresh_from_db()
    assert customer.total_spend == Decimal("100.00")
    assert customer.purchase_count == 2
    assert customer.first_purchase_on == dt.date(2026, 3, 1)
    assert customer.last_purchase_on == dt.date(2026, 3, 2)
    assert CustomerOrderSummary.objects.get(customer=customer).rescore_pending


def test_edits_refunds_zero_amounts_and_deletes(staff_a, department_a):
    customer = CustomerFactory(department=department_a)
    now = timezone.now()
    order = order_record(
        customer=customer,
        order_no="B1",
        ordered_at=now - dt.timedelta(days=400),
        lines=[LineInput(product="茶", unit_price=Decimal("50"))],
        user=staff_a,
    )
    OrderFactory(customer=customer, amount=Decimal("0"), ordered_at=now - dt.timedelta(days=3))
    refund = OrderFactory(customer=customer, amount=Decimal("-20.5"), ordered_at=now)
    assert_summaries_match(customer)
    assert_card_figures(customer)

    order_update(
        order=order,
        user=staff_a,
        ordered_at=now - dt.timedelta(days=10),
        lines=[LineInput(product="茶", unit_price=Decimal("75"), quantity=Decimal("2"))],
    )
    assert_summaries_match(customer)
    assert_card_figures(customer)

    refund.delete()
    assert_summaries_match(customer)
    assert_card_figures(customer)

    Order.objects.filter(customer=customer).delete()  # bulk: the ORM deletes one by one
    assert stored(customer.pk) is None
    assert_card_figures(customer)


def test_import_writes_summaries_of_every_customer_in_the_chunk(staff_a, department_a):
    ours = CustomerFactory(department=department_a, mobile="+8613812345678", email="")
    other = CustomerFactory(department=department_a, mobile="+8613712345678", email="")
    OrderFactory(customer=ours, amount=Decimal("9.90"))
    rows = [
        ["订单号", "手机号", "下单时间", "金额"],
        ["I1", "13812345678", "2026-01-05 14:30", "300"],
        ["I2", "13812345678", "2026-01-06 00:00", "-100"],
        ["I3", "13712345678", "2025-12-31 23:59", "0"],
        ["I4", "13712345678", "2026-01-01 00:00", "59.9"],
    ]

    result = run_import(staff_a, csv_bytes(rows), name="orders.csv", kind="orders")

    assert result.created == 4
    assert_summaries_match(ours, other)
    assert_card_figures(ours)
    assert_card_figures(other)


def test_merge_moves_the_duplicates_figures_to_the_survivor(manager_a, department_a):
    survivor = CustomerFactory(department=department_a)
    duplicate = CustomerFactory(department=department_a)
    OrderFactory(customer=survivor, amount=Decimal("100"))
    OrderFactory(customer=duplicate, amount=Decimal("250"))
    OrderFactory(customer=duplicate, amount=Decimal("-50"))

    customer_merge(survivor=survivor, duplicate=duplicate, field_choices={}, user=manager_a)

    assert_summaries_match(survivor, duplicate)
    assert stored(duplicate.pk) is None
    assert stored(survivor.pk)["net_cents"] == 30000
    assert_card_figures(survivor)


def test_rebase_and_rebuild_give_what_a_fresh_aggregation_gives(department_a):
    customers = [CustomerFactory(department=department_a) for _ in range(4)]
    now = timezone.now()
    for number, customer in enumerate(customers):
        for days in (1, 89, 91, 179, 181, 364, 366, 700):
            OrderFactory(
                customer=customer,
                ordered_at=now - dt.timedelta(days=days + number),
                amount=Decimal(days) - 100,
            )
    assert_summaries_match(*customers)

    order_summaries_rebase(
        SummaryEdges(
            now - dt.timedelta(days=183), now - dt.timedelta(days=2), now - dt.timedelta(days=90)
        )
    )
    assert_summaries_match(*customers)

    edge = Order.objects.filter(customer=customers[0]).order_by("ordered_at")[3].ordered_at
    order_summaries_rebase(SummaryEdges(edge, edge, edge))  # an order exactly at the edge
    assert_summaries_match(*customers)

    CustomerOrderSummary.objects.all().delete()
    order_summaries_rebuild(
        SummaryEdges(
            now - dt.timedelta(days=365), now - dt.timedelta(days=90), now - dt.timedelta(days=180)
        )
    )
    assert_summaries_match(*customers)


def test_a_batch_of_single_order_writes_refreshes_once_at_the_end(department_a):
    first, second = (
        CustomerFactory(department=department_a),
        CustomerFactory(department=department_a),
    )
    for customer in (first, second):
        OrderFactory.create_batch(3, customer=customer, amount=Decimal("12.34"))
    sent = []

    def receiver(sender, customer_ids, **kwargs):
        sent.append(customer_ids)

    order_summaries_changed.connect(receiver, dispatch_uid="test_batch")
    try:
        with order_summaries_batched():
            Order.objects.filter(customer=first).delete()
            Order.objects.filter(customer=second).first().delete()
            OrderFactory(customer=second, amount=Decimal("-1"))
    finally:
        order_summaries_changed.disconnect(dispatch_uid="test_batch")

    assert sent == [sorted([first.pk, second.pk])]
    assert_summaries_match(first, second)
    assert_card_figures(first)
    assert_card_figures(second)
