"""Satisfaction (CSAT) and NPS of a scope in a window: feedback's own definitions and
aggregates (``feedback.selectors.results``) over the answers submitted in it, of the
surveys in scope."""

import datetime as dt

from dashboard.scope import DashboardScope
from feedback.models import Answer, Survey
from feedback.selectors.results import Scores, scores


def satisfaction(scope: DashboardScope, start: dt.datetime, end: dt.datetime) -> Scores:
    answers = Answer.objects.filter(
        response__submitted_at__gte=start, response__submitted_at__lt=end
    )
    return scores(scope.restrict(answers))


def has_surveys(scope: DashboardScope) -> bool:
    return scope.restrict(Survey.objects.all()).exists()
