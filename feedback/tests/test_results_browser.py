"""In Chromium, at 1440 px (English) and 390 px (Chinese): a manager opens a survey's
results; every question chart and the trend chart are drawn, the console stays clean
and nothing is wider than the phone's screen."""

import datetime as dt

import pytest
from django.db import connections
from django.utils import timezone

from carecrm.accounts.tests.factories import TEST_PASSWORD
from carecrm.core.testing import PHONE, chromium
from customers.tests.factories import CustomerFactory
from feedback.models import QuestionKind, Response
from feedback.tests.factories import (
    AnswerFactory,
    ChoiceFactory,
    QuestionFactory,
    SurveyFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
SIZES = [
    pytest.param(DESKTOP, "en-US", "en", id="desktop-en"),
    pytest.param(PHONE, "zh-CN", "zh-hans", id="phone-zh"),
]


@pytest.fixture
def browser(monkeypatch):
    with chromium(monkeypatch) as browser:
        yield browser
    connections.close_all()


def _survey(department):
    survey = SurveyFactory(department=department, title="年度贵宾客户服务满意度调查（华东区）")
    rating = QuestionFactory(survey=survey, kind=QuestionKind.RATING)
    nps = QuestionFactory(survey=survey, kind=QuestionKind.NPS, text="您向朋友推荐我们的可能性")
    single = QuestionFactory(survey=survey, kind=QuestionKind.SINGLE, text="您最常用的渠道")
    choices = [ChoiceFactory(question=single, text=t) for t in ("门店", "电话", "企业微信")]
    text = QuestionFactory(survey=survey, kind=QuestionKind.TEXT, text="其他建议")
    now = timezone.now()
    for index in range(8):
        response = Response.objects.create(
            survey=survey,
            customer=CustomerFactory(department=department, region="华东"),
            submitted_at=now - dt.timedelta(days=100 * (index % 3)),
        )
        AnswerFactory(response=response, question=rating, score=1 + index % 5)
        AnswerFactory(response=response, question=nps, score=index + 2)
        AnswerFactory(response=response, question=single, score=None).choices.add(
            choices[index % 3]
        )
        AnswerFactory(
            response=response, question=text, score=None, text="=没有公式，只是很长的意见" * 5
        )
    return survey


@pytest.mark.parametrize(("options", "locale", "language"), SIZES)
def test_a_manager_reads_the_results(
    live_server, browser, department_a, manager_a, options, locale, language
):
    survey = _survey(department_a)
    context = browser.new_context(locale=locale, **options)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server.url}/feedback/surveys/{survey.pk}/results/")
    page.fill("#id_username", manager_a.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")

    page.wait_for_selector("#results-headline")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-result-chart, .js-trend-chart')]"
        ".every(el => el.dataset.drawn === '1')"
    )
    assert page.locator(".js-result-chart").count() == 3
    assert page.locator(".js-trend-chart").count() == 1
    assert page.locator('[data-figure="responses"]').inner_text() == "8"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    page.goto(f"{live_server.url}/feedback/satisfaction/")
    page.wait_for_function("() => document.querySelector('.js-trend-chart').dataset.drawn === '1'")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.goto(f"{live_server.url}/feedback/targets/")
    page.wait_for_selector("#targets")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert problems == []
