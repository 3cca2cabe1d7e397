"""Reading surveys: the lists staff see, a survey's questions with their choices, who was
invited and answered (coverage), and the invitation behind a personal link."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from carecrm.core.scoping import visible_to
from feedback.models import (
    Answer,
    Choice,
    Question,
    Response,
    Survey,
    SurveyInvitation,
    SurveyStatus,
)
from feedback.tokens import read_invitation_token, token_matches

COVERAGE_GOAL = 80


def visible_surveys(user) -> QuerySet[Survey]:
    return visible_to(user, Survey.objects.select_related("department")).annotate(
        question_count=Count("questions", distinct=True),
        invited_count=Count("invitations", distinct=True),
        answered_count=Count(
            "invitations", filter=Q(invitations__responded_at__isnull=False), distinct=True
        ),
    )


def survey_questions(survey: Survey) -> list[Question]:
    return list(
        survey.questions.order_by("position", "id").prefetch_related(
            Prefetch("choices", queryset=Choice.objects.order_by("position", "id"))
        )
    )


def accepts_answers(survey: Survey, now: dt.datetime | None = None) -> bool:
    """Open, and inside its dates: what the public page and staff entry require."""
    now = now or timezone.now()
    return (
        survey.status == SurveyStatus.OPEN
        and (survey.opens_at is None or survey.opens_at <= now)
        and (survey.closes_at is None or survey.closes_at > now)
    )


@dataclass(frozen=True)
class Coverage:
    invited: int
    answered: int
    reminded: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.answered / self.invited) if self.invited else None

    @property
    def goal_met(self) -> bool:
        return self.percent is not None and self.percent >= COVERAGE_GOAL


def survey_coverage(survey: Survey) -> Coverage:
    """Share of invited customers who answered (the VIP survey's goal is 80 %)."""
    row = SurveyInvitation.objects.filter(survey=survey).aggregate(
        invited=Count("pk"),
        answered=Count("pk", filter=Q(responded_at__isnull=False)),
        reminded=Count("pk", filter=Q(reminded_at__isnull=False)),
    )
    return Coverage(**row)


def survey_invitations(survey: Survey) -> QuerySet[SurveyInvitation]:
    return SurveyInvitation.objects.filter(survey=survey).select_related("customer")


def invitation_for_token(token: str) -> SurveyInvitation | None:
    """The invitation a signed link names, or None for a bad, tampered or foreign token."""
    invitation_id = read_invitation_token(token)
    if invitation_id is None:
        return None
    invitation = (
        SurveyInvitation.objects.select_related("survey", "customer", "survey__department")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or not token_matches(token, invitation):
        return None
    return invitation


def invitation_response(invitation: SurveyInvitation) -> Response | None:
    return (
        Response.objects.filter(invitation=invitation)
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.prefetch_related("choices")))
        .first()
    )


def saved_values(response: Response | None) -> dict[str, object]:
    """The answers of a response as the page's form fields hold them (``q<id>``)."""
    if response is None:
        return {}
    values: dict[str, object] = {}
    for answer in response.answers.all():
        key = f"q{answer.question_id}"
        chosen = [str(choice.pk) for choice in answer.choices.all()]
        if chosen:
            values[key] = chosen
        elif answer.score is not None:
            values[key] = str(answer.score)
        else:
            values[key] = answer.text
    return values


def recent_responses(survey: Survey, limit: int = 50) -> QuerySet[Response]:
    return (
        Response.objects.filter(survey=survey)
        .select_related("customer", "entered_by")
        .order_by("-submitted_at", "-pk")[:limit]
    )
