"""Recording the outcome of goals whose deadline has passed (run nightly by beat), so a
goal's met or missed stays what it was when its time ran out."""

import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from campaigns.models import CareCampaign
from dashboard.models import GoalKind, GoalOutcome
from dashboard.selectors.goals import (
    CAMPAIGN_LOWER_IS_BETTER,
    LIVE_EVENT_METRICS,
    GoalState,
    campaign_goal_campaigns,
    campaign_measures,
    deadline_end,
    event_goal_goals,
    event_measures,
    judge,
)
from events.models import EventGoal
from events.selectors.review import LOWER_IS_BETTER as EVENT_LOWER_IS_BETTER
from events.selectors.review import event_review

logger = logging.getLogger(__name__)

# An event goal only its review can measure (coverage, uplift, repurchase, cost) is
# computed with the full review for this many days after its deadline; after that it
# waits for the figure the review records (the review is due within a week, §5).
REVIEW_RETRY_DAYS = 14


def _due(goals, outcomes: dict, goal_fields) -> list:
    """Goals without an outcome decided for them as they stand now."""
    due = []
    for goal in goals:
        metric, target, deadline = goal_fields(goal)
        outcome = outcomes.get(goal.pk)
        if outcome is None or not outcome.applies_to(
            metric=metric, target=target, deadline=deadline
        ):
            due.append(goal)
    return due


def _campaign_outcomes(today: dt.date) -> int:
    campaigns = list(campaign_goal_campaigns().filter(goal_deadline__lt=today))
    outcomes = {
        o.campaign_id: o for o in GoalOutcome.objects.filter(campaign__in=[c.pk for c in campaigns])
    }
    due = _due(campaigns, outcomes, lambda c: (c.goal_metric, c.goal_target, c.goal_deadline))
    by_deadline: dict[dt.date, list[CareCampaign]] = defaultdict(list)
    for campaign in due:
        by_deadline[campaign.goal_deadline].append(campaign)
    written = 0
    for deadline, group in by_deadline.items():
        measures = campaign_measures(group, until=deadline_end(deadline))
        for campaign in group:
            actual = measures[campaign.pk].value
            if actual is None:
                continue
            lower = campaign.goal_metric in CAMPAIGN_LOWER_IS_BETTER
            _record(
                {"campaign": campaign},
                kind=GoalKind.CAMPAIGN,
                metric=campaign.goal_metric,
                baseline=campaign.goal_baseline,
                target=campaign.goal_target,
                deadline=deadline,
                actual=actual,
                met=judge(actual, campaign.goal_target, lower_is_better=lower, final=True)
                == GoalState.MET,
            )
            written += 1
    return written


def _event_actuals(goals: list[EventGoal], today: dt.date) -> dict[int, Decimal | None]:
    """The review's recorded figure where there is one; else the live figure; else, for
    a recent deadline, the full review's (one review per event)."""
    actuals: dict[int, Decimal | None] = {g.pk: g.actual for g in goals if g.actual is not None}
    rest = [g for g in goals if g.actual is None]
    for pk, measure in event_measures(g for g in rest if g.metric in LIVE_EVENT_METRICS).items():
        actuals[pk] = measure.value
    by_event: dict[int, list[EventGoal]] = defaultdict(list)
    for goal in rest:
        if goal.metric not in LIVE_EVENT_METRICS and (
            today - goal.deadline <= dt.timedelta(days=REVIEW_RETRY_DAYS)
        ):
            by_event[goal.event_id].append(goal)
    for its in by_event.values():
        review = event_review(its[0].event, today=today)
        figures = {row.goal.pk: row.actual for row in review.goals}
        for goal in its:
            actuals[goal.pk] = figures.get(goal.pk)
    return actuals


def _event_outcomes(today: dt.date) -> int:
    goals = list(event_goal_goals().filter(deadline__lt=today))
    outcomes = {
        o.event_goal_id: o for o in GoalOutcome.objects.filter(event_goal__in=[g.pk for g in goals])
    }
    due = _due(goals, outcomes, lambda g: (g.metric, g.target, g.deadline))
    actuals = _event_actuals(due, today)
    written = 0
    for goal in due:
        actual = actuals.get(goal.pk)
        if actual is None:
            continue
        lower = goal.metric in EVENT_LOWER_IS_BETTER
        _record(
            {"event_goal": goal},
            kind=GoalKind.EVENT,
            metric=goal.metric,
            baseline=goal.baseline,
            target=goal.target,
            deadline=goal.deadline,
            actual=actual,
            met=judge(actual, goal.target, lower_is_better=lower, final=True) == GoalState.MET,
        )
        written += 1
    return written


def _record(goal: dict, **fields) -> None:
    GoalOutcome.objects.update_or_create(**goal, defaults={**fields, "decided_at": timezone.now()})


def goal_outcomes_record(*, today: dt.date | None = None) -> dict[str, int]:
    """Record met or missed for every tracked goal whose deadline is before ``today``
    and that has no outcome for its current metric, target and deadline. A goal with no
    figure yet is left for a later run. Running it again writes nothing new."""
    today = today or timezone.localdate()
    campaigns = _campaign_outcomes(today)
    events = _event_outcomes(today)
    logger.info("goal outcomes recorded: %s campaign, %s event", campaigns, events)
    return {"campaign_goals": campaigns, "event_goals": events}
