"""The post-event review (care programme §5, §6): every figure the review page, the XLSX
export and the PDF report show, computed once into an :class:`EventReview`, so the three
always agree.

Definitions (also stated on the page, :func:`definitions`):

Guests
    invited: guests on the list through an invitation (walk-ins are not invited);
    accepted: guests whose answer is "accepted"; attended: guests checked in at the door.
    Each is counted in customers (guests) and in people (party size included).
Coverage
    the members of the event's target segments as of now (the union of the segments,
    read through ``segmentation.selectors.segment_customers``): the share of them who
    attended (the goal: 80 %), and the share who were invited.
Sales uplift
    net order amounts, as segmentation computes spend: a refund is an order with a negative
    amount and lowers the figure. "Before" is the N local days before the event's first
    day, "after" the N local days after its last day (N = ``uplift_days``); purchases on
    the event's own days count in neither. The attendees' uplift is (after − before) /
    before of the attending customers together.
Difference-in-differences (DiD)
    attending customers are compared, per cell of (value tier, region), with the active
    customers of the event's department in the same cell who did not attend. In cell c with
    n_c attendees and m_c comparison customers, the attendees' change is
    A_c = after − before of the attendees, the comparison change per customer is
    C_c = (after − before of the comparison) / m_c, and the cell's incremental revenue is
    A_c − n_c × C_c (the comparison weighted by the attendee count). The incremental revenue
    is the sum over cells; attendees in a cell without comparison customers are left out
    of it (their number is shown).
Cost per attendee and ROI
    the actual spend is the sum of the event's budget plan's expenses; cost per attendee
    = spend / people attended; ROI = (incremental revenue − spend) / spend.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from operator import or_

import pandas as pd
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    FilteredRelation,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from budgets.selectors.plans import plan_figures, plan_for_owner
from carecrm.money import format_yuan, yuan
from customers.models import Customer, CustomerStatus, Order, ValueTier
from events.models import Event, EventGoal, EventStatus, GoalMetric, Guest, GuestSource, GuestStatus
from events.registry import ReviewSection, goal_metrics, review_sections
from segmentation.selectors import segment_customers

EVENT_BUDGET = "event"  # the budget owner kind events register (events.registrations)
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
PERCENT = Decimal("0.01")
MONEY_FIELD = DecimalField(max_digits=16, decimal_places=2)
# Goals whose figure is better the lower it is; every other goal is met at or above target.
LOWER_IS_BETTER = {GoalMetric.COST_PER_ATTENDEE}


def percent(part, whole) -> Decimal | None:
    """``part`` of ``whole`` in percent, two places rounded half up; None without a whole."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(PERCENT, ROUND_HALF_UP)


def format_percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f} %"


def goal_value_text(unit: str, value: Decimal | None) -> str:
    """A goal's figure as shown wherever goals are listed: money, a count or a percent."""
    if value is None:
        return "—"
    if unit == "money":
        return format_yuan(value)
    if unit == "count":
        return f"{value:,.0f}"
    return format_percent(value)


# --- the parts of a review ---------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The before and after periods, local days, both ends included."""

    days: int
    before_first: dt.date
    before_last: dt.date
    after_first: dt.date
    after_last: dt.date
    complete: bool  # the after period is over

    @staticmethod
    def _start(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())

    @property
    def before_start(self) -> dt.datetime:
        return self._start(self.before_first)

    @property
    def before_end(self) -> dt.datetime:
        return self._start(self.before_last + dt.timedelta(days=1))

    @property
    def after_start(self) -> dt.datetime:
        return self._start(self.after_first)

    @property
    def after_end(self) -> dt.datetime:
        return self._start(self.after_last + dt.timedelta(days=1))


@dataclass(frozen=True)
class Attendance:
    invited_guests: int
    invited_people: int
    accepted_guests: int
    accepted_people: int
    attended_guests: int
    attended_people: int


