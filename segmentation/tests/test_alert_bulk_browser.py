"""In Chromium, in Chinese, at 1440 px and on a phone: a manager ticks two risk alerts in
the inbox, gives them to a colleague and acknowledges another; the database records it."""

import pytest

from carecrm.accounts.tests.factories import TEST_PASSWORD
from carecrm.core.testing import PHONE, fits_the_screen
from segmentation.models import AlertStatus, RiskAlert
from segmentation.tests.test_alert_bulk import complaint_alerts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1440, "height": 900}}


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_assigns_and_acknowledges_alerts_in_bulk(
    live_server, browser, department_a, manager_a, staff_a, device
):
    first, second, third = complaint_alerts(department_a, 3)
    context = browser.new_context(locale="zh-CN", **device)
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/segments/alerts/?scope=all")
    page.fill("#id_username", manager_a.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#alert-bulk-bar")
    assert fits_the_screen(page)

    page.check(f'#alert-table tr[data-alert="{first.pk}"] .js-alert-check')
    page.check(f'#alert-table tr[data-alert="{second.pk}"] .js-alert-check')
    page.select_option("#alert-assignee", str(staff_a.pk))
    page.click("#alert-bulk-assign")
    page.wait_for_selector(".alert-success")
    assert "分配" in page.inner_text(".alert-success") or str(staff_a) in page.inner_text(
        ".alert-success"
    )

    page.check(f'#alert-table tr[data-alert="{third.pk}"] .js-alert-check')
    page.click("#alert-bulk-acknowledge")
    page.wait_for_selector(".alert-success")
    assert problems == []
    context.close()

    assignees = dict(RiskAlert.objects.values_list("pk", "assigned_to"))
    assert assignees[first.pk] == assignees[second.pk] == staff_a.pk
    assert assignees[third.pk] != staff_a.pk
    assert RiskAlert.objects.get(pk=third.pk).status == AlertStatus.ACKNOWLEDGED
    assert RiskAlert.objects.get(pk=first.pk).status == AlertStatus.OPEN
