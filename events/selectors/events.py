"""Reading events within the user's scope: lists, what blocks an approval, the budget card,
the timeline chart, tasks and the calendar."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from budgets.models import BudgetPlan, PlanStatus
from budgets.selectors.plans import CapCheck, PlanFigures, plan_cap_check, plan_figures
from budgets.selectors.plans import plan_for_owner as budget_plan_for_owner
from carecrm.accounts.models import User
from carecrm.core.scoping import visible_to
from events.models import (
    Event,
    EventStatus,
    EventTask,
    EventType,
    Guest,
    Milestone,
    TaskStatus,
    TeamMember,
    TeamRole,
)
from segmentation.selectors import visible_segments

EVENT_BUDGET = "event"  # the budgets owner kind of an event (events.registrations)

# Statuses in which the event's plan may still be edited.
EDITABLE_STATUSES = (EventStatus.DRAFT, EventStatus.APPROVED, EventStatus.OPEN)
CANCELLABLE_STATUSES = EDITABLE_STATUSES
LIVE_STATUSES = (EventStatus.APPROVED, EventStatus.OPEN)


@dataclass(frozen=True)
class TypeGuide:
    """What the care programme suggests for an event type: who to invite, what to plan."""

    audience: str
    points: tuple
    segment_hints: tuple  # words looked for in segment names and rules


TYPE_GUIDES: dict[str, TypeGuide] = {
    EventType.BANQUET: TypeGuide(
        gettext_lazy("High-value and flagship customers."),
        (
            gettext_lazy("A private venue"),
            gettext_lazy("Company results and customer cases"),
            gettext_lazy("Custom gifts"),
            gettext_lazy("Executives attend"),
        ),
        ("vip", "high", "flagship", "高价值", "旗舰", "贵宾"),
    ),
    EventType.SEMINAR: TypeGuide(
        gettext_lazy("Potential and B2B customers."),
        (
            gettext_lazy("Built around customers' pain points"),
            gettext_lazy("Questions and answers"),
            gettext_lazy("A free trial kit"),
        ),
        ("potential", "b2b", "潜在", "企业"),
    ),
    EventType.LOTTERY: TypeGuide(
        gettext_lazy("Ordinary and new customers."),
        (
            gettext_lazy("Through the official account and customer groups"),
            gettext_lazy("An extra draw for sharing"),
            gettext_lazy("Small prizes and coupons"),
        ),
        ("new", "ordinary", "新客", "普通"),
    ),
    EventType.CARE_VISIT: TypeGuide(
        gettext_lazy("Customers at risk of churning and key regional customers."),
        (
            gettext_lazy("Visit with a gift"),
            gettext_lazy("Collect the reasons for not renewing"),
            gettext_lazy("Solve problems on the spot"),
        ),
        ("churn", "risk", "key", "流失", "风险", "重点"),
    ),
    EventType.FAMILY_DAY: TypeGuide(
        gettext_lazy("Consumer families and young customers."),
        (
            gettext_lazy("Tied to a festival"),
            gettext_lazy("Do-it-yourself activities"),
            gettext_lazy("Product experience"),
        ),
        ("family", "young", "家庭", "年轻"),
    ),
}


def visible_events(user) -> QuerySet:
    return visible_to(user, Event.objects.select_related("department", "owner"))


def event_list(
    user,
    *,
    status: str = "",
    type: str = "",
    when: str = "",
    department: int | None = None,
    search: str = "",
) -> QuerySet:
    """Events in the user's scope, filtered; upcoming ones soonest first, past ones
    latest first."""
    events = visible_events(user)
    if status:
        events = events.filter(status=status)
    if type:
        events = events.filter(type=type)
    if department:
        events = events.filter(department_id=department)
    if search:
        events = events.filter(title__icontains=search)
    now = timezone.now()
    if when == "upcoming":
        return events.filter(ends_at__gte=now).order_by("starts_at", "id")
    if when == "past":
        return events.filter(ends_at__lt=now).order_by("-starts_at", "-id")
    return events.order_by("-starts_at", "-id")


def can_edit_event(user, event: Event) -> bool:
    return user.has_perm("events.change_event") and event.status in EDITABLE_STATUSES


def suggested_segments(user, event_type: str) -> QuerySet:
    """Segments the user can see whose name or description mentions the type's audience."""
    guide = TYPE_GUIDES.get(event_type)
    segments = visible_segments(user)
    if guide is None:
        return segments.none()
    query = Q()
    for word in guide.segment_hints:
        query |= Q(name__icontains=word) | Q(description__icontains=word)
    return segments.filter(query).order_by("name")[:10]


