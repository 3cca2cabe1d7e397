"""Approval (审批): who may approve, required department reviews, the backup plan, versions."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from campaigns.models import (
    ActivityAction,
    CampaignReview,
    CampaignStatus,
    CampaignVersion,
    ReviewDecision,
    TouchChannel,
    VersionKind,
)
from campaigns.services.approval import (
    campaign_approve,
    campaign_request_changes,
    campaign_review,
    campaign_submit,
    submission_problems,
)
from campaigns.services.campaigns import campaign_content_set, campaign_create
from campaigns.tests.factories import CampaignFactory, ContentFactory
from carecrm.accounts.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketing():
    return DepartmentFactory(name="市场部", code="marketing")


@pytest.fixture
def service_centre():
    return DepartmentFactory(name="客服中心", code="service")


@pytest.fixture
def draft(department_a, staff_a):
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
    return campaign


def test_a_staff_members_draft_is_filed_under_their_department(draft, staff_a, department_a):
    assert draft.department == department_a
    assert draft.owner == staff_a
    assert draft.status == CampaignStatus.DRAFT


def test_authors_cannot_approve_their_own_content(department_a):
    manager = UserFactory(username="author_manager", role="manager", department=department_a)
    campaign = campaign_create(
        user=manager,
        fields={
            "name": "经理自己的活动",
            "kind": "birthday",
            "backup_plan": "预案",
            "goal_target": 40,
        },
    )
    campaign_content_set(
        campaign=campaign, user=manager, channel="sms", body="【悦享生活】{name}好！回T退订"
    )
    campaign_submit(campaign=campaign, user=manager)

    with pytest.raises(PermissionDenied):
        campaign_approve(campaign=campaign, user=manager)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW


def test_an_editor_of_the_content_cannot_approve_it_either(draft, staff_a, manager_a):
    campaign_content_set(
        campaign=draft, user=manager_a, channel="sms", body="【悦享生活】{name}您好！回T退订"
    )
    campaign_submit(campaign=draft, user=staff_a)

    with pytest.raises(PermissionDenied):
        campaign_approve(campaign=draft, user=manager_a)


def test_staff_cannot_approve(draft, staff_a, department_a):
    colleague = UserFactory(username="colleague", role="staff", department=department_a)
    campaign_submit(campaign=draft, user=staff_a)

    with pytest.raises(PermissionDenied):
        campaign_approve(campaign=draft, user=colleague)


def test_a_manager_of_another_department_cannot_approve(draft, staff_a, department_b):
    other = UserFactory(username="manager_b", role="manager", department=department_b)
    campaign_submit(campaign=draft, user=staff_a)

    with pytest.raises(PermissionDenied):
        campaign_approve(campaign=draft, user=other)


def test_a_manager_approves_and_a_version_is_frozen(draft, staff_a, manager_a):
    campaign_submit(campaign=draft, user=staff_a)
    approved = campaign_approve(campaign=draft, user=manager_a, comment="同意")

    assert approved.status == CampaignStatus.ACTIVE
    assert approved.approved_by == manager_a
    assert approved.approved_version.kind == VersionKind.APPROVED
    assert approved.approved_version.snapshot["content"][0]["body"].startswith("【悦享生活】")
    review = CampaignReview.objects.get(campaign=draft)
    assert (review.reviewer, review.decision, review.comment) == (manager_a, "approved", "同意")
    assert review.created_at is not None


def test_backup_plan_is_required_before_submission(draft, staff_a):
    draft.backup_plan = ""
    draft.save()

    with pytest.raises(ValidationError) as error:
        campaign_submit(campaign=draft, user=staff_a)
    assert "backup_plan" in error.value.message_dict


def test_content_failing_the_sms_rules_blocks_submission(draft, staff_a):
    campaign_content_set(campaign=draft, user=staff_a, channel="sms", body="{name}，生日快乐！")

    problems = submission_problems(draft)

    assert any("【" in message for message in problems["sms"])
    assert any("回T退订" in message for message in problems["sms"])


def test_every_required_department_must_review_before_approval(
    draft, staff_a, manager_a, marketing, service_centre
):
    draft.review_departments.set([marketing, service_centre])
    marketer = UserFactory(username="mkt", role="manager", department=marketing)
    service = UserFactory(username="svc", role="manager", department=service_centre)
    campaign_submit(campaign=draft, user=staff_a)

    campaign_review(campaign=draft, user=marketer, decision="approved", comment="合规")
    with pytest.raises(ValidationError, match="客服中心"):
        campaign_approve(campaign=draft, user=manager_a)

    campaign_review(campaign=draft, user=service, decision="approved")
    approved = campaign_approve(campaign=draft, user=manager_a)
    assert approved.status == CampaignStatus.ACTIVE
    assert set(
        CampaignReview.objects.filter(campaign=draft).values_list("department__name", flat=True)
    ) == {"市场部", "客服中心", "华东销售部"}


def test_a_department_cannot_review_twice_or_review_for_another(
    draft, staff_a, marketing, service_centre
):
    draft.review_departments.set([marketing])
    marketer = UserFactory(username="mkt", role="manager", department=marketing)
    outsider = UserFactory(username="svc", role="manager", department=service_centre)
    campaign_submit(campaign=draft, user=staff_a)

    with pytest.raises(PermissionDenied):
        campaign_review(campaign=draft, user=outsider, decision="approved")
    campaign_review(campaign=draft, user=marketer, decision="approved")
    with pytest.raises(PermissionDenied):
        campaign_review(campaign=draft, user=marketer, decision="approved")


def test_a_department_asking_for_changes_ends_the_round(draft, staff_a, manager_a, marketing):
    draft.review_departments.set([marketing])
    marketer = UserFactory(username="mkt", role="manager", department=marketing)
    campaign_submit(campaign=draft, user=staff_a)

    with pytest.raises(ValidationError):
        campaign_review(campaign=draft, user=marketer, decision="changes_requested", comment=" ")
    campaign_review(
        campaign=draft, user=marketer, decision="changes_requested", comment="去掉“最”字"
    )
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.CHANGES_REQUESTED

    # The next round needs the department again.
    campaign_submit(campaign=draft, user=staff_a)
    draft.refresh_from_db()
    assert draft.review_round == 2
    with pytest.raises(ValidationError):
        campaign_approve(campaign=draft, user=manager_a)


def test_manager_requests_changes_with_a_comment(draft, staff_a, manager_a):
    campaign_submit(campaign=draft, user=staff_a)

    with pytest.raises(ValidationError):
        campaign_request_changes(campaign=draft, user=manager_a, comment="")
    campaign_request_changes(campaign=draft, user=manager_a, comment="补充优惠券")

    draft.refresh_from_db()
    assert draft.status == CampaignStatus.CHANGES_REQUESTED
    review = CampaignReview.objects.get(campaign=draft)
    assert review.decision == ReviewDecision.CHANGES_REQUESTED
    assert review.comment == "补充优惠券"


def test_each_submission_and_approval_is_a_version(draft, staff_a, manager_a):
    campaign_submit(campaign=draft, user=staff_a)
    campaign_approve(campaign=draft, user=manager_a)
    campaign_content_set(
        campaign=draft, user=staff_a, channel="sms", body="【悦享生活】{name}，祝福您！回T退订"
    )
    campaign_submit(campaign=draft, user=staff_a)

    kinds = list(CampaignVersion.objects.filter(campaign=draft).values_list("number", "kind"))
    assert kinds == [(3, "submitted"), (2, "approved"), (1, "submitted")]
    actions = set(draft.activities.values_list("action", flat=True))
    assert {ActivityAction.RETURNED_TO_DRAFT, ActivityAction.APPROVED} <= actions


def test_editing_while_in_review_withdraws_the_submission(draft, staff_a):
    campaign_submit(campaign=draft, user=staff_a)
    campaign_content_set(
        campaign=draft, user=staff_a, channel="sms", body="【悦享生活】{name}！回T退订"
    )
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.DRAFT


def test_staff_cannot_file_a_campaign_under_another_department(staff_a, department_b):
    with pytest.raises(PermissionDenied):
        campaign_create(
            user=staff_a,
            fields={"name": "越权", "kind": "birthday", "department": department_b},
        )


def test_holiday_needs_a_festival_and_recurring_a_valid_rule(staff_a):
    with pytest.raises(ValidationError) as error:
        campaign_create(
            user=staff_a,
            fields={"name": "节日", "kind": "holiday", "holiday_source": "festival"},
        )
    assert "festival" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        campaign_create(
            user=staff_a,
            fields={
                "name": "每小时",
                "kind": "recurring",
                "recurrence": "rrule",
                "rrule": "FREQ=HOURLY",
                "starts_on": "2027-01-01",
            },
        )
    assert "rrule" in error.value.message_dict


def test_a_finished_campaign_cannot_be_edited(department_a, staff_a):
    campaign = CampaignFactory(department=department_a, status=CampaignStatus.FINISHED)
    ContentFactory(campaign=campaign)

    with pytest.raises(ValidationError):
        campaign_content_set(campaign=campaign, user=staff_a, channel="sms", body="x")
