"""The customer list a care team works from all day, in Chromium: it fits a 1440 px screen
for admins (department column) and staff, in Chinese and English; staff choose columns,
save the list as a view and open it again from its pill; on a phone the filters sit behind
one button and the customers are cards that still can be ticked for bulk actions.

Set ``CARECRM_SCREENSHOTS=1`` to also write ``docs/screenshots/customer-list-*.png``.
"""

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from carecrm.accounts.tests.factories import TEST_PASSWORD, DepartmentFactory, UserFactory
from carecrm.core.testing import PHONE, fits_the_screen
from customers.models import CustomerListPreference, SavedCustomerView, StaticList
from customers.tests.factories import CustomerFactory
from customers.tests.factories_list import TagFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1440, "height": 900}}
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "docs" / "screenshots"
LONG_NAME = "上海市浦东新区张江高科技园区国际贸易发展有限公司客户服务中心"

# The table never scrolls sideways inside its box either (not only the page).
TABLE_FITS = """() => {
  const wrap = document.querySelector('.customer-table-wrap');
  return wrap.scrollWidth <= wrap.clientWidth + 1;
}"""
# Widths of visible result cells (a cell narrower than two characters breaks per letter).
CELL_WIDTHS = """() => Array.from(document.querySelectorAll('#customer-results td'))
  .filter(td => td.offsetParent !== null)
  .map(td => Math.round(td.getBoundingClientRect().width))"""


def screenshot(page, name: str) -> None:
    if os.environ.get("CARECRM_SCREENSHOTS"):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / name), full_page=True)


def _page(browser, live_server, user, device: dict, language: str = "zh-hans"):
    locale = "zh-CN" if language == "zh-hans" else "en-US"
    context = browser.new_context(locale=locale, **device)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(live_server.url + "/customers/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#customer-results")
    return page, problems


def _customers(department, manager, count: int = 12, start: int = 0):
    """A page of customers with everything long a real list has: company names, many
    tags, a relationship manager."""
    tags = [
        TagFactory(name=name) for name in ("咖啡爱好者", "高端红酒会员", "年度答谢晚宴嘉宾", "母婴")
    ]
    rows = []
    for i in range(start, start + count):
        customer = CustomerFactory(
            department=department,
            name=LONG_NAME if i % 3 == 0 else f"欧阳娜娜{i}",
            kind="company" if i % 3 == 0 else "person",
            mobile=f"+86139123456{i:02d}",
            email=f"very.long.customer.address.{i}@example-enterprise.com.cn",
            city="乌鲁木齐市",
            region="西北大区",
            vip_level="gold" if i % 2 else "diamond",
            value_tier="high" if i % 2 else "medium",
            lifecycle_stage="churn_risk" if i % 4 == 0 else "active",
            total_spend=Decimal("1234567.89"),
            last_purchase_on=dt.date(2026, 11, 1),
            relationship_manager=manager,
        )
        customer.tags.add(*tags)
        rows.append(customer)
    return rows


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("role", ["admin", "staff"])
def test_the_list_fits_1440_pixels_for_admins_and_staff(
    live_server, browser, department_a, staff_a, admin_user, role, language
):
    long_department = DepartmentFactory(
        name="华东大区高端客户关怀与会员运营服务部", code="east-vip"
    )
    manager = UserFactory(
        username="long_manager",
        role="manager",
        department=long_department,
        display_name="欧阳长名字经理",
    )
    _customers(department_a, staff_a, 8)
    _customers(long_department, manager, 8, start=8)
    user = admin_user if role == "admin" else staff_a
    page, problems = _page(browser, live_server, user, DESKTOP, language)

    headers = page.eval_on_selector_all(
        "#customer-results thead th[data-col]", "els => els.map(e => e.dataset.col)"
    )
    assert ("department" in headers) == (role == "admin")
    assert {"name", "mobile", "vip", "tier", "total_spend", "last_purchase"} <= set(headers)
    assert page.locator("#customer-results tbody tr[data-customer-id]").count() == (
        16 if role == "admin" else 8
    )
    assert fits_the_screen(page)
    assert page.evaluate(TABLE_FITS)
    # Long names are cut, with the whole name in a tooltip.
    assert page.locator(f"#customer-results [title='{LONG_NAME}']").count() > 0
    assert min(page.evaluate(CELL_WIDTHS)) >= 28
    if role == "staff" and language == "zh-hans":
        screenshot(page, "customer-list-desktop.png")
    assert not problems, problems


