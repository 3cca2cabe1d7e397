"""In Chromium at 390×844, then at 1440 px: a member of staff opens a gold customer's page,
follows "Redeem points" from the points panel, asks for more points than the customer
holds and is told the balance (what was typed stays), then redeems 300 points for a gift
box. The ledger shows the redemption and the new balance, the database's balance is the
ledger's sum, and nothing is wider than the screen. Then the referrer is set by search."""

import pytest

from carecrm.core.testing import fits_the_screen, staff_page
from customers.tests.factories import CustomerFactory
from loyalty.models import EntryKind, PointsEntry
from loyalty.selectors.points import account_balance
from loyalty.tests.factories import assert_balanced, post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1440, "height": 900}}


def test_staff_redeem_points_on_a_phone(live_server, browser, staff_a, department_a):
    customer = CustomerFactory(department=department_a, name="金卡客户", vip_level="gold")
    post(customer, 800)

    page, problems = staff_page(browser, live_server, staff_a, f"/customers/{customer.pk}/")
    page.wait_for_selector("#panel-points")
    assert "800" in page.text_content("#panel-points")
    assert fits_the_screen(page)
    page.click('#panel-points [data-action="redeem"]')
    page.wait_for_selector("#redeem-form")
    assert page.text_content("#redeem-balance").strip() == "800"
    assert fits_the_screen(page)

    page.fill("#id_points", "900")
    page.fill("#id_reward", "精品茶礼盒")
    page.click("#redeem-submit")
    page.wait_for_selector("text=The customer holds 800 points; 900 cannot be redeemed.")
    assert page.input_value("#id_reward") == "精品茶礼盒"
    assert account_balance(customer) == 800

    page.fill("#id_points", "300")
    page.fill("#id_note", "门店领取")
    page.click("#redeem-submit")
    page.wait_for_selector(".alert-success")
    assert "300 points redeemed for 精品茶礼盒." in page.text_content(".alert-success")
    assert page.text_content("[data-balance]").strip() == "500"
    row = page.locator('#ledger tr[data-kind="redemption"]')
    assert "精品茶礼盒" in row.text_content() and "−300" in row.text_content()
    assert fits_the_screen(page)
    assert problems == []
    page.context.close()

    entry = PointsEntry.objects.get(customer=customer, kind=EntryKind.REDEMPTION)
    assert (entry.points, entry.reward, entry.note, entry.created_by) == (
        -300,
        "精品茶礼盒",
        "门店领取",
        staff_a,
    )
    assert account_balance(customer) == 500
    assert_balanced()

    page, problems = staff_page(
        browser, live_server, staff_a, f"/loyalty/customers/{customer.pk}/", device=DESKTOP
    )
    page.wait_for_selector("#ledger")
    assert page.text_content("[data-balance]").strip() == "500"
    assert fits_the_screen(page)
    assert problems == []
    page.context.close()


def test_staff_set_the_referrer_by_searching_on_a_phone(
    live_server, browser, staff_a, department_a
):
    customer = CustomerFactory(department=department_a, name="新客户")
    referrer = CustomerFactory(department=department_a, name="介绍人李", mobile="+8613700004321")
    page, problems = staff_page(browser, live_server, staff_a, f"/customers/{customer.pk}/")
    page.wait_for_selector("#panel-referrals")
    page.click('#panel-referrals [data-action="set-referrer"]')
    page.wait_for_selector("#referrer-search")
    page.fill("#referrer-q", "4321")
    page.click("#referrer-search button")
    page.wait_for_selector(f'#id_referrer option[value="{referrer.pk}"]', state="attached")
    page.select_option("#id_referrer", str(referrer.pk))
    assert fits_the_screen(page)
    page.click("#referrer-save")
    page.wait_for_selector(".alert-success")
    assert "介绍人李" in page.text_content("#panel-referrals")
    assert fits_the_screen(page)
    assert problems == []
    customer.refresh_from_db()
    assert customer.referred_by == referrer
