"""Between visits, on a phone (390×844), in Chinese: a member of staff reads the touch
calendar as an agenda of the month (the days that have campaigns or festivals, one under
the other) and moves to the next month; opens their care tasks, where the filters wait
behind one button and each task is a card, presses an outcome on one and completes it on
the task page. Nothing is wider than the screen and no label is set one character per
line. At 1440×900 the calendar keeps its month grid and both pages still fit.

Set ``CARECRM_SCREENSHOTS=1`` to also write ``docs/screenshots/phone-calendar.png`` and
``docs/screenshots/phone-tasks.png``.
"""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from campaigns.models import CareTask, TaskOutcome, TaskStatus
from campaigns.tests.factories import CampaignFactory, ContentFactory
from campaigns.tests.helpers import approve
from carecrm.core.testing import DESKTOP, character_columns, fits_the_screen, staff_page
from customers.models import Interaction
from customers.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "docs" / "screenshots"
MARCH = "/campaigns/calendar/?year=2027&month=3"


def screenshot(page, name: str) -> None:
    if os.environ.get("CARECRM_SCREENSHOTS"):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / name), full_page=True)


@pytest.fixture
def birthday_campaign(department_a, staff_a, manager_a):
    """An approved birthday campaign (3 days ahead) with customers born in March."""
    campaign = CampaignFactory(
        department=department_a, name="春季会员生日关怀（华东区全体门店）", created_by=staff_a
    )
    ContentFactory(campaign=campaign)
    approve(campaign, author=staff_a, manager=manager_a)
    for year in (1988, 1990, 1992):
        CustomerFactory(department=department_a, birthday=dt.date(year, 3, 10))
    CustomerFactory(department=department_a, birthday=dt.date(1991, 3, 20))
    return campaign


@pytest.fixture
def tasks(department_a, staff_a):
    campaign = CampaignFactory(department=department_a, name="老客户回访（高价值会员）")
    today = timezone.localdate()
    rows = []
    for n, (name, channel, due) in enumerate(
        [
            ("欧阳娜娜（陆家嘴环路店）", "phone", today - dt.timedelta(days=2)),
            ("司马光", "visit", today),
            ("诸葛亮", "phone", today + dt.timedelta(days=3)),
        ]
    ):
        rows.append(
            CareTask.objects.create(
                campaign=campaign,
                customer=CustomerFactory(
                    department=department_a,
                    name=name,
                    mobile=f"+86138{n:08d}",
                    birthday=dt.date(1985, 7, 1 + n),
                ),
                channel=channel,
                occurrence=due,
                due_on=due,
                assigned_to=staff_a,
                instructions="问候客户近况，介绍春季新品，并确认下次到店时间。",
            )
        )
    return rows