@dataclass(frozen=True)
class Coverage:
    has_targets: bool
    members: int
    invited: int
    attended: int
    invited_percent: Decimal | None
    attended_percent: Decimal | None


@dataclass(frozen=True)
class UpliftCell:
    value_tier: str
    tier_label: str
    region: str
    attendees: int
    attendees_before: Decimal
    attendees_after: Decimal
    comparison: int  # comparison customers in the cell
    comparison_before: Decimal  # per comparison customer
    comparison_after: Decimal
    incremental: Decimal | None  # None: no comparison customers in the cell


@dataclass(frozen=True)
class Uplift:
    attendees: int  # attending customers
    before: Decimal
    after: Decimal
    change: Decimal
    uplift_percent: Decimal | None
    compared_attendees: int  # attendees in cells with comparison customers
    uncompared_attendees: int
    # The compared attendees' own change and the comparison's change weighted to them.
    compared_before: Decimal
    compared_after: Decimal
    expected_before: Decimal
    expected_after: Decimal
    incremental: Decimal | None  # the DiD uplift in CNY; None without any comparison
    incremental_per_attendee: Decimal | None
    cells: list[UpliftCell] = field(default_factory=list)


@dataclass(frozen=True)
class Return:
    has_plan: bool
    plan_total: Decimal | None
    spent: Decimal | None
    cost_per_attendee: Decimal | None
    roi_percent: Decimal | None


@dataclass(frozen=True)
class GoalRow:
    goal: EventGoal
    label: str
    baseline: Decimal | None
    target: Decimal
    actual: Decimal | None
    deadline: dt.date
    state: str  # met | missed | on_track | behind | not_measured
    state_label: str
    is_money: bool

    @property
    def kind(self) -> str:
        if self.is_money:
            return "money"
        return "count" if self.goal.metric == GoalMetric.ATTENDANCE else "percent"

    def show(self, value: Decimal | None) -> str:
        return goal_value_text(self.kind, value)

    @property
    def baseline_text(self) -> str:
        return self.show(self.baseline)

    @property
    def target_text(self) -> str:
        return self.show(self.target)

    @property
    def actual_text(self) -> str:
        return self.show(self.actual)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: Decimal | int | None
    kind: str  # count | money | percent

    @property
    def text(self) -> str:
        if self.value is None:
            return "—"
        if self.kind == "money":
            return format_yuan(self.value)
        if self.kind == "percent":
            return format_percent(self.value)
        return f"{self.value:,}"


@dataclass(frozen=True)
class FigureGroup:
    key: str
    title: str
    figures: list[Figure]


@dataclass(frozen=True)
class EventReview:
    event: Event
    today: dt.date
    window: Window
    attendance: Attendance
    coverage: Coverage
    uplift: Uplift
    returns: Return
    goals: list[GoalRow]
    sections: list[ReviewSection]

    @property
    def can_mark_reviewed(self) -> bool:
        return self.event.status == EventStatus.HELD

    @property
    def groups(self) -> list[FigureGroup]:
        return figure_groups(self)

    @property
    def definitions(self) -> list[str]:
        return definitions(self)

    @property
    def figures(self) -> dict[str, Figure]:
        return {f.key: f for g in self.groups for f in g.figures}

    def chart(self) -> dict:
        """Before/after bars for the page's chart (amounts as text: Chart.js reads them)."""
        u = self.uplift
        return {
            "labels": [_("Before"), _("After")],
            "title": _("Purchases before and after the event (CNY)"),
            "series": [
                {"label": _("Attendees"), "data": [str(u.before), str(u.after)]},
                {
                    "label": _("Attendees with comparison"),
                    "data": [str(u.compared_before), str(u.compared_after)],
                },
                {
                    "label": _("Comparable non-attendees, weighted to the attendees"),
                    "data": [str(u.expected_before), str(u.expected_after)],
                },
            ],
        }


# --- computing it ------------------------------------------------------------------------


