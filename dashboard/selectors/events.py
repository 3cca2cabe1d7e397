"""Events of a scope with their budget use, one query: each event's budget plan total
(``budgets.BudgetPlan`` of the owner kind ``event``) and what its expenses add up to —
``budgets.selectors.plans.plan_figures``' total and spent, for every row at once."""

import datetime as dt
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from budgets.models import BudgetPlan, Expense
from carecrm.money import yuan
from dashboard.figures import EventRow
from dashboard.scope import DashboardScope
from events.models import Event, EventStatus
from events.selectors.events import EVENT_BUDGET

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Decimal("0.00")


def event_rows(
    scope: DashboardScope, first: dt.date, until: dt.date, *, limit: int = 10
) -> list[EventRow]:
    """Events in scope, not cancelled, starting from ``first`` until the day before
    ``until``, soonest first."""
    zone = timezone.get_current_timezone()
    plans = BudgetPlan.objects.filter(owner_kind=EVENT_BUDGET, owner_id=OuterRef("pk"))
    spent = (
        Expense.objects.filter(plan__owner_kind=EVENT_BUDGET, plan__owner_id=OuterRef("pk"))
        .order_by()
        .values("plan")
        .annotate(total=Sum("amount"))
        .values("total")[:1]
    )
    events = (
        scope.restrict(Event.objects.exclude(status=EventStatus.CANCELLED))
        .select_related("department")
        .only("pk", "title", "starts_at", "status", "department__name")
        .filter(
            starts_at__gte=dt.datetime.combine(first, dt.time.min, tzinfo=zone),
            starts_at__lt=dt.datetime.combine(until, dt.time.min, tzinfo=zone),
        )
        .annotate(
            budget_total=Subquery(plans.values("total")[:1], output_field=MONEY),
            spent=Coalesce(Subquery(spent, output_field=MONEY), Value(ZERO), output_field=MONEY),
        )
        .order_by("starts_at", "pk")[:limit]
    )
    statuses = dict(EventStatus.choices)
    return [
        EventRow(
            event_id=event.pk,
            name=event.title,
            url=reverse("events:detail", args=[event.pk]),
            starts_on=timezone.localtime(event.starts_at, zone).date(),
            status=str(statuses.get(event.status, event.status)),
            budget_total=None if event.budget_total is None else yuan(event.budget_total),
            spent=yuan(event.spent),
            department=event.department.name if event.department_id else "",
        )
        for event in events
    ]


def has_events(scope: DashboardScope) -> bool:
    return scope.restrict(Event.objects.all()).exists()
