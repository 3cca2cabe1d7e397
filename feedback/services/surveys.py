"""Building surveys: from a template or blank, their questions (add, edit, reorder,
remove) and their life: draft → open → closed."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.models import (
    Choice,
    Question,
    QuestionKind,
    Survey,
    SurveyKind,
    SurveyStatus,
)
from feedback.survey_templates import TEMPLATES

CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
SURVEY_FIELDS = (
    "kind",
    "title",
    "title_en",
    "intro",
    "intro_en",
    "thanks",
    "thanks_en",
    "opens_at",
    "closes_at",
    "anonymous",
    "trigger",
    "trigger_delay_days",
    "event",
    "campaign",
)


def _require_editable(survey: Survey) -> None:
    if survey.status == SurveyStatus.CLOSED:
        raise ValidationError(_("A closed survey cannot be changed."))


@transaction.atomic
def survey_create(*, user, department, data: dict, from_template: bool = False) -> Survey:
    """A draft survey; with ``from_template`` the kind's ready-made texts and questions
    (``feedback.survey_templates``) fill whatever ``data`` leaves empty."""
    kind = data.get("kind") or SurveyKind.CUSTOM
    template = TEMPLATES.get(kind) if from_template else None
    values = {field: data[field] for field in SURVEY_FIELDS if field in data}
    if template:
        for field in ("title", "title_en", "intro", "intro_en", "trigger", "trigger_delay_days"):
            if not values.get(field) and field in template:
                values[field] = template[field]
    survey = Survey(department=department, created_by=user, status=SurveyStatus.DRAFT, **values)
    survey.full_clean()
    survey.save()
    if template:
        for position, spec in enumerate(template["questions"]):
            question = Question.objects.create(
                survey=survey,
                kind=spec["kind"],
                text=spec["text"],
                text_en=spec["text_en"],
                topic=spec["topic"],
                required=spec.get("required", True),
                position=position,
            )
            Choice.objects.bulk_create(
                Choice(question=question, text=zh, text_en=en, position=i)
                for i, (zh, en) in enumerate(spec.get("choices", ()))
            )
    return survey


def survey_update(*, survey: Survey, user, data: dict) -> Survey:
    _require_editable(survey)
    for field in SURVEY_FIELDS:
        if field in data:
            setattr(survey, field, data[field])
    survey.full_clean()
    survey.save()
    return survey


def parse_choices(text: str) -> list[tuple[str, str]]:
    """One choice a line, ``中文 | English`` (the English part optional)."""
    choices = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        zh, _sep, en = line.partition("|")
        zh, en = zh.strip()[:150], en.strip()[:150]
        if not zh:
            raise ValidationError({"choices": _("Each choice needs its Chinese text.")})
        choices.append((zh, en))
    return choices


@transaction.atomic
def question_save(
    *, survey: Survey, user, data: dict, choices: list[tuple[str, str]], question=None
) -> Question:
    """Add (``question`` None) or change a question; a choice question needs at least
    two choices. Changing choices of a question already answered keeps the answered ones."""
    _require_editable(survey)
    kind = data.get("kind") or (question.kind if question else "")
    if kind in CHOICE_KINDS and len(choices) < 2:
        raise ValidationError({"choices": _("A choice question needs at least two choices.")})
    if question is None:
        last = survey.questions.order_by("-position").values_list("position", flat=True).first()
        question = Question(survey=survey, position=0 if last is None else last + 1)
    for field in ("kind", "text", "text_en", "topic", "required"):
        if field in data:
            setattr(question, field, data[field])
    question.full_clean()
    question.save()
    if kind in CHOICE_KINDS:
        existing = list(question.choices.all())
        for position, (zh, en) in enumerate(choices):
            if position < len(existing):
                choice = existing[position]
                choice.text, choice.text_en, choice.position = zh, en, position
                choice.save()
            else:
                Choice.objects.create(question=question, text=zh, text_en=en, position=position)
        for choice in existing[len(choices) :]:
            choice.delete()
    else:
        question.choices.all().delete()
    return question


def question_delete(*, question: Question, user) -> None:
    survey = question.survey
    _require_editable(survey)
    if survey.status != SurveyStatus.DRAFT and question.answers.exists():
        raise ValidationError(_("This question has answers; close the survey instead."))
    question.delete()


@transaction.atomic
def question_move(*, question: Question, user, up: bool) -> None:
    """Swap the question with its neighbour (positions renumbered 0…n first)."""
    _require_editable(question.survey)
    questions = list(Question.objects.select_for_update().filter(survey=question.survey_id))
    for position, item in enumerate(questions):
        if item.position != position:
            Question.objects.filter(pk=item.pk).update(position=position)
            item.position = position
    index = next(i for i, item in enumerate(questions) if item.pk == question.pk)
    other = index - 1 if up else index + 1
    if other < 0 or other >= len(questions):
        return
    a, b = questions[index], questions[other]
    Question.objects.filter(pk=a.pk).update(position=b.position)
    Question.objects.filter(pk=b.pk).update(position=a.position)


def survey_open(*, survey: Survey, user=None, now: dt.datetime | None = None) -> Survey:
    now = now or timezone.now()
    if survey.status != SurveyStatus.DRAFT:
        raise ValidationError(_("Only a draft survey can be opened."))
    if not survey.questions.exists():
        raise ValidationError(_("Add at least one question before opening the survey."))
    for question in survey.questions.filter(kind__in=CHOICE_KINDS):
        if question.choices.count() < 2:
            raise ValidationError(
                _("The question “%(text)s” needs at least two choices.") % {"text": question.text}
            )
    if survey.closes_at and survey.closes_at <= now:
        raise ValidationError(_("The closing date has passed; change it before opening."))
    survey.status = SurveyStatus.OPEN
    survey.opens_at = survey.opens_at or now
    survey.save(update_fields=["status", "opens_at", "updated_at"])
    return survey


def survey_close(*, survey: Survey, user=None, now: dt.datetime | None = None) -> Survey:
    if survey.status != SurveyStatus.OPEN:
        raise ValidationError(_("Only an open survey can be closed."))
    now = now or timezone.now()
    survey.status = SurveyStatus.CLOSED
    if not survey.closes_at or survey.closes_at > now:
        survey.closes_at = now
    if survey.opens_at and survey.closes_at <= survey.opens_at:
        survey.opens_at = None
    survey.save(update_fields=["status", "closes_at", "opens_at", "updated_at"])
    return survey


def surveys_close_due(*, now: dt.datetime | None = None) -> int:
    """Close every open survey past its closing time (the beat task); their queued
    invitations are cancelled with them. Idempotent."""
    now = now or timezone.now()
    due = Survey.objects.filter(status=SurveyStatus.OPEN, closes_at__lte=now)
    closed = 0
    for survey in due:
        survey_close(survey=survey, now=now)
        closed += 1
    return closed
