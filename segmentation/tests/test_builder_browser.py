"""In Chromium, in Chinese, on a desktop (1440 px) and a phone (390 px): a manager builds
a segment "total spend between ¥1,000 and ¥5,000" with VIP levels picked through the
searchable picker, sees no message before typing and a specific one on an incomplete
save, reads the summary, saves, and starts a campaign with the segment already chosen.

Set ``CARECRM_SCREENSHOTS=1`` to also write docs/screenshots/segment-builder-*.png."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from carecrm.accounts.tests.factories import TEST_PASSWORD
from carecrm.core.testing import PHONE, fits_the_screen
from customers.tests.factories import CustomerFactory
from segmentation.models import Segment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "docs" / "screenshots"


def signed_in_chinese(browser, live_server, user, path: str, *, device: dict):
    context = browser.new_context(locale="zh-CN", **device)
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(live_server.url + "/accounts/login/?next=" + path)
    page.fill("#id_username", user.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    return page, problems


def visible_errors(page) -> list[str]:
    return [
        text.strip()
        for text in page.locator(".rule-error:not(.d-none)").all_inner_texts()
        if text.strip()
    ]


def pick(row, search: str, label: str) -> None:
    """Type into the picker's search box and tick the one option left."""
    row.locator(".rule-picker-search").fill(search)
    options = row.locator(".rule-picker-option:not(.d-none)")
    assert options.count() == 1
    assert options.inner_text().strip() == label
    options.locator("label").click()


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_builds_a_segment_and_uses_it_in_a_campaign(
    live_server, browser, department_a, manager_a, device
):
    for spend, level in [
        ("1000", "gold"),
        ("3000", "diamond"),
        ("5000", "gold"),
        ("6000", "gold"),
        ("2000", "silver"),
        ("800", "diamond"),
    ]:
        CustomerFactory(department=department_a, total_spend=Decimal(spend), vip_level=level)

    page, problems = signed_in_chinese(
        browser, live_server, manager_a, "/segments/new/", device=device
    )
    page.wait_for_selector("#rule-builder .rule-add")
    assert fits_the_screen(page)
    page.fill("#id_name", "中等消费金卡以上")

    # spend between 1000 and 5000: nothing is said before the user has typed
    page.click("#rule-builder .rule-add")
    spend = page.locator(".rule-condition").nth(0)
    spend.locator(".rule-field").select_option("total_spend")
    spend = page.locator(".rule-condition").nth(0)
    spend.locator(".rule-op").select_option("between")
    spend = page.locator(".rule-condition").nth(0)
    assert visible_errors(page) == []
    assert page.locator("#rule-builder .is-invalid").count() == 0
    amounts = spend.locator("input[type=number]")
    amounts.nth(0).fill("1000")
    amounts.nth(1).fill("5000")

    # VIP levels: an untouched, empty picker says nothing until the form is submitted
    page.click("#rule-builder .rule-add")
    levels = page.locator(".rule-condition").nth(1)
    levels.locator(".rule-field").select_option("vip_level")
    levels = page.locator(".rule-condition").nth(1)
    assert visible_errors(page) == []
    page.click("#segment-form button[type=submit]")
    assert visible_errors(page) == ["请至少选择一项。"]
    assert page.is_visible("#rules-problem")
    assert page.url.endswith("/segments/new/")  # not sent

    pick(levels, "金", "金卡（SVIP）")
    pick(levels, "钻石", "钻石卡（SVIP+）")
    assert levels.locator(".rule-chip").all_inner_texts() == ["金卡（SVIP）", "钻石卡（SVIP+）"]
    assert visible_errors(page) == []

    summary = page.locator("#live-summary", has_text="钻石卡")
    summary.wait_for()
    assert summary.locator("li").all_inner_texts() == [
        "累计消费在 ¥1,000 至 ¥5,000 之间",
        "VIP 等级：金卡（SVIP）、钻石卡（SVIP+）",
    ]
    assert page.get_attribute("[data-live-count]", "data-live-count") == "3"
    assert fits_the_screen(page)
    if os.environ.get("CARECRM_SCREENSHOTS"):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        name = "segment-builder-phone.png" if device is PHONE else "segment-builder-desktop.png"
        page.screenshot(path=str(SCREENSHOT_DIR / name), full_page=True)

    page.click("#segment-form button[type=submit]")
    page.wait_for_selector("#segment-actions")
    segment = Segment.objects.get(name="中等消费金卡以上")
    assert segment.department == department_a
    assert segment.rules == {
        "match": "all",
        "conditions": [
            {
                "field": "total_spend",
                "op": "between",
                "value": {"min": "1000.00", "max": "5000.00"},
            },
            {"field": "vip_level", "op": "in", "value": ["diamond", "gold"]},
        ],
    }
    assert page.locator("#segment-rules li").all_inner_texts() == [
        "累计消费在 ¥1,000 至 ¥5,000 之间",
        "VIP 等级：金卡（SVIP）、钻石卡（SVIP+）",
    ]
    assert page.locator("#customer-table tbody tr").count() == 3
    assert fits_the_screen(page)

    page.click("#segment-use-campaign")
    page.wait_for_selector("#id_include_segments")
    assert page.url.endswith(f"/campaigns/new/?segment={segment.pk}")
    chosen = page.eval_on_selector(
        "#id_include_segments", "s => [...s.selectedOptions].map(o => o.value)"
    )
    assert chosen == [str(segment.pk)]
    assert problems == []
    page.context.close()