def test_calendar_on_a_phone_is_an_agenda(live_server, browser, staff_a, birthday_campaign):
    page, problems = staff_page(browser, live_server, staff_a, MARCH, language="zh-hans")
    page.wait_for_selector("#touch-agenda")
    assert fits_the_screen(page)
    assert character_columns(page) == []
    assert page.locator("#touch-calendar").is_hidden()  # the grid is for wide screens

    # The days with something on them, in order, each with its campaigns and counts.
    days = page.locator("#touch-agenda [data-agenda-date]")
    dates = [days.nth(i).get_attribute("data-agenda-date") for i in range(days.count())]
    assert dates == sorted(dates) and "2027-03-07" in dates and "2027-03-17" in dates
    assert all(date.startswith("2027-03") for date in dates)
    seventh = page.locator('#touch-agenda [data-agenda-date="2027-03-07"]')
    assert seventh.is_visible()
    assert "春季会员生日关怀" in seventh.inner_text()
    assert seventh.locator("[data-count]").inner_text() == "3"
    assert "妇女节" in page.locator('#touch-agenda [data-agenda-date="2027-03-08"]').inner_text()

    # The filter waits behind one button.
    assert page.locator("#calendar-filters").is_hidden()
    page.click("[data-filters-toggle=calendar-filters]")
    page.wait_for_selector("#calendar-filters.show")  # the collapse has finished opening
    assert page.locator("#calendar-filters input[name=all]").is_visible()
    assert fits_the_screen(page)
    screenshot(page, "phone-calendar.png")

    # Month navigation.
    page.click("#month-nav [data-month=next]")
    page.wait_for_url("**/campaigns/calendar/?year=2027&month=4*")
    assert "2027-04" in page.inner_text("main h1")
    dates = page.locator("#touch-agenda [data-agenda-date]")
    assert dates.count() >= 1  # Qingming at least
    assert dates.first.get_attribute("data-agenda-date").startswith("2027-04")
    assert fits_the_screen(page)
    assert character_columns(page) == []
    assert problems == []
    page.context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_care_tasks_on_a_phone(live_server, browser, staff_a, tasks, language):
    overdue, visit, _later = tasks
    page, problems = staff_page(
        browser, live_server, staff_a, "/campaigns/tasks/", language=language
    )
    page.wait_for_selector("#task-table")
    assert fits_the_screen(page)
    assert character_columns(page) == []

    # Filters: hidden until the one button is pressed.
    assert page.locator("#task-filters").is_hidden()
    page.click("[data-filters-toggle=task-filters]")
    page.wait_for_selector("#task-filters.show")  # the collapse has finished opening
    assert page.locator("#task-filters select[name=status]").is_visible()
    assert fits_the_screen(page)

    # Each task is a card: the customer on top; due, channel, campaign; outcome buttons.
    assert page.locator("#task-table thead").is_hidden()
    card = page.locator(f'#task-table tr[data-task="{overdue.pk}"]')
    assert "欧阳娜娜" in card.locator(".table-cards-title").inner_text()
    assert "老客户回访" in card.inner_text()
    assert card.locator(".badge.text-bg-danger").is_visible()  # overdue
    outcomes = card.locator("[data-outcome]")
    assert outcomes.count() == 3
    assert all(outcomes.nth(i).is_visible() for i in range(3))
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    if language == "zh-hans":
        screenshot(page, "phone-tasks.png")

    # "No answer" opens the task with that outcome chosen; say what happened and complete.
    card.locator('[data-outcome="no_answer"]').click()
    page.wait_for_selector("#complete-form")
    assert page.input_value("#id_outcome") == TaskOutcome.NO_ANSWER
    assert fits_the_screen(page)
    assert character_columns(page) == []
    page.fill("#id_note", "打了两次，无人接听，明天上午再打。")
    page.click("#complete-form button[type=submit]")
    page.wait_for_selector("#task-table")
    assert page.locator(f'#task-table tr[data-task="{overdue.pk}"]').count() == 0
    assert fits_the_screen(page)
    assert problems == []
    page.context.close()

    overdue.refresh_from_db()
    assert (overdue.status, overdue.outcome, overdue.completed_by) == (
        TaskStatus.DONE,
        TaskOutcome.NO_ANSWER,
        staff_a,
    )
    call = Interaction.objects.get(pk=overdue.interaction_id)
    assert (call.kind, call.staff) == ("call", staff_a)
    assert "无人接听" in call.summary
    assert CareTask.objects.get(pk=visit.pk).status == TaskStatus.OPEN


@pytest.mark.parametrize("path", [MARCH, "/campaigns/tasks/"])
def test_calendar_and_care_tasks_still_fit_a_desktop(
    live_server, browser, staff_a, birthday_campaign, tasks, path
):
    page, problems = staff_page(
        browser, live_server, staff_a, path, device=DESKTOP, language="zh-hans"
    )
    page.wait_for_selector("main h1")
    assert fits_the_screen(page)
    assert character_columns(page) == []
    assert page.locator("[data-filters-toggle]").is_hidden()
    if path == MARCH:
        assert page.locator("#touch-calendar").is_visible()
        assert page.locator("#touch-agenda").is_hidden()
        assert page.locator("#calendar-filters").is_visible()
        cell = page.locator('#touch-calendar td[data-date="2027-03-07"]')
        assert cell.locator("[data-count]").inner_text() == "3"
    else:
        assert page.locator("#task-table thead").is_visible()
        assert page.locator("#task-filters").is_visible()
    assert problems == []
    page.context.close()
