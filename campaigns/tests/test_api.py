"""/api/v1/: campaigns with workflow actions, templates, coupons with redemption, tasks."""

import datetime as dt
import io

import pytest

from campaigns.models import CampaignStatus, CareCampaign, CareTask, Coupon
from campaigns.services.coupons import coupons_issue
from campaigns.tests.factories import (
    CampaignFactory,
    ContentFactory,
    CouponBatchFactory,
    TemplateFactory,
)
from carecrm.accounts.tests.factories import UserFactory
from customers.models import Customer, Interaction
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_staff_creates_writes_content_and_submits_a_campaign(api_client_for, staff_a, department_a):
    api = api_client_for(staff_a)

    created = api.post(
        "/api/v1/campaigns/",
        {
            "name": "生日关怀",
            "kind": "birthday",
            "days_before": 3,
            "backup_plan": "投诉即停",
            "goal_target": "30.00",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["status"] == "draft"
    assert CareCampaign.objects.get(pk=pk).department == department_a

    content = api.post(
        f"/api/v1/campaigns/{pk}/content/",
        {"channel": "sms", "body": "【悦享生活】{name}生日快乐 回T退订"},
        format="json",
    )
    assert content.status_code == 200
    assert content.json()["contents"][0]["channel"] == "sms"

    submitted = api.post(f"/api/v1/campaigns/{pk}/submit/")
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "in_review"


def test_submission_problems_come_back_as_400(api_client_for, staff_a, department_a):
    campaign = CampaignFactory(department=department_a, backup_plan="", created_by=staff_a)
    response = api_client_for(staff_a).post(f"/api/v1/campaigns/{campaign.pk}/submit/")
    assert response.status_code == 400
    assert "backup_plan" in response.json()


def test_manager_approves_but_the_author_cannot(api_client_for, staff_a, manager_a, department_a):
    campaign = CampaignFactory(department=department_a, created_by=manager_a)
    ContentFactory(campaign=campaign)
    api = api_client_for(manager_a)
    assert api.post(f"/api/v1/campaigns/{campaign.pk}/submit/").status_code == 200

    refused = api.post(f"/api/v1/campaigns/{campaign.pk}/approve/", {}, format="json")
    assert refused.status_code == 403

    other_manager = UserFactory(username="manager_a2", role="manager", department=department_a)
    approved = api_client_for(other_manager).post(
        f"/api/v1/campaigns/{campaign.pk}/approve/", {"comment": "同意"}, format="json"
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == CampaignStatus.ACTIVE


def test_staff_cannot_approve_through_the_api(api_client_for, staff_a, department_a):
    author = UserFactory(username="author", role="staff", department=department_a)
    campaign = CampaignFactory(department=department_a, created_by=author)
    ContentFactory(campaign=campaign)
    api_client_for(author).post(f"/api/v1/campaigns/{campaign.pk}/submit/")

    response = api_client_for(staff_a).post(f"/api/v1/campaigns/{campaign.pk}/approve/")
    assert response.status_code == 403


def test_request_changes_needs_a_comment(api_client_for, staff_a, manager_a, department_a):
    campaign = CampaignFactory(department=department_a, created_by=staff_a)
    ContentFactory(campaign=campaign)
    api_client_for(staff_a).post(f"/api/v1/campaigns/{campaign.pk}/submit/")
    api = api_client_for(manager_a)

    assert api.post(f"/api/v1/campaigns/{campaign.pk}/request-changes/").status_code == 400
    response = api.post(
        f"/api/v1/campaigns/{campaign.pk}/request-changes/", {"comment": "加上退订"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "changes_requested"


def test_patching_an_approved_campaign_returns_it_to_draft(
    api_client_for, staff_a, manager_a, department_a
):
    from campaigns.tests.helpers import approve

    campaign = CampaignFactory(department=department_a)
    ContentFactory(campaign=campaign)
    approve(campaign, author=staff_a, manager=manager_a)

    response = api_client_for(staff_a).patch(
        f"/api/v1/campaigns/{campaign.pk}/", {"days_before": 5}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "draft"


def test_campaigns_of_other_departments_are_invisible(api_client_for, staff_b, department_a):
    campaign = CampaignFactory(department=department_a)
    api = api_client_for(staff_b)
    assert api.get("/api/v1/campaigns/").json()["count"] == 0
    assert api.get(f"/api/v1/campaigns/{campaign.pk}/").status_code == 404
    assert api.post(f"/api/v1/campaigns/{campaign.pk}/submit/").status_code == 404


def test_next_dates_endpoint(api_client_for, staff_a, department_a):
    campaign = CampaignFactory(department=department_a)
    CustomerFactory(department=department_a, birthday=dt.date(1990, 3, 10))

    response = api_client_for(staff_a).get(
        f"/api/v1/campaigns/{campaign.pk}/next-dates/?after=2027-01-01"
    )
    first = response.json()[0]
    assert (first["date"], first["occasion"], first["customers"]) == ("2027-03-07", "2027-03-10", 1)


def test_templates_api_is_scoped_and_sanitises_html(
    api_client_for, staff_a, department_a, department_b
):
    TemplateFactory(department=department_b, name="别人的")
    api = api_client_for(staff_a)
    created = api.post(
        "/api/v1/campaign-templates/",
        {
            "name": "邮件",
            "channel": "email",
            "department": department_a.pk,
            "subject": "你好",
            "html_body": "<p>hi</p><script>x</script>",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["html_body"] == "<p>hi</p>"
    names = [t["name"] for t in api.get("/api/v1/campaign-templates/").json()["results"]]
    assert names == ["邮件"]


@pytest.fixture
def issued(department_a):
    batch = CouponBatchFactory(campaign=CampaignFactory(department=department_a))
    CustomerFactory(department=department_a)
    coupons_issue(
        batch=batch,
        occurrence=dt.date(2027, 3, 10),
        customers=Customer.objects.filter(department=department_a),
    )
    return Coupon.objects.get()


def test_redeeming_a_coupon_through_the_api(api_client_for, staff_a, issued):
    api = api_client_for(staff_a)
    response = api.post(
        "/api/v1/coupons/redeem/",
        {"code": issued.code, "order_no": "SO100", "amount": "59.00"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["redemption_source"] == "api"
    again = api.post(
        "/api/v1/coupons/redeem/", {"code": issued.code, "order_no": "SO101"}, format="json"
    )
    assert again.status_code == 400


def test_coupon_lists_and_redemption_are_scoped(api_client_for, staff_b, issued):
    api = api_client_for(staff_b)
    assert api.get("/api/v1/coupons/").json()["count"] == 0
    response = api.post("/api/v1/coupons/redeem/", {"code": issued.code}, format="json")
    assert response.status_code == 400
    issued.refresh_from_db()
    assert issued.redeemed_at is None


def test_redemption_import_through_the_api(api_client_for, staff_a, issued):
    upload = io.BytesIO(f"code,amount\n{issued.code},10\nNOPE,1\n".encode())
    upload.name = "r.csv"
    response = api_client_for(staff_a).post(
        "/api/v1/coupons/redeem-import/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 200
    assert response.json()["redeemed"] == 1
    assert response.json()["errors"][0]["line"] == 3


def test_completing_a_care_task_through_the_api(api_client_for, staff_a, department_a):
    customer = CustomerFactory(department=department_a, relationship_manager=staff_a)
    task = CareTask.objects.create(
        campaign=CampaignFactory(department=department_a),
        customer=customer,
        channel="visit",
        occurrence=dt.date(2027, 3, 10),
        due_on=dt.date(2027, 3, 10),
        assigned_to=staff_a,
    )
    response = api_client_for(staff_a).post(
        f"/api/v1/care-tasks/{task.pk}/complete/",
        {"outcome": "reached", "note": "上门送礼"},
        format="json",
    )
    assert response.status_code == 200
    assert Interaction.objects.filter(customer=customer, kind="visit").exists()


def test_schema_includes_the_campaign_endpoints(admin_client_user):
    schema = admin_client_user.get("/api/schema/").content.decode()
    for path in (
        "/api/v1/campaigns/{id}/approve/",
        "/api/v1/coupons/redeem/",
        "/api/v1/campaign-templates/",
    ):
        assert path in schema