def review_window(event: Event, today: dt.date) -> Window:
    days = event.uplift_days
    first = timezone.localdate(event.starts_at)
    last = timezone.localdate(event.ends_at)
    after_last = last + dt.timedelta(days=days)
    return Window(
        days=days,
        before_first=first - dt.timedelta(days=days),
        before_last=first - dt.timedelta(days=1),
        after_first=last + dt.timedelta(days=1),
        after_last=after_last,
        complete=today > after_last,
    )


def _attendees(event: Event):
    return Guest.objects.filter(event=event, checked_in_at__isnull=False)


def event_attendance(event: Event) -> Attendance:
    invited = Q(source=GuestSource.INVITED)
    accepted = Q(status=GuestStatus.ACCEPTED)
    attended = Q(checked_in_at__isnull=False)
    row = Guest.objects.filter(event=event).aggregate(
        invited_guests=Count("pk", filter=invited),
        invited_people=Coalesce(Sum("party_size", filter=invited), 0),
        accepted_guests=Count("pk", filter=accepted),
        accepted_people=Coalesce(Sum("party_size", filter=accepted), 0),
        attended_guests=Count("pk", filter=attended),
        attended_people=Coalesce(Sum("party_size", filter=attended), 0),
    )
    return Attendance(**row)


def target_members(event: Event):
    """Customers in any of the event's target segments now (None: it has no targets)."""
    segments = list(event.target_segments.all())
    if not segments:
        return None
    return Customer.objects.filter(
        reduce(or_, (Q(pk__in=segment_customers(s).values("pk")) for s in segments))
    )


def event_coverage(event: Event) -> Coverage:
    members = target_members(event)
    if members is None:
        return Coverage(False, 0, 0, 0, None, None)
    row = members.aggregate(
        members=Count("pk"),
        invited=Count(
            "pk",
            filter=Q(
                pk__in=Guest.objects.filter(event=event, source=GuestSource.INVITED).values(
                    "customer_id"
                )
            ),
        ),
        attended=Count("pk", filter=Q(pk__in=_attendees(event).values("customer_id"))),
    )
    return Coverage(
        True,
        row["members"],
        row["invited"],
        row["attended"],
        percent(row["invited"], row["members"]),
        percent(row["attended"], row["members"]),
    )


def _cell_sums(event: Event, window: Window) -> pd.DataFrame:
    """One row per (value tier, region, attended): customers and their net spend before
    and after — one grouped SQL aggregate over the orders in the window."""
    in_window = Q(
        orders__ordered_at__gte=window.before_start, orders__ordered_at__lt=window.after_end
    )
    attended = Exists(_attendees(event).filter(customer=OuterRef("pk")))
    population = Customer.objects.filter(
        Q(pk__in=_attendees(event).values("customer_id"))
        | Q(department_id=event.department_id, status=CustomerStatus.ACTIVE)
    )

    def spend(condition: Q):
        return Coalesce(
            Sum(
                Case(When(condition, then="window_orders__amount"), default=Value(ZERO)),
                output_field=MONEY_FIELD,
            ),
            Value(ZERO),
            output_field=MONEY_FIELD,
        )

    rows = (
        population.annotate(
            window_orders=FilteredRelation("orders", condition=in_window),
            attended=attended,
        )
        .values("value_tier", "region", "attended")
        .annotate(
            customers=Count("pk", distinct=True),
            before=spend(Q(window_orders__ordered_at__lt=window.before_end)),
            after=spend(Q(window_orders__ordered_at__gte=window.after_start)),
        )
        .order_by()
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["value_tier", "region", "attended", "customers", "before", "after"]
    )
    # Money stays Decimal (object columns); counts plain ints, never numpy floats.
    for column in ("before", "after"):
        frame[column] = frame[column].map(yuan).astype(object)
    frame["customers"] = frame["customers"].map(int).astype(object)
    frame["attended"] = frame["attended"].astype(bool)
    return frame


