"""In Chromium at 390×844: staff see the suggested category while typing a new item,
then resolve an overdue item with a note (an empty note is refused with a clear error)
and record the check back with the customer. Nothing overflows the phone."""

import datetime as dt

import pytest
from django.db import connections
from django.utils import timezone

from carecrm.accounts.tests.factories import TEST_PASSWORD
from carecrm.core.testing import PHONE, chromium
from feedback.models import FeedbackItem, FollowUpOutcome, ItemStatus
from feedback.tests.factories import FeedbackItemFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(monkeypatch):
    with chromium(monkeypatch) as browser:
        yield browser
    connections.close_all()


def login(browser, live_server, user, path):
    context = browser.new_context(locale="en-US", **PHONE)
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + path)
    page.fill("#id_username", user.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    return page, problems


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_staff_resolve_an_item_and_check_back(live_server, browser, staff_a, department_a):
    item = FeedbackItemFactory(
        department=department_a,
        title="退款迟迟未到账",
        owner=staff_a,
        respond_by=timezone.now() - dt.timedelta(hours=2),
    )
    page, problems = login(browser, live_server, staff_a, "/feedback/items/new/")
    page.wait_for_selector("#item-form")
    page.type("#id_title", "客服态度很差")
    page.wait_for_selector("#category-suggestion.alert")
    assert "Service quality" in page.inner_text("#category-suggestion")
    assert fits(page)

    page.goto(live_server.url + "/feedback/items/")
    row = page.locator(f'tr[data-item="{item.pk}"]')
    assert "SLA breached" in row.inner_text()
    assert fits(page)
    row.locator("a").first.click()
    page.wait_for_selector("#resolve-form")
    assert page.locator("#item-badges .sla-breached").is_visible()

    page.click("#resolve-form button[type=submit]")
    page.wait_for_selector("#resolve-form .invalid-feedback")
    assert "Say how the item was resolved." in page.inner_text("#resolve-form")
    page.fill("#id_resolution_note", "已联系财务，退款今日到账")
    page.click("#resolve-form button[type=submit]")
    page.wait_for_selector("#follow-up-form")
    item.refresh_from_db()
    assert item.status == ItemStatus.RESOLVED
    assert item.resolution_note == "已联系财务，退款今日到账"
    assert fits(page)

    page.check("#follow-up-form input[value=satisfied]")
    page.fill("#id_follow_up_note", "客户确认已收到退款")
    page.click("#follow-up-form button[type=submit]")
    page.wait_for_selector("#follow-up-outcome")
    item = FeedbackItem.objects.get(pk=item.pk)
    assert item.status == ItemStatus.CLOSED
    assert item.follow_up_outcome == FollowUpOutcome.SATISFIED
    assert "Checked back: satisfied" in page.inner_text("#item-history")
    assert fits(page)
    assert problems == []
