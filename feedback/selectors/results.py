"""Survey results (care programme §7): every figure the results page, the satisfaction
overview, the exports, the event review and the campaign panel show, computed here with
set-based aggregates so they always agree.

Definitions (also stated on the page, :func:`definitions`):

Response rate
    answered invitations / invitations of the survey × 100 (an invitation is answered
    when a response is linked to it; responses entered by staff without an invitation
    count in the totals but not in the rate).
CSAT
    answers 4 or 5 / all answers to rating questions (1–5) × 100.
NPS
    (answers 9–10 − answers 0–6) / all answers to NPS questions (0–10) × 100, a number
    from −100 to 100.
No answers
    a figure without answers is "—", never 0 and never a division error.
Breakdowns
    grouped by the responding customer's value tier, VIP level, region and relationship
    manager as they are now; anonymous responses count in the totals but in no breakdown
    by person. Event and campaign are the survey's own, so every response counts there.
Quarter-over-quarter trend
    CSAT and NPS of the answers submitted in each calendar quarter (local time); the
    change is the difference in percentage points (CSAT) and points (NPS).
"""

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncQuarter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecrm.core.scoping import visible_to
from customers.models import ValueTier, VipLevel
from feedback.models import (
    Answer,
    QuestionKind,
    Response,
    Survey,
    SurveyInvitation,
)

HUNDRED = Decimal(100)
TENTH = Decimal("0.1")
DASH = "—"

