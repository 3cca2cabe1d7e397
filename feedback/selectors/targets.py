"""The feedback targets (care programme §7) for one department or all of them.

Definitions (also stated on the page):

Items handled this month
    feedback items resolved or closed in the current calendar month (local time): an item
    counts once, when its resolution or its closing falls in the month. Goal: at least 50.
Satisfaction
    CSAT (answers 4–5 ÷ all answers to rating questions × 100) of the answers submitted in
    the last complete calendar quarter. Goal: at least 90 %.
Change against last quarter
    that CSAT minus the CSAT of the quarter before it, in percentage points (not a relative
    change). Goal: +5 points.
VIP survey coverage
    VIP customers (active, VIP level above normal) of the department who answered a survey
    of the kind "quarterly VIP satisfaction" in the current calendar quarter ÷ those VIP
    customers × 100. Goal: 80 %.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from customers.models import Customer, CustomerStatus, VipLevel
from feedback.models import Answer, FeedbackItem, ItemStatus, Response, SurveyKind
from feedback.selectors.results import (
    percent,
    previous_quarter,
    quarter_label,
    quarter_start,
    scores,
    show_percent,
    show_points,
)

HANDLED_GOAL = 50
SATISFACTION_GOAL = Decimal(90)
CHANGE_GOAL = Decimal(5)
VIP_COVERAGE_GOAL = Decimal(80)


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime
    label: str


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def this_month(today: dt.date) -> Period:
    start = today.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return Period(_aware(start), _aware(end), start.strftime("%Y-%m"))


def quarter(start: dt.date) -> Period:
    end = quarter_start(start + dt.timedelta(days=92))
    return Period(_aware(start), _aware(end), quarter_label(start))


def handled_items(department, month: Period) -> QuerySet:
    items = FeedbackItem.objects.filter(
        Q(status__in=[ItemStatus.RESOLVED, ItemStatus.CLOSED])
        & (
            Q(resolved_at__gte=month.start, resolved_at__lt=month.end)
            | Q(closed_at__gte=month.start, closed_at__lt=month.end)
        )
    )
    if department is not None:
        items = items.filter(department=department)
    return items


def quarter_answers(department, period: Period) -> QuerySet:
    answers = Answer.objects.filter(
        response__submitted_at__gte=period.start, response__submitted_at__lt=period.end
    )
    if department is not None:
        answers = answers.filter(response__survey__department=department)
    return answers


def vip_customers(department) -> QuerySet:
    customers = Customer.objects.filter(status=CustomerStatus.ACTIVE).exclude(
        vip_level__in=["", VipLevel.NORMAL]
    )
    if department is not None:
        customers = customers.filter(department=department)
    return customers


def vip_answered(department, period: Period) -> QuerySet:
    answered = Response.objects.filter(
        customer=OuterRef("pk"),
        survey__kind=SurveyKind.VIP_QUARTERLY,
        submitted_at__gte=period.start,
        submitted_at__lt=period.end,
    )
    return vip_customers(department).filter(Exists(answered))


@dataclass
class Targets:
    month: Period
    last_quarter: Period
    quarter_before: Period
    this_quarter: Period
    handled: int
    satisfaction: Decimal | None
    before: Decimal | None
    change: Decimal | None
    vip_total: int
    vip_answered: int

    @property
    def vip_coverage(self) -> Decimal | None:
        return percent(self.vip_answered, self.vip_total)

    def figures(self) -> dict:
        return {
            "handled": str(self.handled),
            "satisfaction": show_percent(self.satisfaction),
            "change": show_points(self.change),
            "vip_coverage": show_percent(self.vip_coverage),
        }

    @property
    def met(self) -> dict:
        def at_least(value, goal):
            return None if value is None else value >= goal

        return {
            "handled": self.handled >= HANDLED_GOAL,
            "satisfaction": at_least(self.satisfaction, SATISFACTION_GOAL),
            "change": at_least(self.change, CHANGE_GOAL),
            "vip_coverage": at_least(self.vip_coverage, VIP_COVERAGE_GOAL),
        }


def targets(department, today: dt.date | None = None) -> Targets:
    """The four figures for ``department`` (None: every department)."""
    today = today or timezone.localdate()
    current = quarter_start(today)
    last = previous_quarter(current)
    before = previous_quarter(last)
    last_period, before_period, this_period = quarter(last), quarter(before), quarter(current)
    satisfaction = scores(quarter_answers(department, last_period)).csat
    earlier = scores(quarter_answers(department, before_period)).csat
    change = None if satisfaction is None or earlier is None else satisfaction - earlier
    return Targets(
        month=this_month(today),
        last_quarter=last_period,
        quarter_before=before_period,
        this_quarter=this_period,
        handled=handled_items(department, this_month(today)).count(),
        satisfaction=satisfaction,
        before=earlier,
        change=change,
        vip_total=vip_customers(department).count(),
        vip_answered=vip_answered(department, this_period).count(),
    )
