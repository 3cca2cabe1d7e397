"""In Chromium, at 1440 px (English) and 390 px (Chinese): an admin turns a kind of
sender exempt from caps on the delivery settings, and a manager pauses and resumes a
sender from its page. Each confirmation is asked, the page says what happened, the
database records it and nothing overflows the phone's width."""

import datetime as dt

import pytest

from carecrm.accounts.tests.factories import TEST_PASSWORD
from carecrm.core.testing import PHONE, accept_confirmation
from customers.models import Channel
from customers.tests.factories import CustomerFactory
from delivery.models import (
    CareKind,
    MessageClass,
    MessageSource,
    OutboxMessage,
    Priority,
    SourceKindClass,
    SourceState,
)
from delivery.registry import Rendered, SourceKind, register_source_kind, source_kinds
from delivery.services.sources import source_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NOTICE = "browser_notice"
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
SIZES = [
    pytest.param(DESKTOP, "en-US", "en", id="desktop-en"),
    pytest.param(PHONE, "zh-CN", "zh-hans", id="phone-zh"),
]


@pytest.fixture(autouse=True)
def notice_kind():
    register_source_kind(
        SourceKind(
            key=NOTICE,
            label="Repair notice",
            render=lambda source, messages: {m.pk: Rendered(body="ok") for m in messages},
            message_class=MessageClass.SERVICE,
        )
    )
    yield
    source_kinds.pop(NOTICE, None)


def open_as(browser, live_server, user, path, options, locale, language):
    context = browser.new_context(locale=locale, **options)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    dialogs: list[str] = []
    page.goto(live_server.url + path)
    page.fill("#id_username", user.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    return page, problems, dialogs


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize(("options", "locale", "language"), SIZES)
def test_an_admin_makes_a_kind_of_sender_exempt_from_caps(
    live_server, browser, admin_user, options, locale, language
):
    page, problems, dialogs = open_as(
        browser, live_server, admin_user, "/delivery/settings/", options, locale, language
    )
    page.wait_for_selector("#kind-classes")
    assert page.locator('#kind-classes-table tr[data-kind="campaign"]').get_attribute(
        "data-class"
    ) == ("care")
    assert fits(page)

    page.click("#kind-classes-edit")
    page.wait_for_selector("#kind-classes-form")
    assert fits(page)
    page.check("#kind-classes-form [data-kind=campaign] input[value=service]")
    page.click("#kind-classes-save")
    dialogs.append(accept_confirmation(page))
    page.wait_for_selector(".alert-success")

    assert len(dialogs) == 1
    row = page.locator('#kind-classes-table tr[data-kind="campaign"]')
    assert row.get_attribute("data-class") == "service"
    assert not SourceKindClass.objects.get(kind="campaign").counts_against_caps
    assert page.locator(f'#kind-classes-table tr[data-kind="{NOTICE}"]').count() == 1
    assert problems == []


@pytest.mark.parametrize(("options", "locale", "language"), SIZES)
def test_a_manager_pauses_and_resumes_a_sender_from_its_page(
    live_server, browser, department_a, manager_a, options, locale, language
):
    source = source_for(kind=NOTICE, object_id=3, label="维修单 R-3", department=department_a)
    customer = CustomerFactory(department=department_a)
    OutboxMessage.objects.create(
        source=source,
        customer=customer,
        channel=Channel.SMS,
        occasion=dt.date(2027, 6, 2),
        due_on=dt.date(2027, 6, 2),
        planned_on=dt.date(2027, 6, 2),
        care_kind=CareKind.SERVICE,
        message_class=MessageClass.SERVICE,
        priority=Priority.HIGH,
        address=customer.mobile,
        send_after=dt.datetime(2027, 6, 2, 4, 0, tzinfo=dt.UTC),
    )
    page, problems, dialogs = open_as(
        browser, live_server, manager_a, "/delivery/", options, locale, language
    )
    page.wait_for_selector("#ops-sources")
    page.click(f'#ops-sources tr[data-source="{source.pk}"] a')
    page.wait_for_selector("#source-figures")
    assert page.locator("#source-state").get_attribute("data-state") == "active"
    assert fits(page)

    page.click("#source-pause")
    dialogs.append(accept_confirmation(page))
    page.wait_for_selector("#source-paused-note")
    assert page.locator("#source-state").get_attribute("data-state") == "paused"
    assert MessageSource.objects.get(pk=source.pk).state == SourceState.PAUSED
    assert fits(page)

    page.click("#source-resume")
    dialogs.append(accept_confirmation(page))
    page.wait_for_selector("#source-pause")
    assert MessageSource.objects.get(pk=source.pk).state == SourceState.ACTIVE
    assert len(dialogs) == 2
    page.click("#source-log-link")
    page.wait_for_selector("#message-table")
    assert page.locator("#message-table tbody tr").count() == 1
    assert fits(page)
    assert problems == []
