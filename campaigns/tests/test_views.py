"""The pages: what users see, what they may do, and who gets 404/403."""

import datetime as dt
import io

import pytest
from django.test import Client

from campaigns.models import (
    CampaignKind,
    CampaignStatus,
    CareCampaign,
    CareTask,
    CompanyDay,
    ContentTemplate,
    Coupon,
    TaskStatus,
    TouchChannel,
)
from campaigns.services.coupons import coupons_issue
from campaigns.tests.factories import (
    CampaignFactory,
    ContentFactory,
    CouponBatchFactory,
    TemplateFactory,
)
from campaigns.tests.helpers import approve
from carecrm.accounts.tests.factories import UserFactory
from customers.models import Customer, Interaction
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def campaign(department_a, staff_a):
    campaign = CampaignFactory(department=department_a, name="春季生日关怀", created_by=staff_a)
    ContentFactory(campaign=campaign)
    return campaign


def test_campaign_list_shows_only_my_departments_campaigns(
    staff_a_client, campaign, department_b, django_assert_max_num_queries
):
    CampaignFactory(department=department_b, name="华南活动")
    for i in range(5):
        CampaignFactory(department=campaign.department, name=f"活动{i}")

    with django_assert_max_num_queries(12):
        response = staff_a_client.get("/campaigns/", **EN)

    body = response.content.decode()
    assert response.status_code == 200
    assert "春季生日关怀" in body
    assert "华南活动" not in body


def test_staff_of_another_department_gets_404(campaign, staff_b):
    client = _client(staff_b)
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 404
    assert client.get(f"/campaigns/{campaign.pk}/review/").status_code == 404
    assert client.post(f"/campaigns/{campaign.pk}/submit/").status_code == 404


def test_creating_a_campaign_through_the_form(staff_a_client, staff_a, department_a):
    response = staff_a_client.post(
        "/campaigns/new/",
        {
            "name": "中秋问候",
            "kind": "holiday",
            "department": department_a.pk,
            "owner": staff_a.pk,
            "priority": 2,
            "goal_metric": "repurchase_rate",
            "goal_target": "20",
            "channel_strategy": "preferred",
            "backup_plan": "投诉即停",
            "send_time": "10:00",
            "days_before": "2",
            "holiday_source": "festival",
            "festival": "mid_autumn",
            "trigger_delay_days": "0",
        },
        **EN,
    )

    campaign = CareCampaign.objects.get(name="中秋问候")
    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{campaign.pk}/"
    assert (campaign.kind, campaign.festival, campaign.days_before) == ("holiday", "mid_autumn", 2)
    assert campaign.created_by == staff_a

    page = staff_a_client.get(response["Location"], **EN).content.decode()
    assert "2 days before Mid-Autumn Festival" in page
    assert "Write the backup plan" not in page
    assert "Add content for at least one channel" in page


def test_form_errors_are_shown_for_a_holiday_without_festival(staff_a_client, department_a):
    response = staff_a_client.post(
        "/campaigns/new/",
        {
            "name": "节日",
            "kind": "holiday",
            "department": department_a.pk,
            "priority": 2,
            "goal_metric": "repurchase_rate",
            "channel_strategy": "preferred",
            "send_time": "10:00",
            "days_before": "0",
            "holiday_source": "festival",
            "trigger_delay_days": "0",
        },
        **EN,
    )
    assert response.status_code == 200
    assert "Choose a festival." in response.content.decode()
    assert not CareCampaign.objects.filter(name="节日").exists()


def test_detail_shows_next_dates_with_audience_size(staff_a_client, campaign, department_a):
    CustomerFactory(department=department_a, birthday=dt.date(1990, 3, 10))
    CustomerFactory(department=department_a, birthday=dt.date(1985, 3, 10))

    body = staff_a_client.get(f"/campaigns/{campaign.pk}/", **EN).content.decode()

    assert 'id="next-dates"' in body
    assert "-03-07" in body
    assert '<td class="text-end" data-count>2</td>' in body


