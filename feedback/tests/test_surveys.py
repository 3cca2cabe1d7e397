"""The survey builder: templates in both languages, questions added and reordered, the
draft → open → closed life, and automatic closing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from feedback.models import Question, QuestionKind, Survey, SurveyKind, SurveyStatus, Topic
from feedback.services.surveys import (
    question_move,
    question_save,
    survey_create,
    survey_open,
    surveys_close_due,
)
from feedback.tests.factories import QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db


def test_the_vip_template_asks_about_service_product_speed_nps_and_a_comment(department_a, staff_a):
    survey = survey_create(
        user=staff_a,
        department=department_a,
        data={"kind": SurveyKind.VIP_QUARTERLY},
        from_template=True,
    )
    questions = list(survey.questions.all())
    assert [q.topic for q in questions[:3]] == [Topic.SERVICE_QUALITY, Topic.PRODUCT, Topic.SPEED]
    assert [q.kind for q in questions[3:]] == [QuestionKind.NPS, QuestionKind.TEXT]
    assert all(q.text and q.text_en for q in questions)
    assert survey.status == SurveyStatus.DRAFT and survey.title and survey.title_en


@pytest.mark.parametrize(
    "kind", [SurveyKind.POST_EVENT, SurveyKind.AFTER_SERVICE, SurveyKind.AFTER_PURCHASE]
)
def test_every_template_makes_an_openable_survey(department_a, staff_a, kind):
    survey = survey_create(
        user=staff_a, department=department_a, data={"kind": kind}, from_template=True
    )
    assert survey.trigger
    survey_open(survey=survey)
    assert survey.status == SurveyStatus.OPEN


def test_a_survey_without_questions_cannot_open(department_a, staff_a):
    survey = SurveyFactory(department=department_a, status=SurveyStatus.DRAFT)
    with pytest.raises(ValidationError, match="at least one question"):
        survey_open(survey=survey)
    client = Client()
    client.force_login(staff_a)
    client.post(f"/feedback/surveys/{survey.pk}/status/", {"action": "open"})
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.DRAFT


def test_a_choice_question_needs_two_choices(department_a, staff_a):
    survey = SurveyFactory(department=department_a, status=SurveyStatus.DRAFT)
    with pytest.raises(ValidationError):
        question_save(
            survey=survey,
            user=staff_a,
            data={"kind": QuestionKind.SINGLE, "text": "哪个?", "topic": Topic.OTHER},
            choices=[("一", "One")],
        )
    question = question_save(
        survey=survey,
        user=staff_a,
        data={"kind": QuestionKind.SINGLE, "text": "哪个?", "topic": Topic.OTHER},
        choices=[("一", "One"), ("二", "Two")],
    )
    assert [c.text_en for c in question.choices.all()] == ["One", "Two"]


def test_questions_move_up_and_down(department_a, staff_a):
    survey = SurveyFactory(department=department_a, status=SurveyStatus.DRAFT)
    a, _b, c = (QuestionFactory(survey=survey, text=t) for t in "abc")
    question_move(question=c, user=staff_a, up=True)
    assert [q.text for q in Question.objects.filter(survey=survey)] == ["a", "c", "b"]
    question_move(question=a, user=staff_a, up=False)
    assert [q.text for q in Question.objects.filter(survey=survey)] == ["c", "a", "b"]
    question_move(question=a, user=staff_a, up=True)
    question_move(question=a, user=staff_a, up=True)  # already first: nothing
    assert [q.text for q in Question.objects.filter(survey=survey)] == ["a", "c", "b"]


def test_open_surveys_past_their_closing_time_are_closed(department_a):
    due = SurveyFactory(
        department=department_a,
        opens_at=timezone.now() - dt.timedelta(days=5),
        closes_at=timezone.now() - dt.timedelta(minutes=1),
    )
    running = SurveyFactory(department=department_a)
    assert surveys_close_due() == 1
    assert Survey.objects.get(pk=due.pk).status == SurveyStatus.CLOSED
    assert Survey.objects.get(pk=running.pk).status == SurveyStatus.OPEN


def test_staff_build_a_survey_through_the_pages(staff_a, manager_a, settings):
    settings.LANGUAGE_CODE = "en"
    client = Client()
    client.force_login(manager_a)
    page = client.post(
        "/feedback/surveys/new/",
        {
            "kind": "after_purchase",
            "use_template": "on",
            "trigger": "after_purchase",
            "trigger_delay_days": "7",
            "department": manager_a.department_id,
        },
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    survey = Survey.objects.get()
    added = client.post(
        f"/feedback/surveys/{survey.pk}/questions/add/",
        {
            "kind": "multiple",
            "text": "哪些?",
            "topic": "other",
            "required": "on",
            "choices": "甲 | A\n乙 | B",
        },
    )
    assert added.status_code == 302
    detail = client.get(f"/feedback/surveys/{survey.pk}/")
    assert detail.status_code == 200 and "哪些?" in detail.content.decode()
    assert (
        client.post(f"/feedback/surveys/{survey.pk}/status/", {"action": "open"}).status_code == 302
    )
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.OPEN
