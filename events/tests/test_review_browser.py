"""In Chromium, at 1440 px (English) and 390 px (Chinese): a manager opens the review of a
held event, sees its figures and chart, writes the summary and marks the event reviewed.
The confirmation is asked, the page says what happened, the database records it and
nothing overflows the phone's width."""

from decimal import Decimal

import pytest

from carecrm.accounts.tests.factories import TEST_PASSWORD
from carecrm.core.testing import PHONE, accept_confirmation
from events.models import Event, EventGoal, EventStatus, GoalMetric
from events.tests.factories import EventGoalFactory
from events.tests.review_world import add_budget, build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
SIZES = [
    pytest.param(DESKTOP, "en-US", "en", id="desktop-en"),
    pytest.param(PHONE, "zh-CN", "zh-hans", id="phone-zh"),
]


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize(("options", "locale", "language"), SIZES)
def test_a_manager_reviews_a_held_event(
    live_server, browser, department_a, department_b, manager_a, options, locale, language
):
    event, _customers = build(department_a, other_department=department_b, owner=manager_a)
    add_budget(event, "800.00")
    goal = EventGoalFactory(event=event, metric=GoalMetric.COVERAGE, target=80)

    context = browser.new_context(locale=locale, **options)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    dialogs: list[str] = []
    page.goto(f"{live_server.url}/events/{event.pk}/review/")
    page.fill("#id_username", manager_a.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")

    page.wait_for_selector("#review-headline")
    assert page.locator('#review-headline [data-figure="incremental"]').inner_text() == (
        "¥1,116.67"
    )
    page.wait_for_function("() => document.getElementById('review-chart').dataset.drawn === '1'")
    assert page.locator("#review-goals tr[data-goal=coverage]").get_attribute("data-state") == (
        "missed"
    )
    assert fits(page)

    page.fill("#id_summary", "到场 7 人，复购明显；下次提前两周邀请。")
    page.click("#review-mark")
    dialogs.append(accept_confirmation(page))
    page.wait_for_selector("#reviewed-note")
    assert len(dialogs) == 1
    assert page.locator("#review-mark").count() == 0
    assert page.locator("#event-status").get_attribute("data-status") == "reviewed"
    assert page.locator("#id_summary").input_value() == "到场 7 人，复购明显；下次提前两周邀请。"
    assert fits(page)

    event = Event.objects.get(pk=event.pk)
    assert event.status == EventStatus.REVIEWED and event.reviewed_by_id == manager_a.pk
    assert EventGoal.objects.get(pk=goal.pk).actual == Decimal("33.33")
    assert problems == []
    context.close()