def test_staff_choose_columns_save_a_view_and_open_it_from_its_pill(
    live_server, browser, department_a, department_b, staff_a
):
    _customers(department_a, staff_a, 3)
    gold = CustomerFactory(department=department_a, name="金卡客户甲", vip_level="gold")
    CustomerFactory(department=department_b, name="别部门金卡", vip_level="gold")
    page, problems = _page(browser, live_server, staff_a, DESKTOP)

    # Columns: add RFM and created, drop tags; the results follow at once.
    page.click("[data-columns-button]")
    for key, wanted in (("rfm", True), ("created", True), ("tags", False)):
        with page.expect_response(lambda r: "/customers/columns/" in r.url):
            page.set_checked(f"#column-{key}", wanted)
        page.wait_for_function(
            "arg => "
            "!!document.querySelector(`#customer-results th[data-col=${arg.key}]`) === arg.wanted",
            arg={"key": key, "wanted": wanted},
        )
    chosen = CustomerListPreference.objects.get(user=staff_a).columns
    assert "rfm" in chosen and "created" in chosen and "tags" not in chosen
    page.keyboard.press("Escape")

    # Filter to gold customers, then save the list as a view that opens by default.
    with page.expect_response(lambda r: "vip_level=gold" in r.url):
        page.select_option("#id_vip_level", "gold")
    page.wait_for_function("() => !document.body.innerText.includes('欧阳娜娜0')")
    page.click("[data-save-view-button]")
    page.fill("#saved-view-form [name=name]", "我的金卡客户")
    page.check("#saved-view-form [name=is_default]")
    page.click("#saved-view-form button[type=submit]")
    pill = page.wait_for_selector("[data-saved-view][aria-current=page]")
    assert "我的金卡客户" in pill.inner_text()
    view = SavedCustomerView.objects.get(owner=staff_a)
    assert (view.name, view.is_default) == ("我的金卡客户", True)
    assert "vip_level=gold" in view.query
    assert "rfm" in view.columns and "tags" not in view.columns

    # Back to every customer and the standard columns; then the pill brings the view back.
    page.click("[data-saved-view-all]")
    page.wait_for_selector("#customer-results")
    page.click("[data-columns-button]")
    with page.expect_response(lambda r: "/customers/columns/" in r.url):
        page.set_checked("#column-rfm", False)
    page.wait_for_function("() => !document.querySelector('#customer-results th[data-col=rfm]')")
    page.reload()
    assert "欧阳娜娜1" in page.inner_text("#customer-results")
    page.click(f"[data-saved-view='{view.pk}']")
    page.wait_for_selector(f"[data-saved-view='{view.pk}'][aria-current=page]")
    results = page.inner_text("#customer-results")
    assert "金卡客户甲" in results and "别部门金卡" not in results
    assert page.locator("#customer-results th[data-col=rfm]").count() == 1
    assert page.locator("#customer-results th[data-col=tags]").count() == 0
    assert page.input_value("#id_vip_level") == "gold"
    ids = page.eval_on_selector_all(
        "#customer-results tr[data-customer-id]", "els => els.map(e => +e.dataset.customerId)"
    )
    assert gold.pk in ids

    # The default view opens on a bare visit to the list.
    page.goto(live_server.url + "/customers/")
    page.wait_for_selector(f"[data-saved-view='{view.pk}'][aria-current=page]")
    assert page.input_value("#id_vip_level") == "gold"
    assert not problems, problems


