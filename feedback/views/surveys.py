"""Staff pages of surveys: the list, the builder (questions added, edited, moved,
removed), opening and closing, invitations and reminders, coverage, and answers typed in
from a phone call or a visit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecrm.core.scoping import get_visible_or_404
from feedback.forms import InviteCustomerForm, QuestionForm, StaffEntryForm, SurveyForm
from feedback.models import Question, ResponseSource, Survey, SurveyStatus
from feedback.selectors.surveys import (
    accepts_answers,
    recent_responses,
    survey_coverage,
    survey_invitations,
    survey_questions,
    visible_surveys,
)
from feedback.services.distribution import (
    customer_invite,
    segment_customers_invite,
    survey_remind,
)
from feedback.services.responses import TEXT_MAX_LENGTH, SurveyClosed, response_submit
from feedback.services.surveys import (
    parse_choices,
    question_delete,
    question_move,
    question_save,
    survey_close,
    survey_create,
    survey_open,
    survey_update,
)
from feedback.views.public import answers_from_post, question_rows


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for messages_ in exc.message_dict.values() for m in messages_]
    return list(exc.messages)


def _flash(request, exc: ValidationError) -> None:
    for text in _errors(exc):
        messages.error(request, text)


@login_required
@permission_required("feedback.view_survey", raise_exception=True)
def survey_list(request):
    status = request.GET.get("status", "")
    surveys = visible_surveys(request.user)
    if status in SurveyStatus.values:
        surveys = surveys.filter(status=status)
    return render(
        request,
        "feedback/survey_list.html",
        {"surveys": surveys[:200], "status": status, "statuses": SurveyStatus.choices},
    )


@login_required
@permission_required("feedback.add_survey", raise_exception=True)
def survey_create_view(request):
    form = SurveyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            survey = survey_create(
                user=request.user,
                department=form.cleaned_data["department"],
                data=form.service_fields(),
                from_template=form.cleaned_data.get("use_template", False),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            survey.target_segments.set(form.cleaned_data["target_segments"])
            messages.success(request, _("Survey created as a draft."))
            return redirect("feedback:survey", survey.pk)
    return render(request, "feedback/survey_form.html", {"form": form})


@login_required
@permission_required("feedback.change_survey", raise_exception=True)
def survey_edit(request, pk: int):
    survey = get_visible_or_404(request.user, Survey.objects.all(), pk=pk)
    form = SurveyForm(request.POST or None, instance=survey, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            survey_update(survey=survey, user=request.user, data=form.service_fields())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            survey.target_segments.set(form.cleaned_data["target_segments"])
            messages.success(request, _("Survey saved."))
            return redirect("feedback:survey", survey.pk)
    return render(request, "feedback/survey_form.html", {"form": form, "survey": survey})


def _detail_context(request, survey: Survey, **extra) -> dict:
    questions = survey_questions(survey)
    return {
        "survey": survey,
        "questions": questions,
        "entry_rows": question_rows(
            questions, extra.pop("entry_values", {}), extra.pop("entry_errors", {})
        ),
        "text_max": TEXT_MAX_LENGTH,
        "coverage": survey_coverage(survey),
        "invitations": survey_invitations(survey)[:100],
        "responses": recent_responses(survey),
        "accepting": accepts_answers(survey),
        "question_form": QuestionForm(),
        "invite_form": InviteCustomerForm(user=request.user),
        "entry_form": StaffEntryForm(user=request.user),
        **extra,
    }


@login_required
@permission_required("feedback.view_survey", raise_exception=True)
def survey_detail(request, pk: int):
    survey = get_visible_or_404(request.user, Survey.objects.select_related("department"), pk=pk)
    return render(request, "feedback/survey_detail.html", _detail_context(request, survey))


@login_required
@permission_required("feedback.change_survey", raise_exception=True)
@require_POST
def survey_status(request, pk: int):
    survey = get_visible_or_404(request.user, Survey.objects.all(), pk=pk)
    action = request.POST.get("action")
    try:
        if action == "open":
            survey_open(survey=survey, user=request.user)
            messages.success(request, _("The survey is open."))
        elif action == "close":
            survey_close(survey=survey, user=request.user)
            messages.success(request, _("The survey is closed."))
        else:
            messages.error(request, _("Unknown action."))
    except ValidationError as exc:
        _flash(request, exc)
    return redirect("feedback:survey", survey.pk)


@login_required
@permission_required("feedback.add_question", raise_exception=True)
def question_add(request, pk: int):
    survey = get_visible_or_404(request.user, Survey.objects.all(), pk=pk)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            question_save(
                survey=survey,
                user=request.user,
                data=form.service_fields(),
                choices=parse_choices(form.cleaned_data["choices"]),
            )
        except ValidationError as exc:
            _add(form, exc)
        else:
            messages.success(request, _("Question added."))
            return redirect("feedback:survey", survey.pk)
    return render(request, "feedback/survey_question_form.html", {"form": form, "survey": survey})


def _add(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
@permission_required("feedback.change_question", raise_exception=True)
def question_edit(request, pk: int):
    question = get_visible_or_404(request.user, Question.objects.select_related("survey"), pk=pk)
    form = QuestionForm(request.POST or None, instance=question)
    if request.method == "POST" and form.is_valid():
        try:
            question_save(
                survey=question.survey,
                user=request.user,
                data=form.service_fields(),
                choices=parse_choices(form.cleaned_data["choices"]),
                question=question,
            )
        except ValidationError as exc:
            _add(form, exc)
        else:
            messages.success(request, _("Question saved."))
            return redirect("feedback:survey", question.survey_id)
    return render(
        request,
        "feedback/survey_question_form.html",
        {"form": form, "survey": question.survey, "question": question},
    )


@login_required
@permission_required("feedback.change_question", raise_exception=True)
@require_POST
def question_move_view(request, pk: int):
    question = get_visible_or_404(request.user, Question.objects.select_related("survey"), pk=pk)
    try:
        question_move(question=question, user=request.user, up=request.POST.get("up") == "1")
    except ValidationError as exc:
        _flash(request, exc)
    return redirect(
        reverse("feedback:survey", args=[question.survey_id]) + f"#question-{question.pk}"
    )


@login_required
@permission_required("feedback.delete_question", raise_exception=True)
@require_POST
def question_delete_view(request, pk: int):
    question = get_visible_or_404(request.user, Question.objects.select_related("survey"), pk=pk)
    survey_id = question.survey_id
    try:
        question_delete(question=question, user=request.user)
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("Question removed."))
    return redirect("feedback:survey", survey_id)


@login_required
@permission_required("feedback.add_surveyinvitation", raise_exception=True)
@require_POST
def survey_invite(request, pk: int):
    """Invite the target segments, or one customer when the form names one."""
    survey = get_visible_or_404(request.user, Survey.objects.all(), pk=pk)
    try:
        if "customer" in request.POST:
            form = InviteCustomerForm(request.POST, user=request.user)
            if not form.is_valid():
                for errors in form.errors.values():
                    for text in errors:
                        messages.error(request, text)
                return redirect("feedback:survey", survey.pk)
            customer_invite(
                survey=survey, customer=form.cleaned_data["customer"], user=request.user
            )
            messages.success(request, _("Invitation sent."))
        else:
            result = segment_customers_invite(survey=survey, user=request.user)
            messages.success(
                request,
                _("%(n)s customers invited; %(q)s messages queued.")
                % {"n": result.invited, "q": result.messages.queued},
            )
    except ValidationError as exc:
        _flash(request, exc)
    return redirect("feedback:survey", survey.pk)


@login_required
@permission_required("feedback.change_surveyinvitation", raise_exception=True)
@require_POST
def survey_remind_view(request, pk: int):
    survey = get_visible_or_404(request.user, Survey.objects.all(), pk=pk)
    try:
        count = survey_remind(survey=survey, user=request.user)
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("%(n)s customers reminded.") % {"n": count})
    return redirect("feedback:survey", survey.pk)


@login_required
@permission_required("feedback.add_response", raise_exception=True)
def response_entry(request, pk: int):
    """Answers collected by phone or face to face, typed in by staff."""
    survey = get_visible_or_404(request.user, Survey.objects.select_related("department"), pk=pk)
    if request.method != "POST":
        return redirect(reverse("feedback:survey", args=[survey.pk]) + "#staff-entry")
    form = StaffEntryForm(request.POST, user=request.user)
    answers = answers_from_post(request.POST)
    entry_errors: dict = {}
    if form.is_valid():
        try:
            response_submit(
                survey=survey,
                customer=form.cleaned_data["customer"],
                answers=answers,
                source=form.cleaned_data["source"] or ResponseSource.PHONE,
                user=request.user,
            )
        except SurveyClosed:
            form.add_error(None, _("This survey does not take answers now."))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                if field in form.fields:
                    form.add_error(field, errors)
                else:
                    entry_errors[field] = errors
        else:
            messages.success(request, _("Answers saved."))
            return redirect("feedback:survey", survey.pk)
    context = _detail_context(
        request,
        survey,
        entry_form=form,
        entry_errors=entry_errors,
        entry_values=answers,
        entry_open=True,
    )
    return render(request, "feedback/survey_detail.html", context, status=400)
