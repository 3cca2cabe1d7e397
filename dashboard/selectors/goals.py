"""Campaign and event goals in a scope: baseline → actual → target, progress and state.

States, one rule for both kinds (the event review's):

on track / behind
    before the deadline: whether the figure so far already reaches the target;
met / missed
    once the deadline has passed (an event's goals also once the event is reviewed):
    whether the figure reached the target. Churn rate and cost per attendee are better
    lower and are met at or below their target, every other metric at or above it;
not measured
    no figure yet, with the reason.

A campaign's figure is measured over the customers it reached (its messages sent to the
provider, counted up to the end of the deadline day):

- repurchase rate: those who bought (an order above zero) within
  ``DELIVERY_CONVERSION_DAYS`` after a message reached them — the conversion rate of the
  campaign's delivery card;
- response rate: those who clicked a link in, or replied to, a message;
- churn rate / active customers: of those still on file and scored, the share whose
  lifecycle stage (from the nightly scoring) is churn risk or lost / new or active, as of
  the day it is measured;
- satisfaction: CSAT of the answers to the surveys linked to the campaign;
- coupon redemption rate: the campaign's coupons redeemed of those issued.

An event's figure is the one its review recorded; before the review attendance,
satisfaction and feedback rate are measured live the way the review measures them, and
the rest (coverage, sales uplift, repurchase, cost per attendee) by the review itself.

The day after a deadline, ``dashboard.record_goal_outcomes`` records met or missed with
its figure (:class:`dashboard.models.GoalOutcome`); from then on that outcome is shown,
whatever later orders, scores or answers do.

Cost: a fixed number of grouped queries whatever the number of goals — the goals, their
outcomes, one aggregate per kind of figure — plus one set per deadline passed since the
last nightly run (normally none).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import APPROVED_STATUSES, CampaignStatus, CareCampaign, Coupon
from campaigns.models import GoalMetric as CampaignMetric
from campaigns.sources import CAMPAIGN
from customers.models import CustomerStatus, LifecycleStage
from dashboard.models import GoalKind, GoalOutcome
from dashboard.scope import DashboardScope
from delivery.models import SENT_STATUSES, OutboxMessage
from events.models import EventGoal, EventStatus, Guest
from events.models import GoalMetric as EventMetric
from events.selectors.review import LOWER_IS_BETTER as EVENT_LOWER_IS_BETTER
from events.selectors.review import goal_value_text, percent
from feedback.models import Answer
from feedback.selectors.results import Scores, score_aggregates
from feedback.selectors.results import percent as feedback_percent

CAMPAIGN_PERMISSION = "campaigns.view_carecampaign"
EVENT_PERMISSION = "events.view_event"
# A draft's goal is a plan, not yet something to track; a cancelled event has none left.
CAMPAIGN_STATUSES = (*APPROVED_STATUSES, CampaignStatus.FINISHED)
EVENT_STATUSES = (EventStatus.APPROVED, EventStatus.OPEN, EventStatus.HELD, EventStatus.REVIEWED)
CAMPAIGN_LOWER_IS_BETTER = {CampaignMetric.CHURN_RATE}
CHURNED = (LifecycleStage.CHURN_RISK, LifecycleStage.LOST)
HUNDRED = Decimal(100)
ZERO = Decimal(0)
DASH = "—"


class GoalState:
    ON_TRACK = "on_track"
    BEHIND = "behind"
    MET = "met"
    MISSED = "missed"
    NOT_MEASURED = "not_measured"


STATE_LABELS = {
    GoalState.ON_TRACK: gettext_lazy("On track"),
    GoalState.BEHIND: gettext_lazy("Behind"),
    GoalState.MET: gettext_lazy("Met"),
    GoalState.MISSED: gettext_lazy("Missed"),
    GoalState.NOT_MEASURED: gettext_lazy("Not measured yet"),
}
STATE_CHOICES = list(STATE_LABELS.items())
# Goals needing attention first: behind, then on track, then the unmeasured.
_ATTENTION = {
    GoalState.BEHIND: 0,
    GoalState.ON_TRACK: 1,
    GoalState.NOT_MEASURED: 2,
    GoalState.MISSED: 3,
    GoalState.MET: 4,
}


def judge(actual: Decimal | None, target: Decimal, *, lower_is_better: bool, final: bool) -> str:
    if actual is None:
        return GoalState.NOT_MEASURED
    good = actual <= target if lower_is_better else actual >= target
    if final:
        return GoalState.MET if good else GoalState.MISSED
    return GoalState.ON_TRACK if good else GoalState.BEHIND


@dataclass(frozen=True)
class Measure:
    value: Decimal | None
    note: str = ""  # why there is no figure, or where it comes from


@dataclass(frozen=True)
class GoalRow:
    """One goal as the goals page, its dashboard card and exports show it."""

    kind: str  # GoalKind
    goal_id: int  # the campaign's id for a campaign goal, the EventGoal's for an event's
    title: str
    url: str
    department: str
    metric: str
    metric_label: str
    unit: str  # percent | count | money
    baseline: Decimal | None
    target: Decimal
    actual: Decimal | None
    deadline: dt.date | None
    lower_is_better: bool
    final: bool
    state: str
    note: str = ""
    decided_at: dt.datetime | None = None  # the recorded outcome's time, if frozen

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.goal_id}"

    @property
    def kind_label(self) -> str:
        return str(GoalKind(self.kind).label)

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def is_recorded(self) -> bool:
        return self.decided_at is not None

    @property
    def progress(self) -> int | None:
        """How far the figure has come, 0–100: from the baseline to the target when there
        is a baseline, else the figure against the target (the target against the figure
        when lower is better)."""
        actual, target, baseline = self.actual, self.target, self.baseline
        if actual is None:
            return None
        reached = actual <= target if self.lower_is_better else actual >= target
        if baseline is not None and baseline != target:
            share = (actual - baseline) / (target - baseline)
        elif baseline is not None:
            share = Decimal(1) if reached else ZERO
        elif self.lower_is_better:
            share = Decimal(1) if actual <= 0 else target / actual
        else:
            share = Decimal(1) if target <= 0 else actual / target
        clamped = min(max(share, ZERO), Decimal(1)) * HUNDRED
        return int(clamped.quantize(Decimal(1), ROUND_HALF_UP))

    def show(self, value: Decimal | None) -> str:
        return goal_value_text(self.unit, value)

    @property
    def baseline_text(self) -> str:
        return self.show(self.baseline)

    @property
    def target_text(self) -> str:
        return self.show(self.target)

    @property
    def actual_text(self) -> str:
        return self.show(self.actual)


def attention_order(row: GoalRow) -> tuple:
    """Open goals first (behind, on track, unmeasured; nearest deadline first), then the
    decided ones, most recent deadline first."""
    if not row.final:
        return (0, _ATTENTION[row.state], row.deadline or dt.date.max, row.title, row.goal_id)
    deadline = row.deadline.toordinal() if row.deadline else 0
    return (1, -deadline, _ATTENTION[row.state], row.title, row.goal_id)


def deadline_end(deadline: dt.date) -> dt.datetime:
    """Local midnight after the deadline day: figures count what happened before it."""
    return dt.datetime.combine(
        deadline + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone()
    )


# --- campaign figures ---------------------------------------------------------------------


def _sent_messages(ids: list[int], until: dt.datetime | None):
    """The campaigns' messages that reached the provider (delivery's "reached")."""
    messages = OutboxMessage.objects.filter(
        source__kind=CAMPAIGN,
        source__object_id__in=ids,
        status__in=SENT_STATUSES,
        sent_at__isnull=False,
    )
    return messages if until is None else messages.filter(sent_at__lt=until)


def _by_campaign(rows, key: str) -> dict[int, dict]:
    return {row.pop(key): row for row in rows}


def _reach(ids: list[int], until: dt.datetime | None, *, lifecycle: bool) -> dict[int, dict]:
    responded = Q(clicked_at__isnull=False) | Q(replied_at__isnull=False)
    if until is not None:
        responded = Q(clicked_at__lt=until) | Q(replied_at__lt=until)
    aggregates = {
        "reached": Count("customer", distinct=True),
        "responded": Count("customer", distinct=True, filter=responded),
    }
    if lifecycle:
        scored = Q(customer__status=CustomerStatus.ACTIVE) & ~Q(
            customer__lifecycle_stage=LifecycleStage.UNSCORED
        )
        aggregates["scored"] = Count("customer", distinct=True, filter=scored)
        aggregates["churned"] = Count(
            "customer", distinct=True, filter=scored & Q(customer__lifecycle_stage__in=CHURNED)
        )
    rows = _sent_messages(ids, until).values("source__object_id").order_by().annotate(**aggregates)
    return _by_campaign(rows, "source__object_id")


def _converted(ids: list[int], until: dt.datetime | None) -> dict[int, int]:
    """Reached customers with an order above zero within the conversion window after a
    message reached them (``delivery.selectors.messages``'s conversions, per campaign)."""
    window = dt.timedelta(days=settings.DELIVERY_CONVERSION_DAYS)
    bought = Q(
        customer__orders__amount__gt=0,
        customer__orders__ordered_at__gte=F("sent_at"),
        customer__orders__ordered_at__lte=F("sent_at") + window,
    )
    if until is not None:
        bought &= Q(customer__orders__ordered_at__lt=until)
    rows = (
        _sent_messages(ids, until)
        .filter(bought)
        .values("source__object_id")
        .order_by()
        .annotate(n=Count("customer", distinct=True))
    )
    return {row["source__object_id"]: row["n"] for row in rows}


def _satisfaction(ids: list[int], until: dt.datetime | None) -> dict[int, Scores]:
    answers = Answer.objects.filter(response__survey__campaign_id__in=ids)
    if until is not None:
        answers = answers.filter(response__submitted_at__lt=until)
    rows = answers.values("response__survey__campaign").order_by().annotate(**score_aggregates())
    return {row["response__survey__campaign"]: Scores.of(row) for row in rows}


def _redemption(ids: list[int], until: dt.datetime | None) -> dict[int, dict]:
    coupons = Coupon.objects.filter(batch__campaign_id__in=ids)
    redeemed = Q(redeemed_at__isnull=False)
    if until is not None:
        coupons = coupons.filter(issued_at__lt=until)
        redeemed = Q(redeemed_at__lt=until)
    rows = (
        coupons.values("batch__campaign")
        .order_by()
        .annotate(issued=Count("pk"), redeemed=Count("pk", filter=redeemed))
    )
    return _by_campaign(rows, "batch__campaign")


def campaign_measures(
    campaigns: Iterable[CareCampaign], *, until: dt.datetime | None = None
) -> dict[int, Measure]:
    """Each campaign's figure for its goal metric, counting what happened before
    ``until`` (None: up to now). One aggregate per kind of figure asked for."""
    by_metric: dict[str, list[int]] = defaultdict(list)
    for campaign in campaigns:
        by_metric[campaign.goal_metric].append(campaign.pk)
    if not by_metric:
        return {}
    M = CampaignMetric
    reach_metrics = {M.REPURCHASE_RATE, M.RESPONSE_RATE, M.CHURN_RATE, M.ACTIVITY_RATE}
    reach_ids = [pk for metric in reach_metrics for pk in by_metric.get(metric, [])]
    lifecycle = bool(by_metric.get(M.CHURN_RATE) or by_metric.get(M.ACTIVITY_RATE))
    reach = _reach(reach_ids, until, lifecycle=lifecycle) if reach_ids else {}
    converted = (
        _converted(by_metric[M.REPURCHASE_RATE], until) if M.REPURCHASE_RATE in by_metric else {}
    )
    scores = _satisfaction(by_metric[M.SATISFACTION], until) if M.SATISFACTION in by_metric else {}
    coupons = (
        _redemption(by_metric[M.REDEMPTION_RATE], until) if M.REDEMPTION_RATE in by_metric else {}
    )

    nobody = _("Nobody reached yet: the campaign has no message sent.")
    result: dict[int, Measure] = {}
    for metric, ids in by_metric.items():
        for pk in ids:
            row = reach.get(pk) or {}
            reached = row.get("reached", 0)
            if metric == M.REPURCHASE_RATE:
                value = percent(converted.get(pk, 0), reached)
                result[pk] = Measure(value, "" if reached else nobody)
            elif metric == M.RESPONSE_RATE:
                value = percent(row.get("responded", 0), reached)
                result[pk] = Measure(value, "" if reached else nobody)
            elif metric in (M.CHURN_RATE, M.ACTIVITY_RATE):
                scored, churned = row.get("scored", 0), row.get("churned", 0)
                part = churned if metric == M.CHURN_RATE else scored - churned
                note = ""
                if not scored:
                    note = _("The customers reached are not scored yet.") if reached else nobody
                result[pk] = Measure(percent(part, scored), note)
            elif metric == M.SATISFACTION:
                value = scores[pk].csat if pk in scores else None
                note = "" if value is not None else _("No answers yet to a survey linked to it.")
                result[pk] = Measure(value, note)
            elif metric == M.REDEMPTION_RATE:
                counts = coupons.get(pk) or {}
                issued = counts.get("issued", 0)
                value = percent(counts.get("redeemed", 0), issued)
                result[pk] = Measure(value, "" if issued else _("No coupon issued yet."))
            else:
                result[pk] = Measure(None, _("This metric cannot be measured from the data."))
    return result


def campaign_goal_campaigns(scope: DashboardScope | None = None):
    """Campaigns whose goal is tracked: approved or later, with a target."""
    queryset = CareCampaign.objects.filter(
        status__in=CAMPAIGN_STATUSES, goal_target__isnull=False
    ).select_related("department")
    return queryset if scope is None else scope.restrict(queryset)


def campaign_goal_rows(campaigns: list[CareCampaign], *, today: dt.date) -> list[GoalRow]:
    outcomes = {
        outcome.campaign_id: outcome
        for outcome in GoalOutcome.objects.filter(campaign__in=[c.pk for c in campaigns])
    }
    recorded: dict[int, GoalOutcome] = {}
    pending: dict[dt.datetime | None, list[CareCampaign]] = defaultdict(list)
    for campaign in campaigns:
        outcome = outcomes.get(campaign.pk)
        if outcome is not None and outcome.applies_to(
            metric=campaign.goal_metric,
            target=campaign.goal_target,
            deadline=campaign.goal_deadline,
        ):
            recorded[campaign.pk] = outcome
            continue
        deadline = campaign.goal_deadline
        until = deadline_end(deadline) if deadline is not None and deadline < today else None
        pending[until].append(campaign)
    measures: dict[int, Measure] = {}
    for until, group in pending.items():
        measures.update(campaign_measures(group, until=until))
    labels = dict(CampaignMetric.choices)
    rows = []
    for campaign in campaigns:
        deadline = campaign.goal_deadline
        lower = campaign.goal_metric in CAMPAIGN_LOWER_IS_BETTER
        final = deadline is not None and today > deadline
        outcome = recorded.get(campaign.pk)
        if outcome is not None:
            actual, note, decided_at = outcome.actual, "", outcome.decided_at
            state = GoalState.MET if outcome.met else GoalState.MISSED
        else:
            measure = measures[campaign.pk]
            actual, note, decided_at = measure.value, measure.note, None
            state = judge(actual, campaign.goal_target, lower_is_better=lower, final=final)
        rows.append(
            GoalRow(
                kind=GoalKind.CAMPAIGN,
                goal_id=campaign.pk,
                title=campaign.name,
                url=reverse("campaigns:detail", args=[campaign.pk]),
                department=campaign.department.name if campaign.department else _("Company-wide"),
                metric=campaign.goal_metric,
                metric_label=str(labels.get(campaign.goal_metric, campaign.goal_metric)),
                unit="percent",
                baseline=campaign.goal_baseline,
                target=campaign.goal_target,
                actual=actual,
                deadline=deadline,
                lower_is_better=lower,
                final=final or outcome is not None,
                state=state,
                note=note,
                decided_at=decided_at,
            )
        )
    return rows


# --- event figures ------------------------------------------------------------------------

EVENT_UNITS = {EventMetric.ATTENDANCE: "count", EventMetric.COST_PER_ATTENDEE: "money"}
LIVE_EVENT_METRICS = {EventMetric.ATTENDANCE, EventMetric.SATISFACTION, EventMetric.FEEDBACK_RATE}


def event_goal_goals(scope: DashboardScope | None = None):
    queryset = EventGoal.objects.filter(event__status__in=EVENT_STATUSES).select_related(
        "event__department"
    )
    return queryset if scope is None else scope.restrict(queryset)


def event_measures(goals: Iterable[EventGoal]) -> dict[int, Measure]:
    """Live figures of goals the review has not recorded: attendance (people checked in),
    satisfaction (CSAT of the event's surveys) and feedback rate (attendees who answered
    one of them), grouped over all the events at once, as the review defines them."""
    events: dict[str, set[int]] = defaultdict(set)
    goals = list(goals)
    for goal in goals:
        events[goal.metric].add(goal.event_id)
    attended: dict[int, int] = {}
    if events.get(EventMetric.ATTENDANCE):
        rows = (
            Guest.objects.filter(
                event_id__in=events[EventMetric.ATTENDANCE], checked_in_at__isnull=False
            )
            .values("event")
            .order_by()
            .annotate(people=Coalesce(Sum("party_size"), 0))
        )
        attended = {row["event"]: row["people"] for row in rows}
    csat: dict[int, Decimal | None] = {}
    if events.get(EventMetric.SATISFACTION):
        rows = (
            Answer.objects.filter(response__survey__event_id__in=events[EventMetric.SATISFACTION])
            .values("response__survey__event")
            .order_by()
            .annotate(**score_aggregates())
        )
        csat = {row["response__survey__event"]: Scores.of(row).csat for row in rows}
    feedback: dict[int, Decimal | None] = {}
    if events.get(EventMetric.FEEDBACK_RATE):
        rows = (
            Guest.objects.filter(
                event_id__in=events[EventMetric.FEEDBACK_RATE], checked_in_at__isnull=False
            )
            .values("event")
            .order_by()
            .annotate(
                attended=Count("customer", distinct=True),
                answered=Count(
                    "customer",
                    distinct=True,
                    filter=Q(customer__survey_responses__survey__event=F("event")),
                ),
            )
        )
        feedback = {
            row["event"]: feedback_percent(row["answered"], row["attended"]) for row in rows
        }
    result = {}
    for goal in goals:
        if goal.metric == EventMetric.ATTENDANCE:
            result[goal.pk] = Measure(Decimal(attended.get(goal.event_id, 0)))
        elif goal.metric == EventMetric.SATISFACTION:
            value = csat.get(goal.event_id)
            note = "" if value is not None else _("No answers yet to a survey linked to it.")
            result[goal.pk] = Measure(value, note)
        elif goal.metric == EventMetric.FEEDBACK_RATE:
            value = feedback.get(goal.event_id)
            result[goal.pk] = Measure(value, "" if value is not None else _("Nobody attended yet."))
        else:
            result[goal.pk] = Measure(None, _("Measured by the event's review."))
    return result


def event_goal_rows(goals: list[EventGoal], *, today: dt.date) -> list[GoalRow]:
    outcomes = {
        outcome.event_goal_id: outcome
        for outcome in GoalOutcome.objects.filter(event_goal__in=[g.pk for g in goals])
    }
    recorded = {
        goal.pk: outcome
        for goal in goals
        if (outcome := outcomes.get(goal.pk)) is not None
        and outcome.applies_to(metric=goal.metric, target=goal.target, deadline=goal.deadline)
    }
    live = event_measures(g for g in goals if g.pk not in recorded and g.actual is None)
    labels = dict(EventMetric.choices)
    rows = []
    for goal in goals:
        event = goal.event
        lower = goal.metric in EVENT_LOWER_IS_BETTER
        final = event.status == EventStatus.REVIEWED or today > goal.deadline
        outcome = recorded.get(goal.pk)
        if outcome is not None:
            actual, note, decided_at = outcome.actual, "", outcome.decided_at
            state = GoalState.MET if outcome.met else GoalState.MISSED
        else:
            if goal.actual is not None:
                measure = Measure(goal.actual, _("Recorded by the event's review."))
            else:
                measure = live[goal.pk]
            actual, note, decided_at = measure.value, measure.note, None
            state = judge(actual, goal.target, lower_is_better=lower, final=final)
        rows.append(
            GoalRow(
                kind=GoalKind.EVENT,
                goal_id=goal.pk,
                title=event.title,
                url=reverse("events:detail", args=[event.pk]),
                department=event.department.name,
                metric=goal.metric,
                metric_label=str(labels.get(goal.metric, goal.metric)),
                unit=EVENT_UNITS.get(goal.metric, "percent"),
                baseline=goal.baseline,
                target=goal.target,
                actual=actual,
                deadline=goal.deadline,
                lower_is_better=lower,
                final=final or outcome is not None,
                state=state,
                note=note,
                decided_at=decided_at,
            )
        )
    return rows


# --- what the pages ask for ---------------------------------------------------------------


def goal_rows(
    scope: DashboardScope,
    *,
    today: dt.date | None = None,
    kind: str = "",
    state: str = "",
    deadline_from: dt.date | None = None,
    deadline_to: dt.date | None = None,
) -> list[GoalRow]:
    """The goals in ``scope`` the user may read (campaigns and events need their view
    permission), filtered, most in need of attention first."""
    today = today or timezone.localdate()
    user = scope.user
    rows: list[GoalRow] = []
    if kind in ("", GoalKind.CAMPAIGN) and user.has_perm(CAMPAIGN_PERMISSION):
        campaigns = campaign_goal_campaigns(scope)
        if deadline_from:
            campaigns = campaigns.filter(goal_deadline__gte=deadline_from)
        if deadline_to:
            campaigns = campaigns.filter(goal_deadline__lte=deadline_to)
        rows += campaign_goal_rows(list(campaigns), today=today)
    if kind in ("", GoalKind.EVENT) and user.has_perm(EVENT_PERMISSION):
        goals = event_goal_goals(scope)
        if deadline_from:
            goals = goals.filter(deadline__gte=deadline_from)
        if deadline_to:
            goals = goals.filter(deadline__lte=deadline_to)
        rows += event_goal_rows(list(goals), today=today)
    if state:
        rows = [row for row in rows if row.state == state]
    return sorted(rows, key=attention_order)


def dashboard_goals(
    scope: DashboardScope, *, today: dt.date | None = None, limit: int = 5
) -> list[GoalRow]:
    """The few goals the dashboard's card shows: those most in need of attention."""
    return goal_rows(scope, today=today)[:limit]


def state_counts(rows: Iterable[GoalRow]) -> list[tuple[str, str, int]]:
    """(state, label, goals) for every state, in the order the page lists them."""
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.state] += 1
    return [(state, str(label), counts[state]) for state, label in STATE_CHOICES]


