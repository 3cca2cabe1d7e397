"""Every page a customer opens from a message, in Debian's Chromium on a phone-sized
screen against a real server on loopback: the links come from messages the delivery
engine really sent, and each test checks what the database recorded, not only the page.

Django's test client sends no Origin header and runs no JavaScript; these tests exist
because the unsubscribe page passed all its test-client tests and refused every real
browser (``Origin: null`` under a ``no-referrer`` policy).
"""

import datetime as dt
import json
import re
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections
from django.urls import reverse

from campaigns.models import (
    FrequencyCap,
    MessageEventKind,
    MessageStatus,
    OutboxMessage,
    QuietHours,
    SuppressionReason,
    TouchChannel,
    Unsubscribe,
    UnsubscribeSource,
)
from campaigns.services.dispatch import touches_dispatch
from campaigns.sources import campaign_source
from carecrm.core.branding.services import sender_brand_update
from carecrm.core.testing import PHONE, chromium
from carecrm.core.tests.factories import picture
from customers.models import ChannelConsent
from customers.tests.factories import CustomerFactory
from delivery.services.sending import messages_send
from delivery.tests.senders import consent, due_campaign
from delivery.tokens import message_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = dt.date.today()
SHOP = "https://shop.example.cn/event"


@pytest.fixture
def sent(settings, live_server, department_a, staff_a, manager_a):
    """One customer who was sent an SMS and an email of the same campaign today, through
    the file backend (SMS) and Django's locmem mail backend (email), with links on the
    live server. Everything is in the database before Chromium starts."""
    settings.SITE_URL = live_server.url
    settings.LANGUAGE_CODE = "zh-hans"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    FrequencyCap.objects.all().delete()
    QuietHours.objects.all().delete()
    sender_brand_update(
        company_name="悦享生活",
        sms_signature="悦享生活",
        contact_line="客服热线 400-820-8820",
        logo=picture("PNG", (80, 80)),
        user=manager_a,
    )
    customer = CustomerFactory(department=department_a, name="张三丰", mobile="+8613912345678")
    consent(customer, TouchChannel.SMS, TouchChannel.EMAIL)
    due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        channels=(TouchChannel.SMS, TouchChannel.EMAIL),
        on=TODAY,
        send_time=dt.time(0, 0),
        channel_strategy="all",
    )
    touches_dispatch(on=TODAY)
    assert messages_send(seconds=10).sent == 2
    from django.core import mail

    lines = (Path(settings.DELIVERY_FILE_DIR) / "sms.jsonl").read_text(encoding="utf-8")
    sms = json.loads(lines.splitlines()[0])
    email = mail.outbox[0]
    return {
        "customer": customer,
        "sms": OutboxMessage.objects.get(customer=customer, channel="sms"),
        "email": OutboxMessage.objects.get(customer=customer, channel="email"),
        "sms_body": sms["body"],
        "email_html": email.alternatives[0][0],
        "one_click_url": email.extra_headers["List-Unsubscribe"].strip("<>"),
        "staff": (department_a, staff_a, manager_a),
    }


@pytest.fixture
def browser(sent, monkeypatch):
    with chromium(monkeypatch) as browser:
        yield browser
    connections.close_all()


def phone(browser, locale: str = "zh-CN"):
    """A phone-sized page; the shop the messages link to answers locally (no network)."""
    context = browser.new_context(locale=locale, **PHONE)
    context.route(
        "https://shop.example.cn/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<h1>shop</h1>"),
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return page, problems


def link(text: str, path_prefix: str) -> str:
    """The first URL in a message text whose path starts with ``path_prefix``."""
    for url in re.findall(r"https?://[^\s<>\"]+", text):
        if urlsplit(url).path.startswith(path_prefix):
            return url
    raise AssertionError(f"no {path_prefix} link in {text!r}")


def unsubscribes(customer) -> list[tuple[str, str, str]]:
    return sorted(
        Unsubscribe.objects.filter(customer=customer).values_list("channel", "care_kind", "source")
    )