def event_uplift(event: Event, window: Window) -> Uplift:
    frame = _cell_sums(event, window)
    keys = ["value_tier", "region"]
    attendees = frame[frame["attended"]].drop(columns="attended")
    comparison = frame[~frame["attended"]].drop(columns="attended")
    cells = attendees.merge(comparison, on=keys, how="left", suffixes=("", "_c"))
    rank = {tier: position for position, tier in enumerate(ValueTier.values) if tier}
    cells = cells.assign(rank=cells["value_tier"].map(lambda t: rank.get(t, len(rank))))
    cells = cells.sort_values(["rank", "region"], kind="stable")
    tier_labels = dict(ValueTier.choices)
    rows: list[UpliftCell] = []
    # Sums over the cells with comparison customers, of unrounded figures, rounded once.
    compared_n, compared_before, compared_after = 0, ZERO, ZERO
    expected_before, expected_after = ZERO, ZERO
    for cell in cells.itertuples(index=False):
        n = int(cell.customers)
        m = 0 if pd.isna(cell.customers_c) else int(cell.customers_c)
        c_before = cell.before_c / m if m else ZERO
        c_after = cell.after_c / m if m else ZERO
        if m:
            compared_n += n
            compared_before += cell.before
            compared_after += cell.after
            expected_before += n * c_before
            expected_after += n * c_after
        rows.append(
            UpliftCell(
                value_tier=cell.value_tier,
                tier_label=str(tier_labels.get(cell.value_tier, cell.value_tier)),
                region=cell.region,
                attendees=n,
                attendees_before=cell.before,
                attendees_after=cell.after,
                comparison=m,
                comparison_before=yuan(c_before),
                comparison_after=yuan(c_after),
                incremental=(
                    yuan((cell.after - cell.before) - n * (c_after - c_before)) if m else None
                ),
            )
        )
    incremental = (
        yuan((compared_after - compared_before) - (expected_after - expected_before))
        if compared_n
        else None
    )
    before = sum((r.attendees_before for r in rows), ZERO)
    after = sum((r.attendees_after for r in rows), ZERO)
    total = sum(r.attendees for r in rows)
    return Uplift(
        attendees=total,
        before=yuan(before),
        after=yuan(after),
        change=yuan(after - before),
        uplift_percent=percent(after - before, before) if before > 0 else None,
        compared_attendees=compared_n,
        uncompared_attendees=total - compared_n,
        compared_before=yuan(compared_before),
        compared_after=yuan(compared_after),
        expected_before=yuan(expected_before),
        expected_after=yuan(expected_after),
        incremental=incremental,
        incremental_per_attendee=yuan(incremental / compared_n) if compared_n else None,
        cells=rows,
    )


def event_return(event: Event, attendance: Attendance, uplift: Uplift) -> Return:
    plan = plan_for_owner(EVENT_BUDGET, event.pk)
    if plan is None:
        return Return(False, None, None, None, None)
    spent = plan_figures(plan).spent
    people = attendance.attended_people
    cost = yuan(spent / people) if people else None
    roi = (
        percent(uplift.incremental - spent, spent)
        if spent > 0 and uplift.incremental is not None
        else None
    )
    return Return(True, plan.total, spent, cost, roi)


def repurchase_percent(event: Event, window: Window, until: dt.date) -> Decimal | None:
    """Share of attending customers with a purchase (amount > 0) from the day after the
    event to ``until`` (the goal's deadline), both included."""
    customers = _attendees(event).values("customer_id")
    end = Window._start(until + dt.timedelta(days=1))
    row = Customer.objects.filter(pk__in=customers).aggregate(
        total=Count("pk"),
        bought=Count(
            "pk",
            filter=Q(
                Exists(
                    Order.objects.filter(
                        customer=OuterRef("pk"),
                        amount__gt=0,
                        ordered_at__gte=window.after_start,
                        ordered_at__lt=end,
                    )
                )
            ),
        ),
    )
    return percent(row["bought"], row["total"])