# --- budget -----------------------------------------------------------------------------


def event_budget_plan(event: Event) -> BudgetPlan | None:
    return budget_plan_for_owner(EVENT_BUDGET, event.pk)


@dataclass(frozen=True)
class BudgetCard:
    plan: BudgetPlan | None
    figures: PlanFigures | None
    cap: CapCheck | None
    approved: bool


def event_budget_card(event: Event) -> BudgetCard:
    plan = event_budget_plan(event)
    if plan is None:
        return BudgetCard(None, None, None, False)
    cap = plan_cap_check(plan)
    approved = plan.status == PlanStatus.APPROVED and (not cap.over_cap or cap.over_cap_approved)
    return BudgetCard(plan, plan_figures(plan), cap, approved)


def approval_blockers(event: Event) -> list[str]:
    """Why a manager cannot approve the event yet, each said exactly; empty: it can be."""
    blockers = []
    if event.status != EventStatus.DRAFT:
        return [_("Only a draft event can be approved.")]
    if not event.goals.exists():
        blockers.append(_("No goal: add at least one SMART goal (metric, target, deadline)."))
    if not event.target_segments.exists():
        blockers.append(_("No target: choose at least one target segment."))
    card = event_budget_card(event)
    if card.plan is None:
        blockers.append(_("No budget: create the event's budget plan and have it approved."))
    elif card.plan.status != PlanStatus.APPROVED:
        blockers.append(
            _("Budget not approved: the plan is “%(status)s”; a manager must approve it first.")
            % {"status": card.plan.get_status_display()}
        )
    elif card.cap.over_cap and not card.cap.over_cap_approved:
        if card.cap.share is None:
            blockers.append(
                _(
                    "Budget awaiting an administrator: the department has no annual budget for "
                    "%(year)s, so an administrator must approve the plan."
                )
                % {"year": card.plan.year}
            )
        else:
            blockers.append(
                _(
                    "Budget awaiting an administrator: it is %(share)s %% of the annual budget, "
                    "above the %(cap)s %% cap."
                )
                % {"share": card.cap.share, "cap": card.cap.cap}
            )
    return blockers


# --- timeline ---------------------------------------------------------------------------


def is_overdue(item, today: dt.date | None = None) -> bool:
    """A milestone not done, or a task not done, whose due date has passed."""
    today = today or timezone.localdate()
    if isinstance(item, Milestone):
        return item.done_at is None and item.due_on < today
    return item.status != TaskStatus.DONE and item.due_on < today


@dataclass
class ChartRow:
    milestone: Milestone
    left: Decimal  # percent of the chart's width
    width: Decimal
    overdue: bool
    y: int = 0  # the bar's top in the chart, pixels


@dataclass
class TimelineChart:
    start: dt.date
    end: dt.date
    rows: list[ChartRow] = field(default_factory=list)
    today_left: Decimal | None = None  # None: today is outside the chart
    event_left: Decimal | None = None
    months: list[tuple[dt.date, Decimal]] = field(default_factory=list)

    @property
    def height(self) -> int:
        return CHART_TOP + len(self.rows) * CHART_ROW + 24


CHART_TOP, CHART_ROW = 24, 28