def consents(customer) -> dict[str, bool]:
    return dict(ChannelConsent.objects.filter(customer=customer).values_list("channel", "granted"))


def test_a_customer_unsubscribes_from_sms_through_the_link_of_a_sent_sms(sent, browser):
    customer = sent["customer"]
    page, problems = phone(browser)

    page.goto(link(sent["sms_body"], "/m/u/"))
    assert sent["sms_body"].startswith("【悦享生活】")
    assert page.inner_text("[data-company]").strip() == "悦享生活"
    page.wait_for_function("() => document.querySelector('#brand-logo').naturalWidth === 80")
    assert "400-820-8820" in page.inner_text("#brand-contact")
    assert page.title().endswith("悦享生活")
    assert "张**" in page.inner_text("#recipient") and "张三丰" not in page.content()
    page.get_by_role("button", name="停止短信上的关怀消息").click()
    page.wait_for_selector("#unsubscribed")

    assert "您已退订" in page.inner_text("main")
    assert unsubscribes(customer) == [("sms", "", UnsubscribeSource.LINK)]
    assert consents(customer) == {"sms": False, "email": True}
    sms = OutboxMessage.objects.get(pk=sent["sms"].pk)
    assert sms.unsubscribed_at is not None
    assert problems == []

    department, staff, manager = sent["staff"]
    next_campaign = due_campaign(
        department=department,
        author=staff,
        manager=manager,
        channels=(TouchChannel.SMS,),
        on=TODAY,
        send_time=dt.time(0, 0),
        channel_strategy="all",
    )
    FrequencyCap.objects.all().delete()
    touches_dispatch(on=TODAY)
    suppressed = OutboxMessage.objects.get(source=campaign_source(next_campaign), channel="sms")
    assert (suppressed.status, suppressed.reason) == (
        MessageStatus.SUPPRESSED,
        SuppressionReason.UNSUBSCRIBED,
    )


@pytest.mark.parametrize(
    ("button", "expected_channel", "by_kind", "sms_consent"),
    [
        ("#unsubscribe-form button[value=kind]", "", True, True),
        ("#unsubscribe-form button[value=all]", "", False, False),
    ],
)
def test_the_customer_can_refuse_a_kind_of_care_or_everything(
    sent, browser, button, expected_channel, by_kind, sms_consent
):
    customer, message = sent["customer"], sent["sms"]
    page, problems = phone(browser)

    page.goto(link(sent["sms_body"], "/m/u/"))
    page.click(button)
    page.wait_for_selector("#unsubscribed")

    care_kind = message.care_kind if by_kind else ""
    assert unsubscribes(customer) == [(expected_channel, care_kind, UnsubscribeSource.LINK)]
    assert consents(customer)["sms"] is sms_consent
    assert consents(customer)["email"] is sms_consent
    assert problems == []


def test_the_preference_page_saves_the_customers_choices(sent, browser):
    customer = sent["customer"]
    page, problems = phone(browser)

    page.goto(link(sent["sms_body"], "/m/u/"))
    page.click("#preferences-link")
    page.wait_for_selector("#preferences-form")
    page.uncheck("#id_channel_email")
    page.get_by_role("button", name="保存我的选择").click()
    page.wait_for_selector("#preferences-saved")

    assert "您的选择已保存" in page.inner_text("#preferences-saved")
    assert unsubscribes(customer) == [("email", "", UnsubscribeSource.PREFERENCE_PAGE)]
    assert consents(customer) == {"sms": True, "email": False}
    assert not page.is_checked("#id_channel_email") and page.is_checked("#id_channel_sms")
    assert problems == []


def test_the_language_switch_keeps_the_customer_on_the_page_in_english(sent, browser):
    customer = sent["customer"]
    page, problems = phone(browser)
    url = link(sent["sms_body"], "/m/u/")

    page.goto(url)
    assert page.get_attribute("html", "lang") == "zh-hans"
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")

    assert page.url == url and page.get_attribute("html", "lang") == "en"
    page.get_by_role("button", name="Stop care messages on SMS").click()
    page.wait_for_selector("#unsubscribed")
    assert "You are unsubscribed" in page.inner_text("main")
    assert unsubscribes(customer) == [("sms", "", UnsubscribeSource.LINK)]
    assert problems == []


