"""Reading feedback items: the scoped list with its filters, SLA state, deadlines by
severity, the low survey scores the churn alerts read, and "my open items"."""

import datetime as dt
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from carecrm.core.scoping import visible_to
from feedback.models import (
    Answer,
    FeedbackItem,
    ItemStatus,
    QuestionKind,
    SeverityDeadline,
)

# care programme §4: a response within 24 h, high risk 12 h, a crisis starts within 3 h.
DEFAULT_DEADLINES = {
    "critical": (3, 24),
    "high": (12, 48),
    "medium": (24, 72),
    "low": (48, 168),
}
LOW_RATING = 2
LOW_NPS = 6
OPEN_STATUSES = (ItemStatus.NEW, ItemStatus.IN_PROGRESS)


def deadline_hours(severity: str) -> tuple[int, int]:
    """(respond within, resolve within) hours for a severity, admin-set or the default."""
    row = SeverityDeadline.objects.filter(severity=severity).first()
    if row is not None:
        return row.respond_within_hours, row.resolve_within_hours
    return DEFAULT_DEADLINES.get(severity, DEFAULT_DEADLINES["medium"])


def breached_condition(now: dt.datetime) -> Q:
    """Items that missed a deadline: no first response by respond_by, or open past
    resolve_by."""
    return Q(responded_at__isnull=True, respond_by__lt=now, status__in=OPEN_STATUSES) | Q(
        resolved_at__isnull=True, resolve_by__lt=now, status__in=OPEN_STATUSES
    )


def breach_level(item: FeedbackItem, now: dt.datetime) -> int:
    """The escalation level an open item has earned: 1 once the first response is late,
    2 once the resolution is late (0 when on time or no longer open)."""
    if item.status not in OPEN_STATUSES:
        return 0
    if item.resolved_at is None and item.resolve_by < now:
        return 2
    if item.responded_at is None and item.respond_by < now:
        return 1
    return 0


def is_breached(item: FeedbackItem, now: dt.datetime | None = None) -> bool:
    return breach_level(item, now or timezone.now()) > 0


def visible_items(user) -> QuerySet:
    return visible_to(user, FeedbackItem.objects.select_related("customer", "owner", "department"))


def items_filter(queryset: QuerySet, *, params: dict, user, now: dt.datetime) -> QuerySet:
    """Apply the list's filters (unknown values are ignored by the form before this)."""
    if params.get("status"):
        queryset = queryset.filter(status=params["status"])
    if params.get("severity"):
        queryset = queryset.filter(severity=params["severity"])
    if params.get("category"):
        queryset = queryset.filter(category=params["category"])
    if params.get("owner"):
        queryset = queryset.filter(owner=params["owner"])
    if params.get("mine"):
        queryset = queryset.filter(owner=user)
    if params.get("overdue"):
        queryset = queryset.filter(breached_condition(now))
    return queryset


def my_open_items_count(user) -> int:
    return visible_items(user).filter(owner=user, status__in=OPEN_STATUSES).count()


def items_to_escalate(now: dt.datetime) -> QuerySet:
    return FeedbackItem.objects.filter(breached_condition(now)).order_by("pk")


def low_scores(response) -> list[tuple[str, int]]:
    """The low (kind, score) answers of a response: rating ≤ 2 or NPS ≤ 6."""
    return [
        (kind, score)
        for kind, score in response.answers.filter(score__isnull=False).values_list(
            "question__kind", "score"
        )
        if (kind == QuestionKind.RATING and score <= LOW_RATING)
        or (kind == QuestionKind.NPS and score <= LOW_NPS)
    ]


def score_0_100(kind: str, score: int) -> Decimal:
    """The answer as the middle of its share of 0–100: rating r of 1–5 → (r − ½) × 20
    (1 → 10, 2 → 30, 3 → 50), NPS n of 0–10 → (n + ½) × 100 / 11 (6 → 59.09, 7 → 68.18).
    So every low answer — a rating of 2 or less, an NPS of 6 or less — lands below the
    churn rule's default threshold of 60, and the answer just above the line does not."""
    if kind == QuestionKind.RATING:
        return Decimal(max(score, 1) * 20 - 10)
    return (Decimal(score * 2 + 1) * 50 / 11).quantize(Decimal("0.01"))


def low_survey_scores(since: dt.datetime):
    """(customer id, score 0–100) of low answers since ``since`` for the churn alerts;
    anonymous surveys never name a customer, so they are left out."""
    rows = Answer.objects.filter(
        response__submitted_at__gte=since,
        response__customer__isnull=False,
        response__survey__anonymous=False,
        score__isnull=False,
    ).filter(
        Q(question__kind=QuestionKind.RATING, score__lte=LOW_RATING)
        | Q(question__kind=QuestionKind.NPS, score__lte=LOW_NPS)
    )
    for customer_id, kind, score in rows.values_list(
        "response__customer_id", "question__kind", "score"
    ):
        yield customer_id, score_0_100(kind, score)
