"""A staff member's call, in Chromium, in Chinese, on a desktop and on a phone: find the
customer in the list, open them, have the number shown (with a reason), see it as a
``tel:`` link, log the call, add a tag from a suggestion and record an order without a
number. The database then holds the audited reveal, the call, the tag and the order.

Set ``CARECRM_SCREENSHOTS=1`` to also write ``docs/screenshots/staff-call-*.png``.
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from carecrm.accounts.tests.factories import TEST_PASSWORD
from carecrm.core.models import AuditAction, AuditEntry
from carecrm.core.testing import PHONE, fits_the_screen
from customers.models import Interaction, Order, Tag
from customers.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1440, "height": 900}}
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "docs" / "screenshots"


def screenshot(page, name: str) -> None:
    if os.environ.get("CARECRM_SCREENSHOTS"):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / name), full_page=True)


def _chinese_page(browser, live_server, user, device: dict):
    context = browser.new_context(locale="zh-CN", **device)
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(live_server.url + "/customers/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#id_q")
    return page, problems


def _submit(page) -> None:
    page.click("main form[method=post] button[type=submit].btn-primary")


@pytest.mark.parametrize(
    ("device", "name"), [pytest.param(DESKTOP, "desktop", id="desktop"), (PHONE, "phone")]
)
def test_staff_call_a_customer_log_it_tag_them_and_record_an_order(
    live_server, browser, staff_a, department_a, device, name
):
    customer = CustomerFactory(
        department=department_a, name="欧阳娜娜", mobile="+8613912345678", preferred_channel=""
    )
    CustomerFactory(department=department_a, name="司马光").tags.add(
        Tag.objects.create(name="咖啡爱好者")
    )
    page, problems = _chinese_page(browser, live_server, staff_a, device)

    # Find the customer by name and open them.
    with page.expect_response(lambda r: "/customers/" in r.url and "q=" in r.url):
        page.fill("#id_q", "欧阳")
    page.click("a:has-text('欧阳娜娜')")
    page.wait_for_selector("[data-customer-name]")
    assert "139****5678" in page.inner_text("#profile")

    # Show the number, giving a reason.
    page.click("#profile [data-phone-reveal-button]")
    page.select_option("#profile [data-phone-reveal-reason]", "appointment")
    page.click("#profile [data-phone-reveal-submit]")
    tel = page.wait_for_selector("#profile a[data-phone-tel]")
    assert tel.get_attribute("href") == "tel:+8613912345678"
    assert "139 1234 5678" in tel.inner_text()
    assert page.is_visible("#profile [data-copy]")
    assert fits_the_screen(page)
    screenshot(page, f"staff-call-{name}.png")

    # After the call: log it, one click away; the form asks about the phone once.
    page.click("#profile a[data-log-call]")
    page.wait_for_selector("#id_summary")
    assert page.input_value("#id_kind") == "call"
    assert not page.is_visible("#id_channel")
    page.fill("#id_summary", "预约确认：周六上午到店")
    _submit(page)
    page.wait_for_selector("[data-customer-name]")

    # Add a tag from a suggestion.
    page.goto(f"{live_server.url}/customers/{customer.pk}/edit/")
    page.click("#id_tags")
    page.keyboard.type("咖啡")
    page.click("[data-tag-suggestion='咖啡爱好者']")
    assert page.input_value("#id_tags") == "咖啡爱好者, "
    _submit(page)
    page.wait_for_selector("[data-customer-name]")
    assert "咖啡爱好者" in page.inner_text("#customer-badges")

    # Record an order without a number.
    page.goto(f"{live_server.url}/customers/{customer.pk}/orders/new/")
    page.fill("#id_lines-0-product", "手冲咖啡套装")
    page.fill("#id_lines-0-unit_price", "299")
    _submit(page)
    page.wait_for_selector("[data-customer-name]")
    assert fits_the_screen(page)
    assert problems == []

    reveal = AuditEntry.objects.get(action=AuditAction.PHONE_REVEAL, customer_id=customer.pk)
    assert reveal.actor_id == staff_a.pk
    assert reveal.detail["reason"] == "appointment"
    call = Interaction.objects.get(customer=customer)
    assert (call.kind, call.channel, call.staff_id) == ("call", "phone", staff_a.pk)
    assert call.summary == "预约确认：周六上午到店"
    assert list(customer.tags.values_list("name", flat=True)) == ["咖啡爱好者"]
    order = Order.objects.get(customer=customer)
    today = timezone.localdate().strftime("%Y%m%d")
    assert re.fullmatch(rf"CC-{today}-0*{order.pk}", order.order_no)
    assert page.locator(f"text={order.order_no}").count() >= 1
    connections.close_all()
