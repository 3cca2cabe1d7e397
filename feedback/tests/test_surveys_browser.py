"""Staff build and run a survey in Chromium at phone size: a survey from the VIP template,
a question added and moved up, the survey opened, and answers typed in from a phone call
(a wrong score first: a clear message, nothing typed is lost)."""

from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from carecrm.core.testing import PHONE, chromium
from customers.tests.factories import CustomerFactory
from feedback.models import Question, Response, Survey, SurveyStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_build_open_and_enter_answers(settings, live_server, staff_a, monkeypatch):
    settings.LANGUAGE_CODE = "en"
    customer = CustomerFactory(department=staff_a.department, mobile="+8613800001111")
    client = Client()
    client.force_login(staff_a)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    with chromium(monkeypatch) as browser:
        context = browser.new_context(locale="en-US", **PHONE)
        context.add_cookies(
            [
                {
                    "name": django_settings.SESSION_COOKIE_NAME,
                    "value": session,
                    "domain": urlsplit(live_server.url).hostname,
                    "path": "/",
                }
            ]
        )
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.goto(f"{live_server.url}/feedback/surveys/")
        page.click("#survey-new")
        page.select_option("#id_kind", "vip_quarterly")
        page.click("#survey-save")
        page.wait_for_selector("#question-list")
        survey = Survey.objects.get()
        assert survey.questions.count() == 5

        page.click("#question-add")
        page.select_option("#id_kind", "single")
        page.fill("#id_text", "您是怎么知道我们的？")
        page.fill("#id_text_en", "How did you hear of us?")
        page.fill("#id_choices", "朋友 | A friend\n广告 | An advert")
        page.click("#question-save")
        page.wait_for_selector("text=您是怎么知道我们的？")
        added = Question.objects.get(survey=survey, text="您是怎么知道我们的？")
        page.click(f"#question-{added.pk} button[name=up][value='1']")
        page.wait_for_selector(f"#question-{added.pk}[data-position='5']")

        page.click("#survey-open")
        page.wait_for_selector("#survey-close")
        assert Survey.objects.get().status == SurveyStatus.OPEN

        questions = list(survey.questions.order_by("position"))
        page.click("#staff-entry summary")
        page.fill("#id_customer", "138 0000 1111")
        page.select_option("#id_source", "phone")
        for question in questions:
            if question.kind == "rating":
                page.click(f"#staff-entry label[for=q{question.pk}-4]")
            elif question.kind == "single":
                page.check(f"#q{question.pk}-c{question.choices.first().pk}")
        comment = next(q for q in questions if q.kind == "text")
        page.fill(f"#q{comment.pk}-text", "等待时间有点长")
        page.click("#entry-save")  # NPS left empty
        page.wait_for_selector("#staff-entry .question-error")
        assert page.input_value(f"#q{comment.pk}-text") == "等待时间有点长"
        nps = next(q for q in questions if q.kind == "nps")
        page.click(f"#staff-entry label[for=q{nps.pk}-6]")
        page.click("#entry-save")
        page.wait_for_selector("#responses >> text=By phone")
        assert problems == []
    connections.close_all()
    response = Response.objects.get()
    assert (response.customer, response.source, response.entered_by) == (
        customer,
        "phone",
        staff_a,
    )
    assert response.answers.get(question=nps).score == 6
