"""A manager settles uncertain messages on the operations page in Chromium: the card
says what happened and what each choice means, the confirmation is asked, and the
database records the decision."""

import datetime as dt

import pytest
from django.db import connections
from django.utils import timezone

from campaigns.models import (
    FrequencyCap,
    MessageEventKind,
    MessageStatus,
    OutboxMessage,
    QuietHours,
)
from campaigns.services.dispatch import touches_dispatch
from carecrm.accounts.tests.factories import TEST_PASSWORD
from carecrm.core.testing import PHONE, accept_confirmation, chromium
from delivery.services.sending import claim, delivery_recover
from delivery.tests.senders import consenting_customers, due_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = dt.date.today()


@pytest.fixture
def uncertain(department_a, staff_a, manager_a):
    """Six SMS a sender handed over before it died."""
    FrequencyCap.objects.all().delete()
    QuietHours.objects.all().delete()
    consenting_customers(department_a, 6)
    due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        on=TODAY,
        send_time=dt.time(0, 0),
    )
    touches_dispatch(on=TODAY)
    batch = claim(size=6)
    OutboxMessage.objects.filter(pk__in=[m.pk for m in batch]).update(
        handed_at=timezone.now(), lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert delivery_recover()["uncertain"] == 6
    return [m.pk for m in batch]


@pytest.fixture
def browser(uncertain, monkeypatch):
    with chromium(monkeypatch) as browser:
        yield browser
    connections.close_all()


@pytest.mark.parametrize(
    ("viewport", "locale", "button", "status"),
    [
        ({"viewport": {"width": 1440, "height": 900}}, "en-US", "They arrived", "sent"),
        (PHONE, "zh-CN", "重新发送", "queued"),
    ],
    ids=["desktop-arrived", "phone-send-again"],
)
def test_a_manager_settles_uncertain_messages(
    live_server, browser, uncertain, manager_a, viewport, locale, button, status
):
    context = browser.new_context(locale=locale, **viewport)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    dialogs: list[str] = []
    language = "zh-hans" if locale == "zh-CN" else "en"
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(live_server.url + "/delivery/")
    page.fill("#id_username", manager_a.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#uncertain [data-uncertain=sms]")
    row = page.locator("#uncertain [data-uncertain=sms]")
    assert "6" in row.inner_text()

    row.get_by_role("button", name=button).click()
    dialogs.append(accept_confirmation(page))
    page.wait_for_selector(".alert-success")

    assert len(dialogs) == 1
    assert page.locator("#uncertain").count() == 0
    settled = OutboxMessage.objects.filter(pk__in=uncertain)
    assert set(settled.values_list("status", flat=True)) == {status}
    assert all(
        message.events.filter(kind=MessageEventKind.RESOLVED).exists() for message in settled
    )
    if status == MessageStatus.SENT:
        assert not settled.filter(sent_at__isnull=True).exists()
    assert problems == []


def test_a_manager_sends_one_permanently_failed_message_again_from_its_page(
    live_server, uncertain, manager_a, monkeypatch
):
    """A permanent refusal is never queued again in bulk: from its own page, after ticking
    that the reason is dealt with."""
    failed_pk = uncertain[0]
    OutboxMessage.objects.filter(pk=failed_pk).update(
        status=MessageStatus.FAILED,
        error="550 5.1.1 <li@example.com>: Recipient address rejected",
        error_code="550",
        failed_at=timezone.now(),
    )
    with chromium(monkeypatch) as browser:
        context = browser.new_context(locale="zh-CN", **PHONE)
        context.add_cookies(
            [{"name": "django_language", "value": "zh-hans", "url": live_server.url}]
        )
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(f"{live_server.url}/delivery/messages/{failed_pk}/")
        page.fill("#id_username", manager_a.username)
        page.fill("#id_password", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#message-requeue")

        page.click("#message-requeue button[type=submit]")  # not confirmed: the browser asks
        assert OutboxMessage.objects.get(pk=failed_pk).status == MessageStatus.FAILED
        page.check("#requeue-confirm")
        page.click("#message-requeue button[type=submit]")
        page.wait_for_selector(".alert-success")
        assert problems == []
    connections.close_all()

    message = OutboxMessage.objects.get(pk=failed_pk)
    assert message.status == MessageStatus.QUEUED
    assert message.events.filter(kind=MessageEventKind.REQUEUED).exists()