GOAL_STATES = {
    "met": gettext_lazy("Met"),
    "missed": gettext_lazy("Missed"),
    "on_track": gettext_lazy("On track"),
    "behind": gettext_lazy("Behind"),
    "not_measured": gettext_lazy("Not measured yet"),
}


def goal_state(goal: EventGoal, actual: Decimal | None, *, final: bool) -> str:
    """Met or missed once the deadline passed or the event was reviewed; until then on
    track or behind. Cost per attendee is met at or below its target, the rest at or above."""
    if actual is None:
        return "not_measured"
    good = actual <= goal.target if goal.metric in LOWER_IS_BETTER else actual >= goal.target
    if final:
        return "met" if good else "missed"
    return "on_track" if good else "behind"


def goal_rows(
    event: Event,
    *,
    today: dt.date,
    window: Window,
    attendance: Attendance,
    coverage: Coverage,
    uplift: Uplift,
    returns: Return,
) -> list[GoalRow]:
    measured = {
        GoalMetric.ATTENDANCE: Decimal(attendance.attended_people),
        GoalMetric.COVERAGE: coverage.attended_percent,
        GoalMetric.SALES_UPLIFT: uplift.uplift_percent,
        GoalMetric.COST_PER_ATTENDEE: returns.cost_per_attendee,
    }
    rows = []
    for goal in event.goals.all():
        if goal.metric in measured:
            actual = measured[goal.metric]
        elif goal.metric == GoalMetric.REPURCHASE_RATE:
            actual = repurchase_percent(event, window, goal.deadline)
        elif goal.metric in goal_metrics:
            actual = goal_metrics[goal.metric](event)
        else:
            actual = None  # satisfaction and feedback rate: measured by feedback, later
        final = event.status == EventStatus.REVIEWED or today > goal.deadline
        state = goal_state(goal, actual, final=final)
        rows.append(
            GoalRow(
                goal=goal,
                label=str(goal.get_metric_display()),
                baseline=goal.baseline,
                target=goal.target,
                actual=actual,
                deadline=goal.deadline,
                state=state,
                state_label=str(GOAL_STATES[state]),
                is_money=goal.metric == GoalMetric.COST_PER_ATTENDEE,
            )
        )
    return rows


def event_review(event: Event, *, user=None, today: dt.date | None = None) -> EventReview:
    """Everything the review shows, for ``user`` (registered sections keep their scope)."""
    today = today or timezone.localdate()
    window = review_window(event, today)
    attendance = event_attendance(event)
    coverage = event_coverage(event)
    uplift = event_uplift(event, window)
    returns = event_return(event, attendance, uplift)
    goals = goal_rows(
        event,
        today=today,
        window=window,
        attendance=attendance,
        coverage=coverage,
        uplift=uplift,
        returns=returns,
    )
    sections = [s for fn in review_sections if (s := fn(event, user)) is not None]
    return EventReview(event, today, window, attendance, coverage, uplift, returns, goals, sections)


# --- what the page, workbook and PDF show -------------------------------------------------


