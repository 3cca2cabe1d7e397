"""Saving answers, wherever they come from — the customer's page, a member of staff
typing in what was said on the phone or face to face, the API. One response per
invitation: a second submission edits the first. Every save sends
``feedback.signals.response_saved``."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.models import (
    Answer,
    QuestionKind,
    Response,
    ResponseSource,
    Survey,
    SurveyInvitation,
)
from feedback.selectors.surveys import accepts_answers, survey_questions
from feedback.signals import response_saved

TEXT_MAX_LENGTH = 2000
SCORE_RANGE = {QuestionKind.RATING: (1, 5), QuestionKind.NPS: (0, 10)}


class SurveyClosed(Exception):
    """The survey does not take answers (draft, closed, or outside its dates)."""


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if str(v).strip() != ""]
    return [value] if str(value).strip() != "" else []


def clean_answers(survey: Survey, answers: dict) -> dict:
    """``answers`` (question id → score, choice id(s) or text) checked against the
    survey's own questions. Returns question → (score, choice ids, text); raises a
    ValidationError keyed ``q<id>`` (``__all__`` for a question of another survey)."""
    questions = {question.pk: question for question in survey_questions(survey)}
    errors: dict[str, list[str]] = {}
    given: dict[int, object] = {}
    for key, value in answers.items():
        try:
            question_id = int(str(key).removeprefix("q"))
        except ValueError:
            question_id = None
        if question_id not in questions:
            errors.setdefault("__all__", []).append(
                _("An answer was sent for a question that is not in this survey.")
            )
            continue
        given[question_id] = value
    cleaned = {}
    for question_id, question in questions.items():
        key = f"q{question_id}"
        values = _as_list(given.get(question_id))
        if not values:
            if question.required:
                errors[key] = [_("Please answer this question.")]
            continue
        if question.kind in SCORE_RANGE:
            low, high = SCORE_RANGE[question.kind]
            try:
                score = int(str(values[0]).strip())
            except ValueError:
                score = None
            if len(values) != 1 or score is None or not low <= score <= high:
                errors[key] = [
                    _("Choose a score from %(low)s to %(high)s.") % {"low": low, "high": high}
                ]
                continue
            cleaned[question] = (score, [], "")
        elif question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            own = {choice.pk for choice in question.choices.all()}
            try:
                chosen = sorted({int(str(v)) for v in values})
            except ValueError:
                chosen = None
            if chosen is None or not set(chosen) <= own:
                errors[key] = [_("Choose one of the answers offered.")]
                continue
            if question.kind == QuestionKind.SINGLE and len(chosen) > 1:
                errors[key] = [_("Choose only one answer.")]
                continue
            cleaned[question] = (None, chosen, "")
        else:
            text = str(values[0]).replace("\x00", "").strip()
            if len(values) > 1:
                errors[key] = [_("Send one text for this question.")]
            elif len(text) > TEXT_MAX_LENGTH:
                errors[key] = [
                    _("At most %(max)s characters, please (you wrote %(n)s).")
                    % {"max": TEXT_MAX_LENGTH, "n": len(text)}
                ]
            elif text:
                cleaned[question] = (None, [], text)
            elif question.required:
                errors[key] = [_("Please answer this question.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def response_submit(
    *,
    invitation: SurveyInvitation | None = None,
    survey: Survey | None = None,
    customer=None,
    answers: dict,
    source: str = ResponseSource.ONLINE,
    user=None,
) -> Response:
    """Save one customer's answers. Staff entry passes ``survey`` and ``customer`` (the
    invitation is found or made, so the customer still answers once). Raises
    :class:`SurveyClosed` or ValidationError; nothing is saved then."""
    if source not in ResponseSource.values:
        raise ValidationError({"source": _("Choose how the answers were collected.")})
    if invitation is None:
        if survey is None or customer is None:
            raise ValueError("response_submit needs an invitation, or a survey and a customer")
        if customer.department_id != survey.department_id:
            raise ValidationError(
                {"customer": _("Only customers of the survey's department can answer it.")}
            )
        invitation, _created = SurveyInvitation.objects.get_or_create(
            survey=survey, customer=customer, defaults={"reason": _("Entered by staff")}
        )
    survey = invitation.survey
    if not accepts_answers(survey):
        raise SurveyClosed
    cleaned = clean_answers(survey, answers)
    now = timezone.now()
    with transaction.atomic():
        invitation = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
        response = Response.objects.filter(invitation=invitation).first()
        created = response is None
        if created:
            response = Response(survey=survey, invitation=invitation, submitted_at=now)
        response.customer = None if survey.anonymous else invitation.customer
        response.source = source
        if user is not None:
            response.entered_by = user
        response.save()
        response.answers.all().delete()
        for question, (score, choice_ids, text) in cleaned.items():
            answer = Answer.objects.create(
                response=response, question=question, score=score, text=text
            )
            if choice_ids:
                answer.choices.set(choice_ids)
        if invitation.responded_at is None:
            invitation.responded_at = now
            invitation.save(update_fields=["responded_at"])
    response_saved.send(sender=Response, response=response, created=created)
    return response