def test_on_a_phone_filters_sit_behind_one_button_and_customers_are_cards(
    live_server, browser, department_a, staff_a
):
    _customers(department_a, staff_a, 6)
    page, problems = _page(browser, live_server, staff_a, PHONE)

    assert fits_the_screen(page)
    # The search box stays in view; the other filters wait behind the one Filters button.
    assert page.is_visible("#id_q")
    assert not page.is_visible("#id_vip_level")
    page.click("[data-filters-button]")
    page.wait_for_selector("#customer-filter-panel.show")
    assert page.is_visible("#id_vip_level")
    page.click("#customer-filter-panel [data-bs-dismiss=offcanvas]")
    page.wait_for_selector("#customer-filter-panel", state="hidden")
    # Filtering from the panel: "Apply" closes it and shows the filtered cards.
    page.click("[data-filters-button]")
    page.wait_for_selector("#customer-filter-panel.show")
    with page.expect_response(lambda r: "vip_level=diamond" in r.url):
        page.select_option("#id_vip_level", "diamond")
    page.click("#customer-filters button[type=submit]")
    page.wait_for_selector("#customer-filter-panel", state="hidden")
    badges = page.locator("#customer-results [data-col=vip] .badge").all_inner_texts()
    assert len(badges) == 3 and len(set(badges)) == 1

    # Cards, not a wide table: no header row, each customer a box as wide as the screen.
    assert not page.is_visible("#customer-results thead")
    assert page.evaluate(TABLE_FITS)
    card = page.locator("#customer-results tr[data-customer-id]").first
    text = card.inner_text()
    assert "139****5600" in text or "139****" in text
    assert "2026-11-01" in text
    assert "¥" in text
    assert card.locator("[data-col=vip] .badge").is_visible()
    assert card.locator("[data-col=tier]").is_visible()
    box = card.bounding_box()
    assert box["width"] <= 390
    assert min(page.evaluate(CELL_WIDTHS)) >= 28
    assert fits_the_screen(page)

    # Bulk selection still works from a card.
    assert page.is_disabled("[data-needs-selection].dropdown-toggle >> nth=0")
    card.locator(".js-row-check").check()
    page.wait_for_function(
        "() => document.querySelector('[data-selected-count]').textContent.includes('1')"
    )
    assert not page.is_disabled("[data-needs-selection].dropdown-toggle >> nth=0")
    screenshot(page, "customer-list-phone.png")
    assert not problems, problems


def _open_bulk_dialog(page, customer, dialog: str, field: str) -> None:
    """Tick ``customer``'s row, open ``dialog`` from the bulk menu and wait until the
    fields it loads when it opens have come (``field``)."""
    row = page.locator(f"#customer-results tr[data-customer-id='{customer.pk}']")
    row.locator(".js-row-check").check()
    page.click("[data-needs-selection].dropdown-toggle >> nth=0")
    page.click(f"[data-bs-target='#{dialog}']")
    page.wait_for_selector(f"#{dialog} #{field}")


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_remove_tag_dialog_loads_the_tags_in_scope_when_it_opens(
    live_server, browser, department_a, department_b, staff_a, device
):
    customers = _customers(department_a, staff_a, 3)
    other = CustomerFactory(department=department_b)
    other.tags.add(TagFactory(name="华南专属"))
    page, problems = _page(browser, live_server, staff_a, device, "en")
    _open_bulk_dialog(page, customers[0], "bulk-tag-remove", "bulk_remove_tag")
    options = page.locator("#bulk_remove_tag option").all_inner_texts()
    assert sorted(options[1:]) == sorted(["咖啡爱好者", "高端红酒会员", "年度答谢晚宴嘉宾", "母婴"])
    page.select_option("#bulk_remove_tag", label="母婴")
    page.click("#bulk-tag-remove button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert "Tag “母婴” removed from 1 customer." in page.inner_text(".alert-success")
    assert [t.name for t in customers[0].tags.order_by("name")] == sorted(
        ["咖啡爱好者", "高端红酒会员", "年度答谢晚宴嘉宾"]
    )
    assert customers[1].tags.filter(name="母婴").exists()
    assert fits_the_screen(page)
    assert not problems, problems


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_assign_and_add_to_list_dialogs_load_their_choices_when_they_open(
    live_server, browser, department_a, staff_a, device
):
    customers = _customers(department_a, staff_a, 3)
    colleague = UserFactory(username="colleague_a", first_name="小雨", last_name="周")
    colleague.department = department_a
    colleague.save()
    page, problems = _page(browser, live_server, staff_a, device, "en")
    _open_bulk_dialog(page, customers[0], "bulk-assign-manager", "bulk_manager")
    page.select_option("#bulk_manager", str(colleague.pk))
    page.click("#bulk-assign-manager button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert "is now the relationship manager of 1 customer" in page.inner_text(".alert-success")
    customers[0].refresh_from_db()
    assert customers[0].relationship_manager == colleague

    _open_bulk_dialog(page, customers[1], "bulk-add-to-list", "bulk_new_list_name")
    page.fill("#bulk_new_list_name", "春节回访")
    page.click("#bulk-add-to-list button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert "added to the list “春节回访”" in page.inner_text(".alert-success")
    assert list(StaticList.objects.get(name="春节回访").customers.all()) == [customers[1]]
    assert fits_the_screen(page)
    assert not problems, problems
