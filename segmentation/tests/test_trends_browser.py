"""In Chromium, on a phone (390 px) and at 1440 px: staff open a segment, switch to its
Trends tab, choose a range of months through the form, see the three charts drawn with a
table under each, get the export and go back to a preset; nothing overflows the phone's
width."""

import pytest

from carecrm.core.testing import PHONE, fits_the_screen, staff_page
from customers.tests.factories import CustomerFactory
from segmentation.tests.factories import SegmentFactory
from segmentation.tests.test_trends import GOLD, at, order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1440, "height": 900}}


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_staff_open_the_trends_tab_and_pick_months(
    live_server, browser, department_a, staff_a, device
):
    segment = SegmentFactory(department=department_a, rules=GOLD, name="金卡会员")
    member = CustomerFactory(department=department_a, vip_level="gold")
    order(member, at(2026, 1, 5), "100.00", ("咖啡", "1", "60.00"), ("茶", "2", "20.00"))
    order(member, at(2026, 3, 9), "80.00", ("茶", "4", "20.00"))

    page, problems = staff_page(
        browser, live_server, staff_a, f"/segments/{segment.pk}/", device=device
    )
    page.click("#segment-trends-tab")
    page.wait_for_selector("#trend-range")
    page.fill("#t-from", "2026-01")
    page.fill("#t-to", "2026-04")
    page.click("#trend-range button[type=submit]")
    page.wait_for_url("**from=2026-01**")
    page.wait_for_function("() => document.getElementById('segment-trends').dataset.drawn === '1'")
    for canvas in ("#trend-spend-chart", "#trend-frequency-chart", "#trend-category-chart"):
        assert page.locator(canvas).bounding_box()["height"] > 50
    assert page.locator("#trend-spend-table tbody tr").count() == 4
    assert page.locator('#trend-spend-table tr[data-month="2026-03"] td').inner_text() == "¥80.00"
    assert (
        page.locator(
            '#trend-category-table tr[data-category="茶"] td[data-month="2026-01"]'
        ).inner_text()
        == "40.0 %"
    )
    assert fits_the_screen(page)

    with page.expect_download() as download:
        page.click("#trend-xlsx")
    assert download.value.suggested_filename == f"segment-{segment.pk}-trends-202601-202604.xlsx"

    page.select_option("#t-months", "24")  # a preset clears the chosen months
    assert page.input_value("#t-from") == "" and page.input_value("#t-to") == ""
    page.click("#trend-range button[type=submit]")
    page.wait_for_url("**months=24**")
    assert page.locator("#trend-spend-table tbody tr").count() == 24
    assert problems == []
    page.context.close()
