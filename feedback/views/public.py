"""The customer's survey page (``/q/<token>/``), opened from the personal link without
logging in: the questions in the customer's language, their saved answers when they come
back (a second submission edits, never duplicates), and a clear page when the survey no
longer takes answers. The signed token is the credential (``feedback.tokens``): a bad,
tampered or foreign token is the customer's own 404 page."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from carecrm.core.errors import public_not_found
from carecrm.core.public import no_store, public_page
from delivery.selectors.preferences import mask_name
from feedback.models import ResponseSource, SurveyStatus
from feedback.selectors.surveys import (
    accepts_answers,
    invitation_for_token,
    invitation_response,
    saved_values,
    survey_questions,
)
from feedback.services.responses import TEXT_MAX_LENGTH, SurveyClosed, response_submit
from feedback.sources import survey_title


def answers_from_post(data) -> dict:
    """The ``q<id>`` fields of a posted form, each as its list of values."""
    return {
        key: data.getlist(key)
        for key in data
        if key.startswith("q") and key[1:].isdigit() and len(key) < 12
    }


def localized(obj, field: str) -> str:
    """``obj.<field>_en`` on an English page when it is filled, else the Chinese text."""
    english = getattr(obj, f"{field}_en", "")
    if (translation.get_language() or "").startswith("en") and english:
        return english
    return getattr(obj, field)


def question_rows(questions, values: dict, errors: dict) -> list[dict]:
    """What the question partial shows: each question's text in the page's language, its
    choices and the value and error of its field."""
    rows = []
    for question in questions:
        key = f"q{question.pk}"
        value = values.get(key, "")
        if isinstance(value, list):
            chosen = [str(v) for v in value]
            value = chosen[0] if chosen else ""
        else:
            chosen = [str(value)] if value != "" else []
        rows.append(
            {
                "question": question,
                "name": key,
                "text": localized(question, "text"),
                "choices": [
                    {"pk": c.pk, "text": localized(c, "text"), "checked": str(c.pk) in chosen}
                    for c in question.choices.all()
                ],
                "value": str(value),
                "scale": range(1, 6) if question.kind == "rating" else range(0, 11),
                "errors": errors.get(key, []),
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
@public_page
@csrf_protect
def answer_view(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_for_token(token)
    if invitation is None:
        return public_not_found(request)
    if request.method == "POST":
        answers = answers_from_post(request.POST)
        try:
            response_submit(invitation=invitation, answers=answers, source=ResponseSource.ONLINE)
        except SurveyClosed:
            return _page(request, invitation, status=409, refused=True)
        except ValidationError as exc:
            return _page(request, invitation, status=400, errors=exc.message_dict, values=answers)
        return redirect(f"{request.path}?saved=1")
    return _page(request, invitation, saved=request.GET.get("saved") == "1")


def _page(request, invitation, *, status: int = 200, errors=None, values=None, **extra):
    survey = invitation.survey
    response = invitation_response(invitation)
    if values is None:
        values = saved_values(response)
    errors = errors or {}
    context = {
        "invitation": invitation,
        "survey": survey,
        "title": survey_title(survey),
        "intro": localized(survey, "intro"),
        "thanks": localized(survey, "thanks"),
        "masked_name": mask_name(invitation.customer.name),
        "accepting": accepts_answers(survey),
        "not_yet": survey.status == SurveyStatus.DRAFT,
        "answered": response is not None,
        "rows": question_rows(survey_questions(survey), values, errors),
        "general_errors": errors.get("__all__", []),
        "has_errors": bool(errors),
        "text_max": TEXT_MAX_LENGTH,
        **extra,
    }
    return no_store(render(request, "feedback/public/answer.html", context, status=status))
