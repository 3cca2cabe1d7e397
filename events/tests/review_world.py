"""A held event with a hand-built world for the review's tests: customers in cells of value
tier and region, orders before, on and after the event day, guests and a budget plan.
Every figure the tests expect is computed by hand in ``test_review.py``."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from budgets.services.plans import plan_recalculate
from budgets.tests.factories import BudgetLineFactory, BudgetPlanFactory, ExpenseFactory
from customers.models import CustomerStatus
from customers.tests.factories import CustomerFactory, OrderFactory
from customers.tests.factories_list import StaticListFactory
from events.models import EventStatus, GuestSource, GuestStatus
from events.tests.factories import EventFactory, GuestFactory
from segmentation.models import SegmentKind
from segmentation.tests.factories import SegmentFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The event: 2026-06-10 19:00–22:00 Shanghai, 30 days each side. Before: 05-11 … 06-09;
# after: 06-11 … 07-10.
STARTS = dt.datetime(2026, 6, 10, 19, 0, tzinfo=SHANGHAI)


def at(month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI)


def build(department, *, other_department, owner=None, status=EventStatus.HELD):
    event = EventFactory(
        department=department,
        owner=owner,
        status=status,
        title="VIP 答谢晚宴（华东）",
        starts_at=STARTS,
        ends_at=STARTS + dt.timedelta(hours=3),
        uplift_days=30,
        max_party_size=3,
    )

    def customer(name, tier, region, **extra):
        return CustomerFactory(
            department=extra.pop("department", department),
            name=name,
            value_tier=tier,
            region=region,
            **extra,
        )

    def orders(who, *pairs):
        for when, amount in pairs:
            OrderFactory(customer=who, ordered_at=when, amount=Decimal(amount))

    c = {}
    # cell (high, 华东)
    c["a1"] = customer("王芳", "high", "华东")
    orders(c["a1"], (at(5, 20), "1000.00"), (at(6, 10, 20), "9999.00"), (at(6, 20), "1500.00"))
    c["a2"] = customer("李强", "high", "华东")
    orders(c["a2"], (at(5, 25), "500.00"), (at(7, 5), "1200.00"), (at(7, 6), "-200.00"))
    c["c1"] = customer("张伟", "high", "华东")
    orders(c["c1"], (at(4, 1), "5000.00"), (at(5, 15), "800.00"), (at(6, 15), "900.00"))
    c["c2"] = customer("刘洋", "high", "华东")
    orders(c["c2"], (at(6, 1), "400.00"), (at(7, 1), "500.00"))
    c["i1"] = customer("陈静", "high", "华东")  # accepted, did not come
    orders(c["i1"], (at(5, 12), "300.00"), (at(7, 10, 23), "400.00"))
    c["merged"] = customer("赵磊", "high", "华东", status=CustomerStatus.MERGED)
    orders(c["merged"], (at(5, 12), "7000.00"))
    c["elsewhere"] = customer("孙丽", "high", "华东", department=other_department)
    orders(c["elsewhere"], (at(6, 20), "8000.00"))
    # cell (medium, 华南)
    c["a3"] = customer("周杰", "medium", "华南")
    orders(c["a3"], (at(6, 5), "300.00"), (at(6, 25), "600.00"))
    c["c3"] = customer("吴敏", "medium", "华南")
    orders(c["c3"], (at(5, 30), "200.00"), (at(6, 28), "150.00"))
    c["c4"] = customer("郑浩", "medium", "华南")
    c["c5"] = customer("冯雪", "medium", "华南")
    orders(c["c5"], (at(5, 11, 0), "100.00"), (at(7, 11, 0), "999.00"), (at(6, 12), "100.00"))
    # cell (low, 西北): an attendee with nobody to compare with
    c["a4"] = customer("何军", "low", "西北")
    orders(c["a4"], (at(7, 8), "400.00"))
    # cell (potential, 华北): a declined invitation, no attendee in the cell
    c["d1"] = customer("高云", "potential", "华北")

    checked_in = at(6, 10, 19)

    def guest(who, **fields):
        return GuestFactory(event=event, customer=c[who], **fields)

    guest("a1", status=GuestStatus.ACCEPTED, party_size=2, checked_in_at=checked_in)
    guest("a2", status=GuestStatus.ACCEPTED, party_size=1, checked_in_at=checked_in)
    guest("a3", status=GuestStatus.ACCEPTED, party_size=3, checked_in_at=checked_in)
    guest(
        "a4",
        status=GuestStatus.ACCEPTED,
        source=GuestSource.WALK_IN,
        invited_at=None,
        party_size=1,
        checked_in_at=checked_in,
    )
    guest("i1", status=GuestStatus.ACCEPTED, party_size=2)
    guest("d1", status=GuestStatus.DECLINED, party_size=1)

    static = SegmentFactory(
        department=department,
        kind=SegmentKind.STATIC,
        rules={},
        static_list=StaticListFactory(
            department=department, members=[c["a1"], c["a2"], c["i1"], c["d1"], c["c1"]]
        ),
    )
    medium = SegmentFactory(
        department=department,
        rules={
            "match": "all",
            "conditions": [{"field": "value_tier", "op": "in", "value": ["medium"]}],
        },
    )
    event.target_segments.set([static, medium])
    return event, c


def add_budget(event, *amounts: str):
    plan = BudgetPlanFactory(
        owner_kind="event", owner_id=event.pk, department=event.department, year=2026
    )
    line = BudgetLineFactory(plan=plan, amount=Decimal("1000.00"))
    for amount in amounts:
        ExpenseFactory(line=line, amount=Decimal(amount), spent_on=timezone.localdate())
    return plan_recalculate(plan)
