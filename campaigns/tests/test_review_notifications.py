"""The author hears of the reviewers' decision: a notice under the bell with the comment
and a link to the campaign, and an email through a real SMTP server on loopback — once
per decision, however often the task runs."""

import pytest

from campaigns.models import CampaignReview, CampaignStatus, ReviewDecision, TouchChannel
from campaigns.services.approval import (
    campaign_approve,
    campaign_request_changes,
    campaign_review,
    campaign_submit,
)
from campaigns.services.campaigns import campaign_content_set, campaign_create
from campaigns.tasks import email_review_decision
from carecrm.accounts.tests.factories import DepartmentFactory, UserFactory
from carecrm.core.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(department_a, staff_a):
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
        channel=TouchChannel.SMS,
        body="【悦享生活】{name}，生日快乐！回T退订",
    )
    return campaign_submit(campaign=campaign, user=staff_a)


def test_changes_requested_notifies_and_emails_the_author_with_the_comment(
    submitted, staff_a, manager_a, smtp_inbox, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        review = campaign_request_changes(
            campaign=submitted, user=manager_a, comment="短信请加上门店地址。"
        )
    notification = Notification.objects.get(recipient=staff_a)
    assert notification.read_at is None
    assert notification.kind == "campaigns.changes_requested"
    assert "生日关怀" in notification.title
    assert notification.body == "短信请加上门店地址。"
    assert notification.url == f"/campaigns/{submitted.pk}/"
    assert notification.key == f"campaigns.review:{review.pk}"
    assert notification.emailed_at is not None

    [(to, mail)] = smtp_inbox.messages()
    assert to == [staff_a.email]
    text = mail.get_content()
    assert "短信请加上门店地址。" in text
    assert f"https://care.example.cn/campaigns/{submitted.pk}/" in text

    # a retried task sends nothing twice
    assert email_review_decision(review.pk)["sent"] is False
    assert len(smtp_inbox.received) == 1


def test_approval_notifies_and_emails_the_author(
    submitted, staff_a, manager_a, smtp_inbox, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        campaign_approve(campaign=submitted, user=manager_a, comment="可以发送，注意频次。")
    submitted.refresh_from_db()
    assert submitted.status in (CampaignStatus.ACTIVE, CampaignStatus.APPROVED)
    review = CampaignReview.objects.get(campaign=submitted, decision=ReviewDecision.APPROVED)
    notification = Notification.objects.get(recipient=staff_a)
    assert notification.kind == "campaigns.approved"
    assert notification.key == f"campaigns.review:{review.pk}"
    assert notification.body == "可以发送，注意频次。"
    [(to, mail)] = smtp_inbox.messages()
    assert to == [staff_a.email]
    assert "可以发送，注意频次。" in mail.get_content()
    assert "生日关怀" in mail["Subject"]


def test_no_email_without_an_address_but_the_notice_is_there(
    submitted, staff_a, manager_a, smtp_inbox, eager_celery, django_capture_on_commit_callbacks
):
    staff_a.email = ""
    staff_a.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        campaign_request_changes(campaign=submitted, user=manager_a, comment="请改标题。")
    assert Notification.objects.get(recipient=staff_a).emailed_at is None
    assert smtp_inbox.received == []


def test_a_departments_request_for_changes_notifies_but_its_approval_does_not(
    department_a, staff_a, manager_a, django_capture_on_commit_callbacks
):
    marketing = DepartmentFactory(name="市场部", code="marketing")
    service = DepartmentFactory(name="客服中心", code="service")
    campaign = campaign_create(
        user=staff_a,
        fields={"name": "节日关怀", "kind": "birthday", "backup_plan": "预案", "goal_target": 30},
    )
    campaign.review_departments.set([marketing, service])
    campaign_content_set(
        campaign=campaign, user=staff_a, channel="sms", body="【悦享生活】{name}好！回T退订"
    )
    campaign_submit(campaign=campaign, user=staff_a)
    marketer = UserFactory(username="marketer", role="manager", department=marketing)
    servicer = UserFactory(username="servicer", role="manager", department=service)
    campaign_review(campaign=campaign, user=marketer, decision="approved")
    assert not Notification.objects.filter(recipient=staff_a).exists()
    campaign_review(
        campaign=campaign, user=servicer, decision="changes_requested", comment="退订说明不清楚"
    )
    notification = Notification.objects.get(recipient=staff_a)
    assert "退订说明不清楚" in notification.body
    assert "客服中心" in notification.body