def test_a_replayed_form_changes_nothing_more(sent, browser):
    customer, message = sent["customer"], sent["sms"]
    page, problems = phone(browser)

    page.goto(link(sent["sms_body"], "/m/u/"))
    page.click("#unsubscribe-form button[value=channel]")
    page.wait_for_selector("#unsubscribed")
    page.go_back()
    page.click("#unsubscribe-form button[value=channel]")
    page.wait_for_selector("#unsubscribed")

    assert unsubscribes(customer) == [("sms", "", UnsubscribeSource.LINK)]
    events = message.events.filter(kind=MessageEventKind.UNSUBSCRIBED)
    assert events.count() == 1
    assert problems == []


def test_a_form_refused_after_its_cookie_was_lost_offers_a_way_forward(sent, browser):
    """Cookies cleared between opening and pressing (a privacy setting, an in-app
    browser): the customer's own page, in Chinese, and pressing again works."""
    customer = sent["customer"]
    page, _ = phone(browser)

    page.goto(link(sent["sms_body"], "/m/u/"))
    page.context.clear_cookies()
    page.click("#unsubscribe-form button[value=channel]")
    page.wait_for_selector("#public-error")

    text = page.inner_text("main")
    assert "请再试一次" in text and "CSRF" not in page.content()
    assert unsubscribes(customer) == []
    page.click("#retry")
    page.click("#unsubscribe-form button[value=channel]")
    page.wait_for_selector("#unsubscribed")
    assert unsubscribes(customer) == [("sms", "", UnsubscribeSource.LINK)]


def test_the_sms_short_link_leads_to_the_shop_and_counts_a_click(sent, browser):
    page, problems = phone(browser)

    page.set_content(f'<a id="tap" href="{link(sent["sms_body"], "/s/")}">link in the SMS</a>')
    page.click("#tap")
    page.wait_for_url(SHOP)
    message = OutboxMessage.objects.get(pk=sent["sms"].pk)
    assert message.clicked_at is not None
    assert message.events.filter(kind=MessageEventKind.CLICKED).count() == 1
    assert problems == []


def test_the_email_pixel_and_link_count_an_open_and_a_click(sent, browser):
    page, _ = phone(browser)

    with page.expect_response(lambda response: "/m/o/" in response.url) as pixel:
        page.set_content(sent["email_html"])
    assert pixel.value.status == 200
    page.click("a[href*='/m/c/']")
    page.wait_for_url(SHOP)

    message = OutboxMessage.objects.get(pk=sent["email"].pk)
    assert message.opened_at is not None and message.clicked_at is not None


@pytest.mark.parametrize("kind", ["tampered", "deleted message", "cut off"])
def test_a_bad_link_is_the_customers_own_404_page(sent, browser, live_server, kind):
    good = link(sent["sms_body"], "/m/u/")
    url = {
        "tampered": good[:-3] + ("A" if good[-3] != "A" else "B") + good[-2:],
        "deleted message": live_server.url
        + reverse("delivery:unsubscribe", args=[message_token(987654, "unsubscribe")]),
        "cut off": good[: good.index("/m/u/") + 6],
    }[kind]
    page, _ = phone(browser)

    response = page.goto(url)

    assert response.status == 404
    assert "此链接无效" in page.inner_text("main")
    assert "Traceback" not in page.content() and "URLconf" not in page.content()
    assert page.locator("#unsubscribe-form").count() == 0
    assert unsubscribes(sent["customer"]) == []


def test_a_mail_providers_one_click_post_needs_no_cookie_or_origin(sent):
    """RFC 8058: the provider POSTs ``List-Unsubscribe=One-Click`` to the header's URL,
    with no cookie, no Origin and no Referer."""
    request = urllib.request.Request(
        sent["one_click_url"],
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200

    assert unsubscribes(sent["customer"]) == [("email", "", UnsubscribeSource.ONE_CLICK)]
    assert consents(sent["customer"]) == {"sms": True, "email": False}
