"""Feedback items: created from low scores (with a churn alert for the customer's manager),
complaints and unhappy SMS replies; deadlines by severity; allowed transitions only; the
check back; keyword suggestions; department scoping; clear errors."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from carecrm.accounts.tests.factories import UserFactory
from customers.models import Channel, Interaction, InteractionKind
from customers.tests.factories import CustomerFactory
from feedback.keywords import is_negative, suggest_category
from feedback.models import (
    FeedbackItem,
    FollowUpOutcome,
    ItemSource,
    ItemStatus,
    QuestionKind,
    Severity,
    SeverityDeadline,
    Topic,
)
from feedback.selectors.items import low_survey_scores
from feedback.services.items import (
    item_close,
    item_create_by_hand,
    item_follow_up,
    item_reopen,
    item_resolve,
    item_respond,
    item_take,
)
from feedback.signals import response_saved
from feedback.tests.factories import (
    AnswerFactory,
    FeedbackItemFactory,
    QuestionFactory,
    ResponseFactory,
    SurveyFactory,
)
from segmentation.models import RiskAlert
from segmentation.services.alerts import alerts_evaluate

pytestmark = pytest.mark.django_db


def answered(survey, customer, *answers):
    """A response with (kind, score or text) answers, announced as the surveys app does."""
    response = ResponseFactory(survey=survey, customer=customer)
    for kind, value in answers:
        question = QuestionFactory(survey=survey, kind=kind)
        if kind == QuestionKind.TEXT:
            AnswerFactory(response=response, question=question, score=None, text=value)
        else:
            AnswerFactory(response=response, question=question, score=value)
    response_saved.send(sender=type(response), response=response, created=True)
    return response


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("客服态度很差", Topic.SERVICE_QUALITY),
        ("The staff were rude", Topic.SERVICE_QUALITY),
        ("产品质量有问题，用了两天就坏了", Topic.PRODUCT),
        ("The product arrived broken", Topic.PRODUCT),
        ("等待太久，处理太慢", Topic.SPEED),
        ("Very slow, I had to wait an hour", Topic.SPEED),
        ("价格太贵，要求退款", Topic.PRICE),
        ("Too expensive, I want a refund", Topic.PRICE),
        ("谢谢", ""),
    ],
)
def test_category_suggestion_in_chinese_and_english(text, topic):
    assert suggest_category(text) == topic


def test_negative_words_in_both_languages():
    assert is_negative("非常不满意")
    assert is_negative("terrible experience")
    assert not is_negative("好的，谢谢")
    assert not is_negative("badminton on Sunday?")


def test_low_score_creates_an_item_and_a_risk_alert_for_the_manager(
    department_a, manager_a, django_capture_on_commit_callbacks, eager_celery
):
    rm = UserFactory(role="staff", department=department_a)
    customer = CustomerFactory(department=department_a, vip_level="gold", relationship_manager=rm)
    survey = SurveyFactory(department=department_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = answered(survey, customer, (QuestionKind.RATING, 2))
    item = FeedbackItem.objects.get(response=response)
    assert item.source == ItemSource.SURVEY
    assert item.customer == customer
    assert item.owner == rm
    alert = RiskAlert.objects.get(customer=customer)
    assert alert.assigned_to == rm
    assert alert.rule.kind == "low_survey"
    # The signal sent again (the customer edits the answer) makes no second item.
    response_saved.send(sender=type(response), response=response, created=False)
    assert FeedbackItem.objects.filter(response=response).count() == 1


def test_scores_for_the_alerts_are_on_a_0_to_100_scale(department_a):
    customer = CustomerFactory(department=department_a)
    survey = SurveyFactory(department=department_a)
    answered(survey, customer, (QuestionKind.RATING, 2), (QuestionKind.NPS, 6))
    answered(survey, CustomerFactory(department=department_a), (QuestionKind.RATING, 5))
    since = timezone.now() - dt.timedelta(days=1)
    # rating 2 → (2 − ½) × 20 = 30; NPS 6 → 6½ × 100 / 11 = 59.09 (both below 60)
    assert sorted(score for _pk, score in low_survey_scores(since)) == [
        Decimal("30"),
        Decimal("59.09"),
    ]


def test_an_nps_of_six_alone_raises_the_risk_alert(
    department_a, manager_a, django_capture_on_commit_callbacks, eager_celery
):
    rm = UserFactory(role="staff", department=department_a)
    customer = CustomerFactory(department=department_a, vip_level="gold", relationship_manager=rm)
    survey = SurveyFactory(department=department_a)
    with django_capture_on_commit_callbacks(execute=True):
        answered(survey, customer, (QuestionKind.NPS, 6))
    alert = RiskAlert.objects.get(customer=customer)
    assert alert.rule.kind == "low_survey"
    assert alert.assigned_to == rm


def test_good_scores_make_no_item_and_a_negative_comment_does(department_a):
    survey = SurveyFactory(department=department_a)
    fine = answered(
        survey,
        CustomerFactory(department=department_a),
        (QuestionKind.RATING, 3),
        (QuestionKind.NPS, 7),
        (QuestionKind.TEXT, "挺好的"),
    )
    assert not FeedbackItem.objects.filter(response=fine).exists()
    unhappy = answered(
        survey,
        CustomerFactory(department=department_a),
        (QuestionKind.RATING, 4),
        (QuestionKind.TEXT, "客服态度不好，等待太久"),
    )
    item = FeedbackItem.objects.get(response=unhappy)
    assert item.suggested_category in (Topic.SERVICE_QUALITY, Topic.SPEED)
    assert item.category == item.suggested_category


def test_an_anonymous_survey_item_names_no_customer(
    department_a, django_capture_on_commit_callbacks
):
    survey = SurveyFactory(department=department_a, anonymous=True)
    vip = CustomerFactory(department=department_a, vip_level="gold")
    with django_capture_on_commit_callbacks(execute=True):
        response = answered(survey, vip, (QuestionKind.NPS, 2))
    item = FeedbackItem.objects.get(response=response)
    assert item.customer is None
    assert item.department == department_a
    assert item.severity == Severity.HIGH
    alerts_evaluate()  # the churn rules never see an anonymous answer
    assert not RiskAlert.objects.filter(customer=vip).exists()


def test_a_complaint_becomes_an_item_owned_by_the_department_manager(department_a, manager_a):
    customer = CustomerFactory(department=department_a)
    complaint = Interaction.objects.create(
        customer=customer,
        kind=InteractionKind.COMPLAINT,
        occurred_at=timezone.now(),
        summary="送货太慢",
    )
    item = FeedbackItem.objects.get(interaction=complaint)
    assert item.source == ItemSource.COMPLAINT
    assert item.owner == manager_a
    assert item.category == Topic.SPEED


def test_only_unhappy_sms_replies_become_items(department_a):
    customer = CustomerFactory(department=department_a)
    happy, unhappy = (
        Interaction.objects.create(
            customer=customer,
            kind=InteractionKind.CONSULTATION,
            channel=Channel.SMS,
            occurred_at=timezone.now(),
            summary=f"短信回复：{text}",
        )
        for text in ("好的，谢谢", "产品坏了，要退款")
    )
    assert not FeedbackItem.objects.filter(interaction=happy).exists()
    assert FeedbackItem.objects.get(interaction=unhappy).source == ItemSource.REPLY


def test_deadlines_follow_the_severity(department_a, staff_a):
    SeverityDeadline.objects.filter(severity=Severity.CRITICAL).update(
        respond_within_hours=2, resolve_within_hours=10
    )
    before = timezone.now()
    item = item_create_by_hand(
        user=staff_a,
        fields={
            "customer": CustomerFactory(department=department_a),
            "title": "设备故障",
            "severity": Severity.CRITICAL,
        },
    )
    assert dt.timedelta(hours=2) <= item.respond_by - before < dt.timedelta(hours=2, minutes=1)
    assert dt.timedelta(hours=10) <= item.resolve_by - before < dt.timedelta(hours=10, minutes=1)
    assert item.category == Topic.PRODUCT
    defaults = dict(SeverityDeadline.objects.values_list("severity", "respond_within_hours"))
    assert defaults["high"] == 12 and defaults["medium"] == 24 and defaults["low"] == 48


def test_status_transitions_are_enforced(department_a, staff_a):
    item = FeedbackItemFactory(department=department_a)
    with pytest.raises(ValidationError):
        item_close(item=item, user=staff_a)
    with pytest.raises(ValidationError) as error:
        item_resolve(item=item, user=staff_a, note="   ")
    assert "resolved" in str(error.value)
    item = item_take(item=item, user=staff_a)
    assert (item.status, item.owner) == (ItemStatus.IN_PROGRESS, staff_a)
    item = item_respond(item=item, user=staff_a)
    with pytest.raises(ValidationError):
        item_respond(item=item, user=staff_a)
    item = item_resolve(item=item, user=staff_a, note="已更换新品")
    assert item.follow_up_due_on == timezone.localdate(item.resolved_at) + dt.timedelta(days=3)
    with pytest.raises(ValidationError):
        item_take(item=item, user=staff_a)
    item = item_close(item=item, user=staff_a)
    assert item.status == ItemStatus.CLOSED
    item = item_reopen(item=item, user=staff_a)
    assert item.status == ItemStatus.IN_PROGRESS and item.resolved_at is None


def test_not_satisfied_at_the_check_back_reopens(department_a, staff_a):
    item = FeedbackItemFactory(department=department_a)
    with pytest.raises(ValidationError):
        item_follow_up(item=item, user=staff_a, outcome=FollowUpOutcome.SATISFIED)
    item = item_resolve(item=item, user=staff_a, note="退款已处理")
    item = item_follow_up(
        item=item, user=staff_a, outcome=FollowUpOutcome.NOT_SATISFIED, note="仍不满意"
    )
    assert item.status == ItemStatus.IN_PROGRESS
    assert item.follow_up_outcome == FollowUpOutcome.NOT_SATISFIED
    item = item_resolve(item=item, user=staff_a, note="补发赠品")
    item = item_follow_up(item=item, user=staff_a, outcome=FollowUpOutcome.SATISFIED)
    assert item.status == ItemStatus.CLOSED
    assert list(item.activities.values_list("action", flat=True))[:2] == [
        "follow_up_satisfied",
        "resolved",
    ]


def test_another_department_cannot_see_or_change_an_item(department_a, staff_b):
    from django.test import Client

    item = FeedbackItemFactory(department=department_a)
    client = Client()
    client.force_login(staff_b)
    assert client.get(reverse("feedback:item", args=[item.pk])).status_code == 404
    response = client.post(reverse("feedback:item-take", args=[item.pk]))
    assert response.status_code == 404
    assert item.title not in client.get(reverse("feedback:items")).content.decode()
    item.refresh_from_db()
    assert item.status == ItemStatus.NEW


def test_list_filters_and_sla_badge(staff_a_client, staff_a, department_a):
    late = FeedbackItemFactory(
        department=department_a,
        title="迟迟未回复",
        respond_by=timezone.now() - dt.timedelta(hours=1),
    )
    FeedbackItemFactory(department=department_a, title="按时处理", owner=staff_a)
    page = staff_a_client.get(reverse("feedback:items")).content.decode()
    assert "SLA breached" in page
    page = staff_a_client.get(reverse("feedback:items") + "?overdue=on").content.decode()
    assert "迟迟未回复" in page and "按时处理" not in page
    page = staff_a_client.get(reverse("feedback:my-items")).content.decode()
    assert "按时处理" in page and "迟迟未回复" not in page
    detail = staff_a_client.get(reverse("feedback:item", args=[late.pk])).content.decode()
    assert "SLA breached" in detail
    page = staff_a_client.get(reverse("feedback:items") + "?severity=urgent&after=garbage")
    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()


def test_resolving_without_a_note_says_so(staff_a_client, department_a):
    item = FeedbackItemFactory(department=department_a)
    response = staff_a_client.post(reverse("feedback:item-resolve", args=[item.pk]), {})
    assert response.status_code == 200
    assert "Say how the item was resolved." in response.content.decode()
    item.refresh_from_db()
    assert item.status == ItemStatus.NEW


def test_creating_an_item_by_hand_with_errors_and_then_right(staff_a_client, department_a, staff_a):
    customer = CustomerFactory(department=department_a, name="王小明")
    page = staff_a_client.get(reverse("feedback:item-create") + "?q=王小明").content.decode()
    assert f'value="{customer.pk}"' in page
    response = staff_a_client.post(
        reverse("feedback:item-create"), {"customer": customer.pk, "title": "", "severity": "x"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "This field is required." in body and "Select a valid choice" in body
    response = staff_a_client.post(
        reverse("feedback:item-create"),
        {
            "customer": customer.pk,
            "title": "价格太贵",
            "description": "要求退款",
            "category": "",
            "severity": Severity.LOW,
        },
    )
    item = FeedbackItem.objects.get(title="价格太贵")
    assert response.url == reverse("feedback:item", args=[item.pk])
    assert (item.category, item.suggested_category) == (Topic.PRICE, Topic.PRICE)
    suggestion = staff_a_client.get(
        reverse("feedback:item-suggest"), {"title": "客服态度差"}
    ).content.decode()
    assert "Service quality" in suggestion


def test_accepting_the_suggested_category(staff_a_client, department_a):
    item = FeedbackItemFactory(
        department=department_a, category=Topic.OTHER, suggested_category=Topic.SPEED
    )
    staff_a_client.post(reverse("feedback:item-accept-category", args=[item.pk]))
    item.refresh_from_db()
    assert item.category == Topic.SPEED


def test_only_admins_edit_the_deadlines(staff_a_client, manager_a_client, admin_client_user):
    url = reverse("feedback:item-deadlines")
    assert staff_a_client.get(url).status_code == 403
    assert manager_a_client.get(url).status_code == 403
    rows = list(SeverityDeadline.objects.order_by("pk"))
    data = {"form-TOTAL_FORMS": len(rows), "form-INITIAL_FORMS": len(rows)}
    for index, row in enumerate(rows):
        data[f"form-{index}-id"] = row.pk
        data[f"form-{index}-respond_within_hours"] = row.respond_within_hours
        data[f"form-{index}-resolve_within_hours"] = row.resolve_within_hours
    data["form-0-resolve_within_hours"] = 1
    data["form-0-respond_within_hours"] = 5
    response = admin_client_user.post(url, data)
    assert response.status_code == 200
    assert "cannot be shorter" in response.content.decode()
    data["form-0-resolve_within_hours"] = 30
    assert admin_client_user.post(url, data).status_code == 302
    rows[0].refresh_from_db()
    assert (rows[0].respond_within_hours, rows[0].resolve_within_hours) == (5, 30)


def test_home_card_counts_my_open_items(staff_a_client, staff_a, department_a):
    FeedbackItemFactory(department=department_a, owner=staff_a)
    FeedbackItemFactory(department=department_a, owner=staff_a, status=ItemStatus.CLOSED)
    from feedback.selectors.items import my_open_items_count

    assert my_open_items_count(staff_a) == 1
    assert "My open feedback items" in staff_a_client.get("/").content.decode()


def test_an_unhappy_sms_reply_through_delivery_becomes_an_item(department_a):
    from delivery.services.receipts import inbound_sms_record

    customer = CustomerFactory(department=department_a)
    inbound_sms_record(sender=customer.mobile, text="等了两周还没发货，太慢了")
    item = FeedbackItem.objects.get(customer=customer)
    assert (item.source, item.category) == (ItemSource.REPLY, Topic.SPEED)
    inbound_sms_record(sender=customer.mobile, text="收到，谢谢")
    assert FeedbackItem.objects.filter(customer=customer).count() == 1


def test_the_api_lists_in_scope_and_creates_with_the_suggestion(
    api_client_for, staff_a, staff_b, department_a
):
    mine = FeedbackItemFactory(department=department_a, title="本部门反馈")
    client = api_client_for(staff_a)
    listed = client.get("/api/v1/feedback-items/").json()
    assert [row["id"] for row in listed["results"]] == [mine.pk]
    customer = CustomerFactory(department=department_a)
    created = client.post(
        "/api/v1/feedback-items/",
        {"customer": customer.pk, "title": "The product arrived broken", "severity": "high"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["category"], body["suggested_category"], body["status"]) == (
        "product",
        "product",
        "new",
    )
    other = api_client_for(staff_b)
    assert other.get(f"/api/v1/feedback-items/{mine.pk}/").status_code == 404
    refused = other.post(
        "/api/v1/feedback-items/", {"customer": customer.pk, "title": "x"}, format="json"
    )
    assert refused.status_code == 400
    assert "customer" in refused.json()