def figure_groups(review: EventReview) -> list[FigureGroup]:
    a, c, u, r = review.attendance, review.coverage, review.uplift, review.returns
    return [
        FigureGroup(
            "guests",
            _("Guests"),
            [
                Figure("invited_guests", _("Invited (customers)"), a.invited_guests, "count"),
                Figure("invited_people", _("Invited (people)"), a.invited_people, "count"),
                Figure("accepted_guests", _("Accepted (customers)"), a.accepted_guests, "count"),
                Figure("accepted_people", _("Accepted (people)"), a.accepted_people, "count"),
                Figure("attended_guests", _("Attended (customers)"), a.attended_guests, "count"),
                Figure("attended_people", _("Attended (people)"), a.attended_people, "count"),
            ],
        ),
        FigureGroup(
            "coverage",
            _("Coverage of the target group"),
            [
                Figure("members", _("Members of the target segments"), c.members, "count"),
                Figure("members_invited", _("Members invited"), c.invited, "count"),
                Figure("members_attended", _("Members who attended"), c.attended, "count"),
                Figure("invited_percent", _("Share invited"), c.invited_percent, "percent"),
                Figure("coverage_percent", _("Coverage (attended)"), c.attended_percent, "percent"),
            ],
        ),
        FigureGroup(
            "uplift",
            _("Sales uplift"),
            [
                Figure("uplift_before", _("Attendees' purchases before"), u.before, "money"),
                Figure("uplift_after", _("Attendees' purchases after"), u.after, "money"),
                Figure("uplift_change", _("Change (after − before)"), u.change, "money"),
                Figure("uplift_percent", _("Attendees' uplift"), u.uplift_percent, "percent"),
                Figure(
                    "compared_attendees",
                    _("Attendees with comparable customers"),
                    u.compared_attendees,
                    "count",
                ),
                Figure(
                    "uncompared_attendees",
                    _("Attendees without comparable customers"),
                    u.uncompared_attendees,
                    "count",
                ),
                Figure(
                    "expected_change",
                    _("Comparison group's change, weighted to the attendees"),
                    yuan(u.expected_after - u.expected_before),
                    "money",
                ),
                Figure(
                    "incremental",
                    _("Incremental revenue (difference-in-differences)"),
                    u.incremental,
                    "money",
                ),
                Figure(
                    "incremental_per_attendee",
                    _("Incremental revenue per attendee"),
                    u.incremental_per_attendee,
                    "money",
                ),
            ],
        ),
        FigureGroup(
            "return",
            _("Cost and return"),
            [
                Figure("plan_total", _("Budget"), r.plan_total, "money"),
                Figure("spent", _("Actual spend"), r.spent, "money"),
                Figure("cost_per_attendee", _("Cost per attendee"), r.cost_per_attendee, "money"),
                Figure("roi_percent", _("ROI"), r.roi_percent, "percent"),
            ],
        ),
    ]


def _day(value: dt.date) -> str:
    return date_format(value, "DATE_FORMAT")


def definitions(review: EventReview) -> list[str | Promise]:
    w = review.window
    window = _(
        "Before: %(before_first)s – %(before_last)s; after: %(after_first)s – %(after_last)s "
        "(%(days)s days each side; purchases on the event's own days count in neither)."
    ) % {
        "before_first": _day(w.before_first),
        "before_last": _day(w.before_last),
        "after_first": _day(w.after_first),
        "after_last": _day(w.after_last),
        "days": w.days,
    }
    lines = [
        _(
            "Attended: guests checked in at the door; people include the guests they "
            "brought. Invited: guests on the list through an invitation (walk-ins are not)."
        ),
        _(
            "Coverage: the share of the target segments' members as of now (all segments "
            "together) who attended; share invited: of the same members, those invited."
        ),
        window,
        _(
            "Purchases are net order amounts: a refund lowers them. Uplift = (after − "
            "before) / before of the attending customers; the sales uplift goal is measured "
            "by it."
        ),
        _(
            "Difference-in-differences: in each cell of value tier and region, the "
            "attendees' change (after − before) minus the change per customer of the "
            "department's active customers in the same cell who did not attend, times the "
            "number of attendees in the cell; summed over the cells. This is the "
            "incremental revenue. Attendees in a cell without such customers are left out."
        ),
        _(
            "Actual spend: the expenses booked on the event's budget plan. Cost per "
            "attendee = actual spend / people attended. ROI = (incremental revenue − actual "
            "spend) / actual spend."
        ),
        _(
            "Repurchase rate: the share of attending customers with a purchase from the day "
            "after the event to the goal's deadline."
        ),
    ]
    if not w.complete:
        lines.append(
            _("The after period runs until %(day)s: the after figures are not final yet.")
            % {"day": _day(w.after_last)}
        )
    return lines