RATING = Q(question__kind=QuestionKind.RATING, score__isnull=False)
NPS = Q(question__kind=QuestionKind.NPS, score__isnull=False)


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` × 100, one place rounded half up; None without a whole."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


def show_percent(value: Decimal | None) -> str:
    return DASH if value is None else f"{value} %"


def show_score(value: Decimal | None) -> str:
    return DASH if value is None else f"{value}"


def show_points(value: Decimal | None) -> str:
    return DASH if value is None else f"{value:+}"


def score_aggregates(prefix: str = "") -> dict:
    """Filtered counts over answers (``prefix`` reaches answers from another model)."""

    def q(condition: Q) -> Q:
        if not prefix:
            return condition
        return Q(*[(f"{prefix}{k}", v) for k, v in condition.children])

    return {
        "rating_answers": Count(f"{prefix}pk", filter=q(RATING)),
        "satisfied": Count(f"{prefix}pk", filter=q(RATING) & Q(**{f"{prefix}score__gte": 4})),
        "nps_answers": Count(f"{prefix}pk", filter=q(NPS)),
        "promoters": Count(f"{prefix}pk", filter=q(NPS) & Q(**{f"{prefix}score__gte": 9})),
        "detractors": Count(f"{prefix}pk", filter=q(NPS) & Q(**{f"{prefix}score__lte": 6})),
    }


@dataclass
class Scores:
    """Counts of one group of answers and the CSAT and NPS they give."""

    rating_answers: int = 0
    satisfied: int = 0
    nps_answers: int = 0
    promoters: int = 0
    detractors: int = 0
    responses: int = 0

    @classmethod
    def of(cls, row: dict) -> "Scores":
        return cls(**{k: row.get(k) or 0 for k in cls.__dataclass_fields__})

    @property
    def csat(self) -> Decimal | None:
        return percent(self.satisfied, self.rating_answers)

    @property
    def nps(self) -> Decimal | None:
        return percent(self.promoters - self.detractors, self.nps_answers)

    @property
    def csat_text(self) -> str:
        return show_percent(self.csat)

    @property
    def nps_text(self) -> str:
        return show_score(self.nps)


def scores(answers: QuerySet) -> Scores:
    """CSAT and NPS of ``answers`` in one query."""
    row = answers.aggregate(**score_aggregates(), responses=Count("response", distinct=True))
    return Scores.of(row)


# --- breakdowns -------------------------------------------------------------------------


@dataclass
class BreakdownRow:
    label: str
    scores: Scores


@dataclass
class Breakdown:
    key: str
    title: str
    rows: list[BreakdownRow]
    by_person: bool = True


def _labels(choices) -> dict:
    return {value: str(label) for value, label in choices.choices}


DIMENSIONS = [
    # key, title, answer lookup, by person, label function
    ("value_tier", gettext_lazy("Value tier"), "response__customer__value_tier", True),
    ("vip_level", gettext_lazy("VIP level"), "response__customer__vip_level", True),
    ("region", gettext_lazy("Region"), "response__customer__region", True),
    (
        "relationship_manager",
        gettext_lazy("Relationship manager"),
        "response__customer__relationship_manager",
        True,
    ),
    ("event", gettext_lazy("Event"), "response__survey__event", False),
    ("campaign", gettext_lazy("Campaign"), "response__survey__campaign", False),
]


def _dimension_labels(key: str, values: set) -> dict:
    from campaigns.models import CareCampaign
    from carecrm.accounts.models import User
    from events.models import Event

    if key == "value_tier":
        return _labels(ValueTier)
    if key == "vip_level":
        return _labels(VipLevel)
    if key == "relationship_manager":
        return {u.pk: str(u) for u in User.objects.filter(pk__in=values)}
    if key == "event":
        return dict(Event.objects.filter(pk__in=values).values_list("pk", "title"))
    if key == "campaign":
        return dict(CareCampaign.objects.filter(pk__in=values).values_list("pk", "name"))
    return {}


def breakdowns(answers: QuerySet) -> list[Breakdown]:
    """One grouped query per dimension; person dimensions skip anonymous responses."""
    result = []
    for key, title, lookup, by_person in DIMENSIONS:
        rows = answers
        if by_person:
            rows = rows.filter(response__customer__isnull=False)
        grouped = list(
            rows.values(lookup)
            .annotate(**score_aggregates(), responses=Count("response", distinct=True))
            .order_by(lookup)
        )
        labels = _dimension_labels(key, {r[lookup] for r in grouped})
        none_label = _("Not set") if by_person else _("None")
        result.append(
            Breakdown(
                key=key,
                title=str(title),
                by_person=by_person,
                rows=[
                    BreakdownRow(
                        label=str(labels.get(r[lookup]) or r[lookup] or none_label),
                        scores=Scores.of(r),
                    )
                    for r in grouped
                ],
            )
        )
    return result


# --- trend ------------------------------------------------------------------------------


@dataclass
class QuarterRow:
    quarter: str
    start: dt.date
    scores: Scores
    csat_change: Decimal | None = None
    nps_change: Decimal | None = None

    @property
    def csat_change_text(self) -> str:
        return show_points(self.csat_change)

    @property
    def nps_change_text(self) -> str:
        return show_points(self.nps_change)


def quarter_label(start: dt.date) -> str:
    return _("%(year)s Q%(quarter)s") % {"year": start.year, "quarter": (start.month - 1) // 3 + 1}


def _change(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    if now is None or before is None:
        return None
    return now - before


def trend(answers: QuerySet) -> list[QuarterRow]:
    """CSAT and NPS per calendar quarter (local time), oldest first, with the change
    against the quarter before in points."""
    grouped = (
        answers.annotate(quarter=TruncQuarter("response__submitted_at"))
        .values("quarter")
        .annotate(**score_aggregates(), responses=Count("response", distinct=True))
        .order_by("quarter")
    )
    rows: list[QuarterRow] = []
    for row in grouped:
        start = row["quarter"]
        if isinstance(start, dt.datetime):
            start = timezone.localtime(start).date() if timezone.is_aware(start) else start.date()
        current = QuarterRow(quarter=quarter_label(start), start=start, scores=Scores.of(row))
        if rows and rows[-1].start == previous_quarter(start):
            current.csat_change = _change(current.scores.csat, rows[-1].scores.csat)
            current.nps_change = _change(current.scores.nps, rows[-1].scores.nps)
        rows.append(current)
    return rows


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def previous_quarter(start: dt.date) -> dt.date:
    return quarter_start(start - dt.timedelta(days=1))


def next_quarter(start: dt.date) -> dt.date:
    return quarter_start(start + dt.timedelta(days=92))


# --- one survey -------------------------------------------------------------------------


@dataclass
class QuestionResult:
    question: object
    total: int = 0
    counts: list[tuple[str, int]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    @property
    def chart_json(self) -> str:
        return json.dumps(
            {
                "type": self.question.kind,
                "labels": [label for label, _n in self.counts],
                "data": [n for _label, n in self.counts],
                "title": str(_("Answers")),
            },
            ensure_ascii=False,
        )


@dataclass
class SurveyResults:
    survey: Survey
    invitations: int
    answered_invitations: int
    responses: int
    scores: Scores
    questions: list[QuestionResult]
    breakdowns: list[Breakdown]
    trend: list[QuarterRow]

    @property
    def response_rate(self) -> Decimal | None:
        return percent(self.answered_invitations, self.invitations)

    @property
    def response_rate_text(self) -> str:
        return show_percent(self.response_rate)

    def figures(self) -> list[tuple[str, str]]:
        """The headline figures as (label, text), in the order the page and exports show."""
        return [
            (_("Invitations"), str(self.invitations)),
            (_("Answered invitations"), str(self.answered_invitations)),
            (_("Responses"), str(self.responses)),
            (_("Response rate"), self.response_rate_text),
            (_("CSAT"), self.scores.csat_text),
            (_("NPS"), self.scores.nps_text),
        ]


def survey_answers(survey: Survey) -> QuerySet:
    return Answer.objects.filter(response__survey=survey)


def _question_results(survey: Survey) -> list[QuestionResult]:
    """Score and choice counts in two grouped queries, the latest texts in one."""
    questions = list(survey.questions.prefetch_related("choices"))
    score_counts = defaultdict(dict)
    for row in (
        Answer.objects.filter(question__survey=survey, score__isnull=False)
        .values("question_id", "score")
        .annotate(n=Count("pk"))
    ):
        score_counts[row["question_id"]][row["score"]] = row["n"]
    choice_counts = defaultdict(int)
    for row in (
        Answer.choices.through.objects.filter(answer__question__survey=survey)
        .values("choice_id")
        .annotate(n=Count("pk"))
    ):
        choice_counts[row["choice_id"]] = row["n"]
    answered = dict(
        Answer.objects.filter(question__survey=survey)
        .values("question_id")
        .annotate(n=Count("pk"))
        .values_list("question_id", "n")
    )
    texts = defaultdict(list)
    for question_id, text in (
        Answer.objects.filter(question__survey=survey)
        .exclude(text="")
        .order_by("-response__submitted_at", "-pk")
        .values_list("question_id", "text")[:500]
    ):
        if len(texts[question_id]) < 20:
            texts[question_id].append(text)
    results = []
    for question in questions:
        result = QuestionResult(question=question, total=answered.get(question.pk, 0))
        if question.kind == QuestionKind.RATING:
            result.counts = [(str(s), score_counts[question.pk].get(s, 0)) for s in range(1, 6)]
        elif question.kind == QuestionKind.NPS:
            result.counts = [(str(s), score_counts[question.pk].get(s, 0)) for s in range(0, 11)]
        elif question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            result.counts = [
                (
                    choice.text_en if _is_english() and choice.text_en else choice.text,
                    choice_counts.get(choice.pk, 0),
                )
                for choice in question.choices.all()
            ]
        result.texts = texts.get(question.pk, [])
        results.append(result)
    return results


def _is_english() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "").startswith("en")


def survey_results(survey: Survey) -> SurveyResults:
    """Everything the results page of one survey shows (the caller has checked scope)."""
    invited = SurveyInvitation.objects.filter(survey=survey).aggregate(
        invitations=Count("pk"), answered=Count("pk", filter=Q(response__isnull=False))
    )
    answers = survey_answers(survey)
    return SurveyResults(
        survey=survey,
        invitations=invited["invitations"],
        answered_invitations=invited["answered"],
        responses=Response.objects.filter(survey=survey).count(),
        scores=scores(answers),
        questions=_question_results(survey),
        breakdowns=breakdowns(answers),
        trend=trend(answers),
    )


# --- across surveys ---------------------------------------------------------------------


@dataclass
class SurveyRow:
    survey: Survey
    scores: Scores


@dataclass
class Overview:
    surveys: list[SurveyRow]
    scores: Scores
    breakdowns: list[Breakdown]
    trend: list[QuarterRow]


def visible_surveys(user, department=None) -> QuerySet:
    surveys = visible_to(user, Survey.objects.all())
    if department is not None:
        surveys = surveys.filter(department=department)
    return surveys


def satisfaction_overview(user, department=None) -> Overview:
    """CSAT and NPS across the surveys the user sees (optionally one department's)."""
    surveys = visible_surveys(user, department)
    answers = Answer.objects.filter(response__survey__in=surveys)
    rows = (
        surveys.select_related("department")
        .annotate(
            **score_aggregates("responses__answers__"),
            responses_count=Count("responses", distinct=True),
        )
        .order_by("-created_at", "-pk")[:200]
    )
    table = []
    for survey in rows:
        values = {k: getattr(survey, k) for k in score_aggregates()}
        values["responses"] = survey.responses_count
        table.append(SurveyRow(survey=survey, scores=Scores.of(values)))
    return Overview(
        surveys=table,
        scores=scores(answers),
        breakdowns=breakdowns(answers),
        trend=trend(answers),
    )


def trend_chart_json(rows: list[QuarterRow]) -> str:
    return json.dumps(
        {
            "labels": [r.quarter for r in rows],
            "series": [
                {"label": str(_("CSAT (%)")), "data": [_num(r.scores.csat) for r in rows]},
                {"label": str(_("NPS")), "data": [_num(r.scores.nps) for r in rows]},
            ],
        }
    )


def _num(value: Decimal | None):
    return None if value is None else float(value)


# --- events and campaigns ---------------------------------------------------------------


def linked_answers(**survey_filter) -> QuerySet:
    return Answer.objects.filter(**{f"response__survey__{k}": v for k, v in survey_filter.items()})


def event_satisfaction(event) -> Decimal | None:
    """CSAT of the answers to the surveys linked to the event."""
    return scores(linked_answers(event=event)).csat


def event_feedback_rate(event) -> Decimal | None:
    """Attendees (guests checked in) who answered a survey linked to the event / attendees."""
    from events.models import Guest

    attendees = Guest.objects.filter(event=event, checked_in_at__isnull=False)
    counts = attendees.aggregate(
        attended=Count("customer", distinct=True),
        answered=Count(
            "customer",
            distinct=True,
            filter=Q(customer__survey_responses__survey__event=event),
        ),
    )
    return percent(counts["answered"], counts["attended"])


def definitions() -> list[tuple[str, str]]:
    """The formulas as the page states them."""
    return [
        (
            _("Response rate"),
            _(
                "Answered invitations ÷ invitations × 100. Responses entered without an "
                "invitation count in the totals, not in the rate."
            ),
        ),
        (_("CSAT"), _("Answers of 4 or 5 ÷ all answers to 1–5 rating questions × 100.")),
        (
            _("NPS"),
            _(
                "(Answers of 9–10 − answers of 0–6) ÷ all answers to 0–10 questions × 100, "
                "from −100 to 100."
            ),
        ),
        (
            _("Breakdowns"),
            _(
                "Grouped by the responding customer's current attributes. Anonymous responses "
                "count in the totals but in no breakdown by person (value tier, VIP level, "
                "region, relationship manager); event and campaign are the survey's own."
            ),
        ),
        (
            _("Trend"),
            _(
                "CSAT and NPS of the answers submitted in each calendar quarter; the change "
                "against the quarter before is in percentage points (CSAT) and points (NPS)."
            ),
        ),
        (_("No answers"), _("A figure without answers shows “—”.")),
    ]
