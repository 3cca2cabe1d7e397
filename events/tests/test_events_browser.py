"""In Chromium at 390×844: a staff member creates an event with a SMART goal through the
form; once its budget is approved, a manager approves it from the overview. The database
records both, the timeline chart scrolls inside its box and nothing overflows the phone."""

import datetime as dt

import pytest
from django.utils import timezone

from carecrm.core.testing import fits_the_screen, staff_page
from events.models import Event, EventStatus
from events.tests.conftest import budget_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_creates_an_event_and_a_manager_approves_it(
    live_server, browser, staff_a, manager_a, segment_a
):
    day = timezone.localdate() + dt.timedelta(days=75)
    page, problems = staff_page(browser, live_server, staff_a, "/events/new/")
    page.wait_for_selector("#event-form")
    page.select_option("#id_type", "seminar")
    assert page.locator('.js-type-guide[data-type="seminar"]').is_visible()
    assert not page.locator('.js-type-guide[data-type="banquet"]').is_visible()
    page.fill("#id_title", "新品品鉴会")
    page.fill("#id_starts_at", f"{day.isoformat()}T14:00")
    page.fill("#id_ends_at", f"{day.isoformat()}T16:30")
    page.fill("#id_venue", "公司培训中心")
    page.fill("#id_capacity", "40")
    page.select_option("#id_target_segments", str(segment_a.pk))
    page.select_option("#id_goals-0-metric", "attendance")
    page.fill("#id_goals-0-target", "35")
    page.fill("#id_goals-0-deadline", (day + dt.timedelta(days=7)).isoformat())
    assert fits_the_screen(page)
    page.click("#save-event")
    page.wait_for_selector("#approval-panel")

    event = Event.objects.get(title="新品品鉴会")
    assert event.status == EventStatus.DRAFT and event.goals.get().target == 35
    assert page.locator("#approval-blockers").inner_text().startswith("No budget")
    assert fits_the_screen(page)
    page.goto(live_server.url + f"/events/{event.pk}/timeline/")
    page.wait_for_selector("#gantt svg")
    assert page.locator("#milestone-table tbody tr").count() == 11
    assert fits_the_screen(page)  # the chart scrolls inside its own box
    assert page.evaluate("document.getElementById('gantt').scrollWidth > 390")
    page.context.close()

    budget_for(event, staff_a)
    page, more_problems = staff_page(browser, live_server, manager_a, f"/events/{event.pk}/")
    page.wait_for_selector("#approval-ready")
    page.click("#approve-event")
    page.wait_for_selector("#open-event")
    assert Event.objects.get(pk=event.pk).status == EventStatus.APPROVED
    assert "Event approved." in page.content()
    assert fits_the_screen(page)
    assert problems + more_problems == []
    page.context.close()
