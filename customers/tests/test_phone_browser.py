"""Between visits, on a phone (390×844), in Chinese: a member of staff opens a customer's
360° page — name, badges and the quick actions in a bar at the bottom of the screen, the
panels and the timeline stacked, its filters behind one button — and logs a visit from that
bar; then opens the open follow-ups, where the filters wait behind one button and each
follow-up is a card, and marks one done. Nothing is wider than the screen and no label is
set one character per line. At 1440×900 both pages still fit.

Set ``CARECRM_SCREENSHOTS=1`` to also write ``docs/screenshots/phone-customer.png`` and
``docs/screenshots/phone-follow-ups.png``.
"""

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from carecrm.core.testing import DESKTOP, character_columns, fits_the_screen, staff_page
from customers.models import Interaction, InteractionOutcome, Tag
from customers.tests.factories import CustomerFactory, InteractionFactory, OrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "docs" / "screenshots"


def screenshot(page, name: str, *, full_page: bool = True) -> None:
    if os.environ.get("CARECRM_SCREENSHOTS"):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / name), full_page=full_page)


@pytest.fixture
def busy_customer(department_a, staff_a):
    """A gold customer of long standing: tags, orders, calls, a complaint, follow-ups."""
    customer = CustomerFactory(
        department=department_a,
        name="欧阳娜娜（上海浦东新区陆家嘴环路店会员）",
        vip_level="gold",
        relationship_manager=staff_a,
        industry="零售与消费品",
        notes="喜欢手冲咖啡，周末下午方便联系；不接受短信营销。",
    )
    for name in ("咖啡爱好者", "高价值客户", "周末到店"):
        customer.tags.add(Tag.objects.get_or_create(name=name)[0])
    for amount in ("1299.00", "86.50", "458.00"):
        OrderFactory(customer=customer, amount=Decimal(amount))
    now = timezone.now()
    InteractionFactory(
        customer=customer,
        kind="call",
        channel="phone",
        staff=staff_a,
        occurred_at=now - dt.timedelta(days=2),
        summary="回访上次购买的挂耳咖啡，客户反馈口味偏酸，希望推荐更醇厚的豆子。",
        follow_up_due=timezone.localdate() - dt.timedelta(days=3),
    )
    InteractionFactory(
        customer=customer,
        kind="complaint",
        staff=staff_a,
        occurred_at=now - dt.timedelta(days=5),
        summary="快递延误两天，包装破损；已补发并致歉。",
        outcome=InteractionOutcome.RESOLVED,
    )
    return customer


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_customer_page_on_a_phone(live_server, browser, staff_a, busy_customer, language):
    page, problems = staff_page(
        browser, live_server, staff_a, f"/customers/{busy_customer.pk}/", language=language
    )
    page.wait_for_selector("[data-customer-name]")
    assert page.get_attribute("html", "lang") == language
    assert fits_the_screen(page)
    assert character_columns(page) == []
    assert page.locator("#customer-badges .badge").count() >= 5

    # The quick actions sit at the bottom of the screen, within a thumb's reach.
    bar = page.locator("#customer-actions").bounding_box()
    assert bar["y"] + bar["height"] <= 844 + 1
    assert bar["y"] > 844 * 0.8
    assert bar["x"] >= 0 and bar["x"] + bar["width"] <= 390 + 1

    # Panels are stacked: the timeline comes below the profile, both full width.
    profile = page.locator("#profile").bounding_box()
    timeline = page.locator("#timeline-card").bounding_box()
    assert timeline["y"] > profile["y"] + profile["height"]
    assert profile["width"] > 300 and timeline["width"] > 300

    # The timeline's filters wait behind one button.
    assert page.locator("[data-filters=timeline-filters]").is_hidden()
    page.click("[data-filters-toggle=timeline-filters]")
    page.wait_for_selector("[data-filters=timeline-filters].show")
    assert page.locator("[data-timeline-kind=interaction]").is_visible()
    assert fits_the_screen(page)
    page.evaluate("() => window.scrollTo(0, 0)")
    if language == "zh-hans":
        screenshot(page, "phone-customer.png", full_page=False)  # the bar where the thumb is
    with page.expect_response(lambda r: "/timeline/" in r.url):
        page.click("[data-timeline-kind=interaction]")
    page.wait_for_selector("[data-timeline-entry]")
    assert fits_the_screen(page)
    assert character_columns(page) == []

    # "More" opens upwards, inside the screen.
    page.click("#customer-actions [data-action=more]")
    menu = page.locator("#customer-actions .dropdown-menu")
    menu.wait_for(state="visible")
    box = menu.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844 + 1
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1
    page.click("#customer-actions [data-action=more]")

    # Log a visit from the bar.
    page.click("#customer-actions [data-action=log-interaction]")
    page.wait_for_selector("#id_summary")
    assert fits_the_screen(page)
    page.select_option("#id_kind", "visit")
    page.fill("#id_summary", "上门拜访，送去新品试饮装")
    page.click("main form[method=post] button[type=submit].btn-primary")
    page.wait_for_selector("[data-customer-name]")
    assert problems == []
    page.context.close()

    visit = Interaction.objects.get(customer=busy_customer, kind="visit")
    assert (visit.summary, visit.staff) == ("上门拜访，送去新品试饮装", staff_a)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_follow_ups_on_a_phone(
    live_server, browser, staff_a, department_a, busy_customer, language
):
    today = timezone.localdate()
    due_today = InteractionFactory(
        customer=CustomerFactory(department=department_a, name="司马光"),
        kind="call",
        channel="phone",
        staff=staff_a,
        summary="生日关怀回访：确认优惠券是否收到，并邀请参加周六的品鉴会。",
        follow_up_due=today,
    )
    InteractionFactory(
        customer=CustomerFactory(department=department_a, name="诸葛亮"),
        kind="complaint",
        staff=staff_a,
        summary="投诉门店排队时间过长。",
        follow_up_due=today + dt.timedelta(days=4),
    )
    page, problems = staff_page(
        browser, live_server, staff_a, "/customers/follow-ups/", language=language
    )
    page.wait_for_selector("#follow-ups")
    assert fits_the_screen(page)
    assert character_columns(page) == []

    # Filters: hidden until the one button is pressed.
    assert page.locator("#follow-up-filters").is_hidden()
    page.click("[data-filters-toggle=follow-up-filters]")
    page.wait_for_selector("#follow-up-filters.show")  # the collapse has finished opening
    assert page.locator("#follow-up-filters select[name=kind]").is_visible()
    assert fits_the_screen(page)

    # Each follow-up is a card: customer first, due with the overdue badge, the summary.
    overdue = page.locator("#follow-ups tr[data-follow-up]").first
    assert "欧阳娜娜" in overdue.locator("[data-follow-up-customer]").inner_text()
    assert overdue.locator("[data-overdue]").is_visible()
    assert overdue.locator("thead").count() == 0
    assert page.locator("#follow-ups thead").is_hidden()
    card = overdue.bounding_box()
    assert card["width"] <= 390 and card["height"] > 150
    title = overdue.locator("[data-follow-up-customer]").bounding_box()
    due = overdue.locator("td", has=page.locator("[data-overdue]")).bounding_box()
    assert title["y"] < due["y"]  # the customer heads the card, the due date below
    if language == "zh-hans":
        screenshot(page, "phone-follow-ups.png")

    # Mark the one due today done.
    row = page.locator(f'#follow-ups tr[data-follow-up="{due_today.pk}"]')
    row.locator("button[data-confirm]").click()
    page.wait_for_selector(f'#follow-ups tr[data-follow-up="{due_today.pk}"]', state="detached")
    assert fits_the_screen(page)

    # Overdue only: the list reloads with the filters folded away and the button says so.
    page.click("[data-filters-toggle=follow-up-filters]")
    page.wait_for_selector("#follow-up-filters.show")
    with page.expect_navigation():
        page.check("#follow-up-filters input[name=overdue]")
    assert page.locator("#follow-up-filters").is_hidden()
    assert page.inner_text("[data-filters-toggle=follow-up-filters] .badge") == "1"
    assert page.locator("#follow-ups tr[data-follow-up]").count() == 1
    assert page.locator("#follow-ups [data-overdue]").is_visible()
    assert problems == []
    page.context.close()

    due_today.refresh_from_db()
    assert due_today.outcome == InteractionOutcome.RESOLVED
    assert due_today.resolved_by == staff_a
    assert Interaction.objects.filter(outcome=InteractionOutcome.OPEN).count() == 2


@pytest.mark.parametrize("path", ["customer", "follow-ups"])
def test_customer_page_and_follow_ups_still_fit_a_desktop(
    live_server, browser, staff_a, busy_customer, path
):
    url = f"/customers/{busy_customer.pk}/" if path == "customer" else "/customers/follow-ups/"
    page, problems = staff_page(
        browser, live_server, staff_a, url, device=DESKTOP, language="zh-hans"
    )
    page.wait_for_selector("main h1")
    assert fits_the_screen(page)
    assert character_columns(page) == []
    if path == "customer":
        # The quick actions are an ordinary toolbar beside the name, the filters shown.
        bar = page.locator("#customer-actions").bounding_box()
        assert bar["y"] < 300
        assert page.locator("[data-filters=timeline-filters]").is_visible()
        assert page.locator("[data-filters-toggle]").is_hidden()
    else:
        assert page.locator("#follow-up-filters").is_visible()
        assert page.locator("#follow-ups thead").is_visible()
    assert problems == []
    page.context.close()
