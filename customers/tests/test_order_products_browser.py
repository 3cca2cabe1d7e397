"""Recording an order from the catalogue, in Chromium, in Chinese, on a desktop and on a
390 px phone: a staff member searches the product box, picks a product (its name,
category and price fill in; they lower the price for a discount), adds a line typed by
hand for an item not in the catalogue, and records the order. The database then holds
the picked product on its line with what was sold, and the typed line without one.

Set ``CARECRM_SCREENSHOTS=1`` to also write ``docs/screenshots/order-products-*.png``.
"""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from carecrm.accounts.tests.factories import TEST_PASSWORD
from carecrm.core.testing import PHONE, fits_the_screen
from customers.models import Order
from customers.tests.factories import CustomerFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1440, "height": 900}}
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "docs" / "screenshots"


def screenshot(page, name: str) -> None:
    if os.environ.get("CARECRM_SCREENSHOTS"):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / name), full_page=True)


@pytest.mark.parametrize(
    ("device", "name"), [pytest.param(DESKTOP, "desktop", id="desktop"), (PHONE, "phone")]
)
def test_staff_record_an_order_picking_a_product_and_typing_another_item(
    live_server, browser, staff_a, department_a, device, name
):
    beans = ProductFactory(name="云南小粒咖啡豆 500g", category="咖啡", list_price="128.00")
    ProductFactory(name="云南普洱茶饼 357g", category="茶叶", list_price="288.00")
    ProductFactory(name="云南旧款咖啡豆", category="咖啡", list_price="99.00", active=False)
    customer = CustomerFactory(department=department_a, name="欧阳娜娜")

    context = browser.new_context(locale="zh-CN", **device)
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(f"{live_server.url}/customers/{customer.pk}/orders/new/")
    page.fill("#id_username", staff_a.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#id_lines-0-product")

    # Search the catalogue: both 云南 products that still sell are offered, not the old one.
    with page.expect_response(lambda r: "/customers/products/search/" in r.url):
        page.locator("#id_lines-0-product").press_sequentially("云南")
    options = page.locator("[data-order-line]").first.locator("[data-pick-product]")
    options.first.wait_for()
    page.wait_for_function(
        "() => document.querySelectorAll('[data-order-line] [data-pick-product]').length === 2"
    )
    assert "云南旧款咖啡豆" not in page.inner_text("[data-product-results]")
    page.locator(f"[data-pick-product='{beans.pk}']").click()
    assert page.input_value("#id_lines-0-product") == "云南小粒咖啡豆 500g"
    assert page.input_value("#id_lines-0-category") == "咖啡"
    assert page.input_value("#id_lines-0-unit_price") == "128.00"
    assert page.input_value("#id_lines-0-catalogue_product") == str(beans.pk)
    page.fill("#id_lines-0-quantity", "2")
    page.fill("#id_lines-0-unit_price", "118.00")  # a discount on the list price

    # An item that is not in the catalogue, typed by hand.
    page.fill("#id_lines-1-product", "定制刻字服务")
    page.wait_for_selector("[data-order-line]:nth-child(2) [data-product-results]:not([hidden])")
    page.fill("#id_lines-1-unit_price", "30")
    page.wait_for_function("() => document.getElementById('order-total').textContent === '266.00'")
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot(page, f"order-products-{name}.png")
    # Another line: its product box takes the focus, ready to search.
    page.click("[data-add-order-line]")
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.id === 'id_lines-3-product'"
    )
    assert fits_the_screen(page)

    page.click("main form[method=post] button[type=submit].btn-primary")
    page.wait_for_selector("[data-customer-name]")
    assert problems == []

    order = Order.objects.get(customer=customer)
    assert order.amount == Decimal("266.00")  # 2 × 118 + 30, computed on the server
    assert list(
        order.lines.order_by("pk").values_list(
            "catalogue_product", "product", "category", "quantity", "unit_price"
        )
    ) == [
        (beans.pk, "云南小粒咖啡豆 500g", "咖啡", Decimal("2.00"), Decimal("118.00")),
        (None, "定制刻字服务", "", Decimal("1.00"), Decimal("30.00")),
    ]

    # The products page counts the sale (staff read it; no edit buttons for them).
    page.goto(f"{live_server.url}/customers/products/")
    row = page.locator(f"[data-product='{beans.pk}']")
    assert row.get_attribute("data-orders") == "1"
    assert row.get_attribute("data-revenue") == "236.00"
    assert page.locator("[data-product-add]").count() == 0
    assert fits_the_screen(page)
    screenshot(page, f"products-{name}.png")
    assert problems == []
    context.close()
    connections.close_all()
