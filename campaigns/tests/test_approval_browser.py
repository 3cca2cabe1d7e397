"""In Chromium, in Chinese at 1440 px and 390 px: the round trip of an approval. Staff
submit a campaign; the manager reads the review (labels and values, no keys) and asks for
changes with a comment; staff see the bell's count, open the notice, edit and resubmit;
the manager sees only the changed field and approves; staff get the approval notice.
The database records the decisions, the notices and the emails.

Set ``CARECRM_SCREENSHOTS=1`` to also write docs/screenshots/approval-review-*.png."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

from campaigns.models import CampaignReview, CampaignStatus, CareCampaign, ReviewDecision
from campaigns.services.campaigns import campaign_content_set, campaign_create
from carecrm.accounts.tests.factories import TEST_PASSWORD
from carecrm.core.models import Notification
from carecrm.core.testing import PHONE, fits_the_screen
from customers.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "docs" / "screenshots"
RAW = ("birthday", "promotion", "FREQ=", "days_before", "rrule", "UCS-2")
COMMENT = "请提前 5 天发送，给门店留出备货时间。"


def screenshot(page, name: str) -> None:
    if os.environ.get("CARECRM_SCREENSHOTS"):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / name), full_page=True)


def signed_in(browser, live_server, user, path: str, device: dict):
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
    page.wait_for_url(re.compile(re.escape(path) + "$"))
    return context, page, problems


def bell_count(page) -> str:
    count = page.locator("#notification-count")
    return count.inner_text() if count.count() else "0"


@pytest.mark.parametrize(
    "device", [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]
)
def test_staff_manager_staff_round_trip(
    live_server, browser, department_a, staff_a, manager_a, smtp_inbox, eager_celery, device
):
    CustomerFactory(department=department_a, name="王小明", mobile="13800000001")
    campaign = campaign_create(
        user=staff_a,
        fields={
            "name": "生日关怀",
            "kind": "birthday",
            "days_before": 3,
            "backup_plan": "投诉当日回电；退订立即停止。",
            "goal_target": 35,
        },
    )
    campaign_content_set(
        campaign=campaign,
        user=staff_a,
        channel="sms",
        body="【悦享生活】{name}，生日快乐！回T退订",
    )
    detail = f"/campaigns/{campaign.pk}/"
    review = f"/campaigns/{campaign.pk}/review/"

    # staff submit
    staff_context, staff, staff_problems = signed_in(browser, live_server, staff_a, detail, device)
    # the page posts to itself and comes back to the same address: wait for the new page
    with staff.expect_navigation():
        staff.click(f"form[action='{detail}submit/'] button")
    assert CareCampaign.objects.get(pk=campaign.pk).status == CampaignStatus.IN_REVIEW
    assert bell_count(staff) == "0"

    # the manager reads the first submission and asks for changes
    manager_context, manager, manager_problems = signed_in(
        browser, live_server, manager_a, review, device
    )
    assert manager.get_attribute("#review-heading", "data-review") == "first"
    text = manager.inner_text("main")
    for raw in RAW:
        assert raw not in text, raw
    assert "关怀类型" in text and "生日祝福" in text  # kind of care: birthday greetings
    assert "王小明，生日快乐" in text  # the SMS as the sample customer receives it
    assert fits_the_screen(manager)
    manager.fill("#id_comment", COMMENT)
    manager.click("#final-approval button[value=request_changes]")
    manager.wait_for_url(re.compile(r"/campaigns/approvals/$"))
    assert CareCampaign.objects.get(pk=campaign.pk).status == CampaignStatus.CHANGES_REQUESTED

    # staff see the bell, open the notice: it is read and leads to the campaign
    staff.reload()
    assert bell_count(staff) == "1"
    staff.click("#notification-toggle")
    notice = staff.locator("#notification-bell [data-notification]").first
    notice.wait_for()
    assert "生日关怀" in notice.inner_text()
    with staff.expect_navigation(url=re.compile(re.escape(detail) + "$")):
        notice.click()
    assert bell_count(staff) == "0"
    assert COMMENT in staff.inner_text("#changes-asked")  # what to change, on the page
    first = Notification.objects.get(recipient=staff_a)
    assert first.read_at is not None and first.body == COMMENT

    # staff edit the schedule and resubmit
    staff.goto(live_server.url + detail + "edit/")
    staff.fill("#id_days_before", "5")
    staff.click("#campaign-form button[type=submit]")
    staff.wait_for_url(re.compile(re.escape(detail) + "$"))
    assert CareCampaign.objects.get(pk=campaign.pk).days_before == 5
    # the page posts to itself and comes back to the same address: wait for the new page
    with staff.expect_navigation():
        staff.click(f"form[action='{detail}submit/'] button")
    assert CareCampaign.objects.get(pk=campaign.pk).status == CampaignStatus.IN_REVIEW

    # the manager sees only the changed field, with what was asked, and approves
    manager.goto(live_server.url + review)
    assert manager.get_attribute("#review-heading", "data-review") == "resubmission"
    changes = manager.locator("#review-changed .review-change")
    assert changes.count() == 1
    assert changes.first.get_attribute("data-field") == "schedule"
    assert "5" in changes.first.locator(".review-after").inner_text()
    assert "3" in changes.first.locator(".review-before").inner_text()
    assert COMMENT in manager.inner_text("#review-asked")
    assert not manager.is_visible("#review-unchanged dl")  # folded away
    manager.click("#review-unchanged summary")
    assert manager.is_visible("#review-unchanged dl")
    assert fits_the_screen(manager)
    screenshot(manager, f"approval-review-{'phone' if device is PHONE else 'desktop'}.png")
    manager.fill("#id_comment", "同意，按时发送。")
    manager.click("#final-approval button[value=approve]")
    manager.wait_for_url(re.compile(re.escape(detail) + "$"))

    # staff get the approval notice
    staff.reload()
    assert bell_count(staff) == "1"
    assert fits_the_screen(staff)

    campaign.refresh_from_db()
    assert campaign.status in (CampaignStatus.APPROVED, CampaignStatus.ACTIVE)
    assert campaign.review_round == 2
    assert list(
        CampaignReview.objects.filter(campaign=campaign)
        .order_by("created_at", "id")
        .values_list("review_round", "decision", "reviewer")
    ) == [
        (1, ReviewDecision.CHANGES_REQUESTED, manager_a.pk),
        (2, ReviewDecision.APPROVED, manager_a.pk),
    ]
    notices = list(Notification.objects.filter(recipient=staff_a).order_by("created_at", "id"))
    assert [n.kind for n in notices] == ["campaigns.changes_requested", "campaigns.approved"]
    assert notices[0].read_at is not None and notices[1].read_at is None
    assert all(n.emailed_at is not None for n in notices)
    mails = smtp_inbox.messages()
    assert [to for to, _mail in mails] == [[staff_a.email], [staff_a.email]]
    assert COMMENT in mails[0][1].get_content()
    assert "同意，按时发送。" in mails[1][1].get_content()
    assert staff_problems == [] and manager_problems == []
    staff_context.close()
    manager_context.close()


def test_the_kind_of_care_follows_the_kind_until_chosen(live_server, browser, staff_a):
    context, page, problems = signed_in(browser, live_server, staff_a, "/campaigns/new/", DESKTOP)
    assert page.input_value("#id_care_kind") == ""
    page.select_option("#id_kind", "birthday")
    assert page.input_value("#id_care_kind") == "birthday"
    page.select_option("#id_kind", "holiday")
    assert page.input_value("#id_care_kind") == "holiday"
    page.select_option("#id_kind", "one_off")
    assert page.input_value("#id_care_kind") == "promotion"
    page.select_option("#id_care_kind", "event")
    page.select_option("#id_kind", "birthday")
    assert page.input_value("#id_care_kind") == "event"  # chosen by hand: kept
    assert problems == []
    context.close()