def definitions() -> list[tuple[str, str]]:
    """How each state and figure is decided, as the page states it."""
    days = settings.DELIVERY_CONVERSION_DAYS
    return [
        (
            _("States"),
            _(
                "Before the deadline a goal is on track when its figure so far reaches the "
                "target, else behind. The day after the deadline (for an event also once it "
                "is reviewed) it is met or missed, and that outcome is recorded: later data "
                "does not change it. Churn rate and cost per attendee are met at or below "
                "their target, every other metric at or above it."
            ),
        ),
        (
            _("Progress"),
            _(
                "The way from the baseline to the target covered so far; without a baseline, "
                "the figure against the target."
            ),
        ),
        (
            _("Campaign goals"),
            _(
                "Measured over the customers the campaign reached, up to the end of the "
                "deadline day. Repurchase rate: those who bought within %(days)s days after "
                "a message reached them. Response rate: those who clicked a link or replied. "
                "Churn rate and active customers: of those still on file and scored, the "
                "share now in churn risk or lost, or new or active. Satisfaction: answers of "
                "4 or 5 of all 1–5 ratings in the surveys linked to the campaign. Coupon "
                "redemption rate: its coupons redeemed of those issued."
            )
            % {"days": days},
        ),
        (
            _("Event goals"),
            _(
                "The figure the event's review recorded. Before the review, attendance "
                "(people checked in), satisfaction and feedback rate are measured as the "
                "review measures them; coverage, sales uplift, repurchase rate and cost per "
                "attendee are measured by the review, or on the day after the deadline."
            ),
        ),
    ]
