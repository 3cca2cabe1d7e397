import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from budgets.models import PlanStatus
from budgets.services.plans import plan_recalculate
from budgets.tests.factories import AnnualBudgetFactory, BudgetLineFactory
from events.services.events import event_budget_ensure, event_create
from segmentation.tests.factories import SegmentFactory


@pytest.fixture
def segment_a(department_a, staff_a):
    return SegmentFactory(department=department_a, name="高价值客户", created_by=staff_a)


def make_event(user, segments=(), *, days=60, goals=True, **fields):
    start = timezone.make_aware(
        dt.datetime.combine(timezone.localdate() + dt.timedelta(days=days), dt.time(18))
    )
    data = {
        "type": "banquet",
        "title": "VIP 答谢晚宴",
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=3),
        "venue": "宴会厅",
        "capacity": 50,
        "department": user.department,
        **fields,
    }
    goal_list = (
        [
            {
                "metric": "attendance",
                "baseline": None,
                "target": Decimal("45"),
                "deadline": start.date() + dt.timedelta(days=7),
            }
        ]
        if goals
        else []
    )
    return event_create(user=user, fields=data, target_segments=list(segments), goals=goal_list)


def budget_for(event, user, *, total=Decimal("8000.00"), approved=True, annual=Decimal("500000")):
    """The event's plan with one line; approved by a manager when asked; the department's
    annual budget set (None: no annual budget)."""
    if annual is not None:
        AnnualBudgetFactory(
            department=event.department,
            year=timezone.localdate(event.starts_at).year,
            allocated=annual,
        )
    plan = event_budget_ensure(event=event, user=user)
    BudgetLineFactory(plan=plan, amount=total)
    plan_recalculate(plan)
    if approved:
        plan.status = PlanStatus.APPROVED
        plan.approved_at = timezone.now()
        plan.save()
    return plan