def _percent(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"))


def timeline_chart(event: Event, today: dt.date | None = None) -> TimelineChart | None:
    """The milestones as bars on a day scale, with today's line and month marks."""
    today = today or timezone.localdate()
    milestones = list(event.milestones.select_related("owner"))
    if not milestones:
        return None
    start = min(m.starts_on for m in milestones)
    end = max(m.due_on for m in milestones)
    if start - dt.timedelta(days=31) <= today < start:
        start = today  # so the chart shows how far away the first step is
    elif end < today <= end + dt.timedelta(days=31):
        end = today  # and how late the last one runs
    days = (end - start).days + 1
    chart = TimelineChart(start=start, end=end)
    for index, m in enumerate(milestones):
        chart.rows.append(
            ChartRow(
                y=CHART_TOP + index * CHART_ROW,
                milestone=m,
                left=_percent((m.starts_on - start).days, days),
                width=max(_percent((m.due_on - m.starts_on).days + 1, days), Decimal("1")),
                overdue=is_overdue(m, today),
            )
        )
    if start <= today <= end:
        chart.today_left = _percent((today - start).days, days)
    event_day = timezone.localdate(event.starts_at)
    if start <= event_day <= end:
        chart.event_left = _percent((event_day - start).days, days)
    month = start.replace(day=1)
    while month <= end:
        if month >= start:
            chart.months.append((month, _percent((month - start).days, days)))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return chart


# --- team and tasks ---------------------------------------------------------------------


def team_candidates(user, event: Event) -> QuerySet:
    """Who may join the team: active users of the event's department (admins: anyone)."""
    users = User.objects.filter(is_active=True)
    if not user.is_admin_role:
        users = users.filter(department_id=event.department_id)
    return users.order_by("username")


def team_by_role(event: Event) -> list[tuple[str, str, list[TeamMember]]]:
    members = list(event.team.select_related("user"))
    return [
        (role, label, [m for m in members if m.role == role]) for role, label in TeamRole.choices
    ]


def visible_tasks(user) -> QuerySet:
    return visible_to(
        user, EventTask.objects.select_related("event", "owner", "milestone", "event__department")
    )


def visible_milestones(user) -> QuerySet:
    return visible_to(user, Milestone.objects.select_related("event", "owner"))


def my_tasks(user, *, include_done: bool = False) -> QuerySet:
    """The user's tasks across events they can see, soonest due first (cancelled events'
    tasks left out)."""
    tasks = visible_tasks(user).filter(owner=user).exclude(event__status=EventStatus.CANCELLED)
    if not include_done:
        tasks = tasks.exclude(status=TaskStatus.DONE)
    return tasks.order_by("due_on", "id")


def my_tasks_due_this_week(user, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    return my_tasks(user).filter(due_on__lte=today + dt.timedelta(days=7)).count()


def tasks_to_remind(today: dt.date) -> QuerySet:
    """Open tasks due tomorrow not reminded today, and overdue ones not reminded today,
    of owners with an email address, on events still going ahead."""
    tomorrow = today + dt.timedelta(days=1)
    due = Q(due_on=tomorrow) & (Q(reminded_due_on__isnull=True) | ~Q(reminded_due_on=today))
    overdue = Q(due_on__lt=today) & (
        Q(reminded_overdue_on__isnull=True) | ~Q(reminded_overdue_on=today)
    )
    return (
        EventTask.objects.filter(due | overdue)
        .exclude(status=TaskStatus.DONE)
        .exclude(event__status__in=[EventStatus.CANCELLED, EventStatus.REVIEWED])
        .filter(owner__is_active=True)
        .exclude(owner__email="")
        .select_related("event", "owner")
        .order_by("owner_id", "due_on", "id")
    )


# --- the customer's timeline and the calendar --------------------------------------------


def customer_guest_rows(user, customer) -> QuerySet:
    return visible_to(
        user, Guest.objects.filter(customer=customer).select_related("event")
    ).order_by("-created_at")[:20]


def events_between(user, start: dt.date, end: dt.date) -> QuerySet:
    """Events in the user's scope on any day from ``start`` to ``end``."""
    tz = timezone.get_current_timezone()
    first = timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz)
    last = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), tz)
    return visible_events(user).filter(starts_at__lt=last, ends_at__gte=first).order_by("starts_at")