def test_content_preview_renders_injection_as_text(staff_a_client, campaign, department_a):
    CustomerFactory(department=department_a, name="王小明")

    response = staff_a_client.post(
        f"/campaigns/{campaign.pk}/content/sms/preview/",
        {"body": "【悦享生活】{name} {{ settings.SECRET_KEY }} {name.__class__} 回T退订"},
        HTTP_HX_REQUEST="true",
        **EN,
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "王小明 {{ settings.SECRET_KEY }} {name.__class__}" in body
    assert 'id="sms-counter"' in body


def test_preview_names_placeholders_that_are_empty_for_the_customer(
    staff_a_client, campaign, department_a
):
    CustomerFactory(department=department_a, name="无性别客户", gender="")
    body = staff_a_client.post(
        f"/campaigns/{campaign.pk}/content/sms/preview/",
        {"body": "【悦享生活】{name}{title}您好 回T退订"},
        **EN,
    ).content.decode()
    assert "Empty for this customer: {title}" in body


def test_preview_never_uses_a_customer_outside_the_users_scope(
    staff_a_client, campaign, department_b
):
    outsider = CustomerFactory(department=department_b, name="外部客户")
    response = staff_a_client.post(
        f"/campaigns/{campaign.pk}/content/sms/preview/",
        {"body": "【悦享生活】{name} 回T退订", "customer": outsider.pk},
    )
    assert "外部客户" not in response.content.decode()


def test_saving_content_on_an_approved_campaign_warns_and_returns_to_draft(
    staff_a_client, staff_a, manager_a, campaign
):
    approve(campaign, author=staff_a, manager=manager_a)

    response = staff_a_client.post(
        f"/campaigns/{campaign.pk}/content/sms/",
        {"body": "【悦享生活】{name}，新年快乐！回T退订"},
        follow=True,
        **EN,
    )

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert "draft again" in response.content.decode()


def test_email_html_is_sanitised_when_saved(staff_a_client, campaign):
    staff_a_client.post(
        f"/campaigns/{campaign.pk}/content/email/",
        {"subject": "生日快乐", "html_body": "<p>你好{name}</p><script>alert(1)</script>"},
    )
    content = campaign.contents.get(channel=TouchChannel.EMAIL)
    assert content.html_body == "<p>你好{name}</p>"
    assert content.body == "你好{name}"


def test_template_prefills_the_content_form(staff_a_client, campaign, department_a):
    template = TemplateFactory(department=department_a, body="【悦享生活】模板正文 回T退订")
    body = staff_a_client.get(
        f"/campaigns/{campaign.pk}/content/sms/?template={template.pk}"
    ).content.decode()
    assert "模板正文" in body


def test_full_approval_through_the_pages(staff_a_client, manager_a_client, campaign):
    staff_a_client.post(f"/campaigns/{campaign.pk}/submit/")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW

    queue = manager_a_client.get("/campaigns/approvals/", **EN).content.decode()
    assert "春季生日关怀" in queue
    review = manager_a_client.get(f"/campaigns/{campaign.pk}/review/", **EN).content.decode()
    assert "First submission" in review
    assert 'id="final-approval"' in review

    response = manager_a_client.post(
        f"/campaigns/{campaign.pk}/review/", {"action": "approve", "comment": "同意"}
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE


def test_the_author_sees_no_approve_button_and_cannot_post_one(department_a, staff_a):
    author_manager = UserFactory(username="boss", role="manager", department=department_a)
    campaign = CampaignFactory(department=department_a, created_by=author_manager)
    ContentFactory(campaign=campaign)
    client = _client(author_manager)
    client.post(f"/campaigns/{campaign.pk}/submit/")

    page = client.get(f"/campaigns/{campaign.pk}/review/", **EN).content.decode()
    assert 'id="final-approval"' not in page
    assert (
        client.post(f"/campaigns/{campaign.pk}/review/", {"action": "approve"}).status_code == 403
    )
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW


def test_review_page_compares_labelled_values_with_the_last_approved_version(
    staff_a_client, manager_a_client, staff_a, manager_a, campaign
):
    approve(campaign, author=staff_a, manager=manager_a)
    staff_a_client.post(
        f"/campaigns/{campaign.pk}/content/sms/",
        {"body": "【悦享生活】{name}，全新的祝福！回T退订"},
    )
    staff_a_client.post(f"/campaigns/{campaign.pk}/submit/")

    page = manager_a_client.get(f"/campaigns/{campaign.pk}/review/", **EN).content.decode()

    assert 'data-review="since-approval"' in page
    assert "Changes since the approved version" in page
    changed = page[page.index('id="review-changed"') : page.index('id="review-unchanged"')]
    assert 'data-field="content.sms.body"' in changed
    assert "SMS · Text" in changed
    assert "【悦享生活】{name}，全新的祝福！回T退订" in changed
    assert "【悦享生活】{name}{title}，祝您生日快乐！回T退订" in changed
    assert changed.count('class="review-change"') == 1
    assert "Unchanged: " in page


def test_department_reviewer_from_another_department_can_read_and_review(staff_a_client, campaign):
    from carecrm.accounts.tests.factories import DepartmentFactory

    service = DepartmentFactory(name="客服中心", code="service")
    reviewer = UserFactory(username="svc_mgr", role="manager", department=service)
    campaign.review_departments.set([service])
    staff_a_client.post(f"/campaigns/{campaign.pk}/submit/")
    client = _client(reviewer)

    assert "春季生日关怀" in client.get("/campaigns/approvals/").content.decode()
    page = client.get(f"/campaigns/{campaign.pk}/review/", **EN).content.decode()
    assert 'id="department-review"' in page
    client.post(
        f"/campaigns/{campaign.pk}/review/",
        {"action": "department", "decision": "approved", "comment": "合规"},
    )
    assert campaign.reviews.get().department == service
    # Reading is allowed, editing is not.
    assert client.get(f"/campaigns/{campaign.pk}/edit/").status_code == 403


def test_pause_and_resume_buttons(staff_a_client, staff_a, manager_a, campaign):
    approve(campaign, author=staff_a, manager=manager_a)
    staff_a_client.post(f"/campaigns/{campaign.pk}/pause/", {"reason": "投诉"})
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    staff_a_client.post(f"/campaigns/{campaign.pk}/resume/")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE


def test_calendar_shows_counts_per_day_and_campaign(
    staff_a_client, staff_a, manager_a, campaign, department_a, django_assert_max_num_queries
):
    approve(campaign, author=staff_a, manager=manager_a)
    for year in (1990, 1991, 1992):
        CustomerFactory(department=department_a, birthday=dt.date(year, 3, 10))
    CustomerFactory(department=department_a, birthday=dt.date(1990, 3, 20))

    with django_assert_max_num_queries(20):
        response = staff_a_client.get("/campaigns/calendar/?year=2027&month=3", **EN)

    body = response.content.decode()
    assert response.status_code == 200
    cell_7 = body.split('data-date="2027-03-07"')[1].split("</td>")[0]
    assert "春季生日关怀" in cell_7 and "<span data-count>3</span>" in cell_7
    cell_17 = body.split('data-date="2027-03-17"')[1].split("</td>")[0]
    assert "<span data-count>1</span>" in cell_17
    assert "Women&#x27;s Day" in body.split('data-date="2027-03-08"')[1].split("</td>")[0]


def test_calendar_hides_unapproved_campaigns_unless_asked(staff_a_client, campaign, department_a):
    CustomerFactory(department=department_a, birthday=dt.date(1990, 3, 10))
    assert (
        "春季生日关怀"
        not in staff_a_client.get("/campaigns/calendar/?year=2027&month=3").content.decode()
    )
    assert (
        "春季生日关怀"
        in staff_a_client.get("/campaigns/calendar/?year=2027&month=3&all=1").content.decode()
    )


def test_holiday_calendar_for_any_year(staff_a_client):
    body = staff_a_client.get("/campaigns/holidays/?year=2027", **EN).content.decode()
    assert '<tr data-festival="spring_festival"><td class="nowrap">2027-02-06' in body
    assert '<tr data-festival="mid_autumn"><td class="nowrap">2027-09-15' in body


def test_adding_a_company_day(staff_a_client, department_a):
    staff_a_client.post(
        "/campaigns/company-days/new/",
        {
            "name": "程序员节",
            "kind": "industry",
            "month": 10,
            "day": 24,
            "department": department_a.pk,
        },
    )
    day = CompanyDay.objects.get()
    assert (day.month, day.day, day.department) == (10, 24, department_a)
    assert "程序员节" in staff_a_client.get("/campaigns/holidays/?year=2027").content.decode()


def test_anniversary_needs_a_visible_customer(staff_a_client, department_a, department_b):
    outsider = CustomerFactory(department=department_b)
    staff_a_client.post(
        "/campaigns/company-days/new/",
        {
            "name": "成立日",
            "kind": "customer_anniversary",
            "month": 6,
            "day": 18,
            "customer_id": outsider.pk,
            "department": department_a.pk,
        },
    )
    assert not CompanyDay.objects.exists()


def test_my_tasks_and_completing_one_logs_an_interaction(staff_a_client, staff_a, department_a):
    customer = CustomerFactory(department=department_a, relationship_manager=staff_a)
    task = CareTask.objects.create(
        campaign=CampaignFactory(department=department_a),
        customer=customer,
        channel="phone",
        occurrence=dt.date(2027, 3, 10),
        due_on=dt.date(2027, 3, 10),
        assigned_to=staff_a,
        instructions="致电祝福",
    )

    page = staff_a_client.get("/campaigns/tasks/", **EN).content.decode()
    assert customer.name in page
    assert "****" in page  # staff see the phone masked
    response = staff_a_client.post(
        f"/campaigns/tasks/{task.pk}/",
        {"action": "complete", "outcome": "reached", "note": "客户很满意"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert Interaction.objects.get(customer=customer).summary.endswith("客户很满意")


def test_redeem_page_records_a_code_and_imports_a_file(staff_a_client, department_a):
    batch = CouponBatchFactory(campaign=CampaignFactory(department=department_a))
    CustomerFactory(department=department_a)
    CustomerFactory(department=department_a)
    coupons_issue(
        batch=batch,
        occurrence=dt.date(2027, 3, 10),
        customers=Customer.objects.filter(department=department_a),
    )
    first, second = Coupon.objects.order_by("pk")

    staff_a_client.post("/campaigns/coupons/redeem/", {"action": "redeem", "code": first.code})
    upload = io.BytesIO(f"code,order_no\n{second.code},SO2\nBADCODE,SO3\n".encode())
    upload.name = "redemptions.csv"
    page = staff_a_client.post(
        "/campaigns/coupons/redeem/", {"action": "import", "file": upload}, **EN
    ).content.decode()

    assert Coupon.objects.filter(redeemed_at__isnull=False).count() == 2
    assert "2 rows: 1 redeemed, 0 already recorded, 1 rejected." in page


def test_template_library(staff_a_client, department_a, department_b):
    TemplateFactory(department=department_b, name="华南模板")
    response = staff_a_client.post(
        "/campaigns/templates/new/",
        {
            "name": "生日短信",
            "channel": "sms",
            "department": department_a.pk,
            "body": "【悦享生活】{name}生日快乐 回T退订",
        },
    )
    assert response.status_code == 302
    page = staff_a_client.get("/campaigns/templates/").content.decode()
    assert "生日短信" in page and "华南模板" not in page
    assert ContentTemplate.objects.get(name="生日短信").created_by.username == "staff_a"


def test_home_card_counts_campaigns_awaiting_my_approval(
    staff_a_client, manager_a_client, campaign
):
    staff_a_client.post(f"/campaigns/{campaign.pk}/submit/")
    body = manager_a_client.get("/", **EN).content.decode()
    assert "Campaigns awaiting my approval" in body


def test_nav_has_campaigns_and_calendar(staff_a_client):
    body = staff_a_client.get("/", **EN).content.decode()
    assert 'data-nav="campaigns"' in body
    assert 'data-nav="campaign_calendar"' in body


def test_every_page_renders(staff_a_client, manager_a_client, campaign):
    CouponBatchFactory(campaign=campaign)
    for path in (
        "/campaigns/",
        "/campaigns/new/",
        f"/campaigns/{campaign.pk}/",
        f"/campaigns/{campaign.pk}/edit/",
        f"/campaigns/{campaign.pk}/content/sms/",
        f"/campaigns/{campaign.pk}/content/email/",
        f"/campaigns/{campaign.pk}/coupon/",
        f"/campaigns/{campaign.pk}/coupons/",
        "/campaigns/approvals/",
        "/campaigns/calendar/",
        "/campaigns/holidays/?year=1999",
        "/campaigns/tasks/?scope=all&status=any",
        "/campaigns/coupons/redeem/",
        "/campaigns/templates/",
        "/campaigns/templates/new/",
    ):
        assert staff_a_client.get(path).status_code == 200, path
    assert manager_a_client.get(f"/campaigns/{campaign.pk}/review/").status_code == 200
    assert campaign.kind == CampaignKind.BIRTHDAY


def test_timeline_shows_coupons_and_open_tasks_within_scope(staff_a, staff_b, department_a):
    from carecrm.core.registry import timeline_providers

    batch = CouponBatchFactory(campaign=CampaignFactory(department=department_a, name="生日券活动"))
    customer = CustomerFactory(department=department_a)
    coupons_issue(
        batch=batch,
        occurrence=dt.date(2027, 3, 10),
        customers=Customer.objects.filter(pk=customer.pk),
    )
    CareTask.objects.create(
        campaign=batch.campaign,
        customer=customer,
        channel="phone",
        occurrence=dt.date(2027, 3, 10),
        due_on=dt.date(2027, 3, 10),
        assigned_to=staff_a,
    )

    entries = [e for provider in timeline_providers for e in provider(customer, staff_a)]
    kinds = sorted(e.kind for e in entries if e.kind in ("coupon", "care_task"))
    assert kinds == ["care_task", "coupon"]
    foreign = [e for provider in timeline_providers for e in provider(customer, staff_b)]
    assert not [e for e in foreign if e.kind in ("coupon", "care_task")]


def test_a_manager_sees_the_phone_unmasked_and_the_view_is_audited(
    manager_a_client, manager_a, department_a
):
    from carecrm.core.models import AuditEntry

    customer = CustomerFactory(department=department_a, mobile="+8613912345678")
    task = CareTask.objects.create(
        campaign=CampaignFactory(department=department_a),
        customer=customer,
        channel="phone",
        occurrence=dt.date(2027, 3, 10),
        due_on=dt.date(2027, 3, 10),
        assigned_to=manager_a,
    )

    page = manager_a_client.get(f"/campaigns/tasks/{task.pk}/").content.decode()

    assert "139 1234 5678" in page
    entry = AuditEntry.objects.get(customer_id=customer.pk)
    assert (entry.actor, entry.action) == (manager_a, "view")
