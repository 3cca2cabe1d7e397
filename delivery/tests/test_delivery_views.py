"""The delivery pages and the read API: who sees which message, masked how; the log's
filters; retry now; the settings forms; the customer timeline."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import (
    DeliveryChannel,
    FrequencyCap,
    MessageEvent,
    MessageEventKind,
    MessageStatus,
    OutboxMessage,
    QuietHours,
    SuppressionReason,
)
from campaigns.tests.factories import CampaignFactory
from carecrm.accounts.tests.factories import UserFactory
from carecrm.core.models import AuditAction, AuditEntry
from customers.tests.factories import CustomerFactory
from delivery.tests.outbox import T0, message

pytestmark = pytest.mark.django_db
SMS, EMAIL = DeliveryChannel.SMS, DeliveryChannel.EMAIL


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def campaign(department_a):
    return CampaignFactory(department=department_a, name="中秋关怀")


@pytest.fixture
def zhang(department_a):
    return CustomerFactory(
        department=department_a, name="张伟", mobile="+8613812345678", email="zhang.wei@example.cn"
    )


@pytest.fixture
def sent_sms(campaign, zhang):
    sms = message(
        campaign,
        zhang,
        SMS,
        status=MessageStatus.DELIVERED,
        sent_at=T0,
        delivered_at=T0 + dt.timedelta(minutes=1),
        body="【悦享生活】张伟您好，中秋快乐 回T退订",
        provider_id="gw-1",
    )
    MessageEvent.objects.create(
        message=sms, kind=MessageEventKind.SENT, at=T0, detail={"provider_id": "gw-1"}
    )
    MessageEvent.objects.create(
        message=sms, kind=MessageEventKind.DELIVERED, at=T0 + dt.timedelta(minutes=1)
    )
    return sms


@pytest.fixture
def staff_b(department_b):
    return UserFactory(username="staff_b", role="staff", department=department_b)


# --- one message ------------------------------------------------------------------------


def test_staff_see_a_message_of_their_customer_with_the_address_masked(staff_a_client, sent_sms):
    response = staff_a_client.get(f"/delivery/messages/{sent_sms.pk}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "张伟您好，中秋快乐" in body
    assert "138****5678" in body and "13812345678" not in body
    assert 'data-event="sent"' in body and 'data-event="delivered"' in body


def test_managers_with_pii_permission_see_the_full_address_and_it_is_audited(
    manager_a_client, manager_a, sent_sms
):
    body = manager_a_client.get(f"/delivery/messages/{sent_sms.pk}/").content.decode()

    assert "+8613812345678" in body
    assert AuditEntry.objects.filter(
        actor=manager_a, action=AuditAction.VIEW, customer_id=sent_sms.customer_id
    ).exists()


def test_masked_views_are_not_audited(staff_a_client, sent_sms):
    staff_a_client.get(f"/delivery/messages/{sent_sms.pk}/")
    staff_a_client.get(f"/campaigns/{sent_sms.source.object_id}/messages/")

    assert not AuditEntry.objects.filter(action=AuditAction.VIEW).exists()


def test_staff_of_other_department_gets_404_for_a_message(staff_b, sent_sms):
    assert _client(staff_b).get(f"/delivery/messages/{sent_sms.pk}/").status_code == 404


# --- the campaign's message log --------------------------------------------------------


@pytest.fixture
def log(campaign, zhang, department_a, department_b, sent_sms):
    li = CustomerFactory(department=department_a, name="李娜")
    wang = CustomerFactory(department=department_a, name="王芳")
    message(campaign, li, EMAIL, status=MessageStatus.FAILED, error_code="550", error="no user")
    message(
        campaign,
        wang,
        SMS,
        status=MessageStatus.SUPPRESSED,
        reason=SuppressionReason.UNSUBSCRIBED,
    )
    foreign = CustomerFactory(department=department_b, name="赵敏")
    message(campaign, foreign, SMS, status=MessageStatus.SENT, sent_at=T0)
    return campaign


def _rows(response) -> list[str]:
    body = response.content.decode()
    return [name for name in ("张伟", "李娜", "王芳", "赵敏") if name in body]


def test_message_log_lists_only_customers_the_user_sees(staff_a_client, log):
    response = staff_a_client.get(f"/campaigns/{log.pk}/messages/")

    assert response.status_code == 200
    assert _rows(response) == ["张伟", "李娜", "王芳"]
    assert "3 messages" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=failed", ["李娜"]),
        ("channel=email", ["李娜"]),
        ("status=suppressed&reason=unsubscribed", ["王芳"]),
        ("q=张", ["张伟"]),
        ("status=nonsense", ["张伟", "李娜", "王芳"]),
    ],
)
def test_message_log_filters(staff_a_client, log, query, expected):
    response = staff_a_client.get(f"/campaigns/{log.pk}/messages/?{query}")

    assert _rows(response) == expected


def test_message_log_is_paginated_without_a_query_per_row(
    staff_a_client, campaign, department_a, django_assert_max_num_queries
):
    for customer in CustomerFactory.create_batch(60, department=department_a):
        message(campaign, customer, SMS)

    with django_assert_max_num_queries(12):
        response = staff_a_client.get(f"/campaigns/{campaign.pk}/messages/")

    assert response.content.decode().count("data-message=") == 50
    assert 'rel="next"' in response.content.decode()
    assert "60 messages" in response.content.decode()


# --- the campaign page's delivery card -------------------------------------------------


def test_campaign_page_loads_the_delivery_card(staff_a_client, log):
    page = staff_a_client.get(f"/campaigns/{log.pk}/").content.decode()
    card = staff_a_client.get(f"/campaigns/{log.pk}/delivery/").content.decode()

    assert f'hx-get="/campaigns/{log.pk}/delivery/"' in page
    assert "delivery-chart.js" in page and "chart.umd.min.js" in page
    assert '<div class="h5 mb-0" data-figure="audience">4</div>' in card
    assert '<div class="h5 mb-0" data-figure="sent">2</div>' in card
    assert 'id="delivery-charts" data-chart="{&quot;funnel&quot;: [2, 1, 0, 0, 0, 0]' in card
    assert f'href="/campaigns/{log.pk}/messages/"' in card


# --- operations ------------------------------------------------------------------------


@pytest.fixture
def waiting_and_failed(campaign, department_a):
    later = timezone.now() + dt.timedelta(hours=1)
    customers = CustomerFactory.create_batch(4, department=department_a)
    retry = message(campaign, customers[0], SMS, send_after=later, attempts=2)
    fresh = message(campaign, customers[1], SMS, send_after=later)
    bad_number = message(
        campaign, customers[2], SMS, status=MessageStatus.FAILED, error_code="400", attempts=6
    )
    other = message(
        campaign,
        customers[3],
        SMS,
        status=MessageStatus.FAILED,
        error_code="timeout",
        error="gave up after 6 attempts: timeout",
        attempts=6,
    )
    return retry, fresh, bad_number, other


def test_staff_cannot_open_the_operations_page(staff_a_client):
    """They are taken to the message log, the part of delivery they may see."""
    response = staff_a_client.get("/delivery/")
    assert (response.status_code, response["Location"]) == (302, "/delivery/messages/")
    assert staff_a_client.get("/delivery/", HTTP_HX_REQUEST="true").status_code == 403
    assert staff_a_client.post("/delivery/retry/").status_code == 403


def test_operations_page_shows_the_queue(manager_a_client, waiting_and_failed):
    response = manager_a_client.get("/delivery/")
    partial = manager_a_client.get("/delivery/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'hx-trigger="every 10s"' in body and 'id="retry-now"' in body
    assert '<tr data-channel="sms">' in body
    assert (
        "<html" not in partial.content.decode() and 'id="queue-depth"' in partial.content.decode()
    )


def test_retry_now_sends_waiting_retries_at_once(
    manager_a_client, waiting_and_failed, django_capture_on_commit_callbacks
):
    retry, fresh, _bad, _other = waiting_and_failed
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = manager_a_client.post("/delivery/retry/", {"what": "waiting"})

    assert response.status_code == 302
    retry.refresh_from_db()
    fresh.refresh_from_db()
    assert retry.send_after <= timezone.now() and retry.send_after >= before
    assert fresh.send_after > timezone.now()  # never tried: keeps its planned time
    assert len(callbacks) == 1  # a sender is started after the commit


def test_requeue_failed_messages_of_one_error_code(manager_a_client, waiting_and_failed):
    _retry, _fresh, bad_number, other = waiting_and_failed

    manager_a_client.post("/delivery/retry/", {"what": "failed", "error_code": "timeout"})

    bad_number.refresh_from_db()
    other.refresh_from_db()
    assert bad_number.status == MessageStatus.FAILED
    assert (other.status, other.attempts) == (MessageStatus.QUEUED, 0)
    assert other.events.filter(kind=MessageEventKind.REQUEUED).exists()


def test_staff_cannot_retry(staff_a_client, waiting_and_failed):
    response = staff_a_client.post("/delivery/retry/", {"what": "failed"})

    assert response.status_code == 403
    assert OutboxMessage.objects.filter(status=MessageStatus.FAILED).count() == 2


# --- settings --------------------------------------------------------------------------


def test_admin_adds_a_frequency_cap(admin_client_user, admin_user):
    response = admin_client_user.post(
        "/delivery/settings/caps/new/",
        {"channel": "sms", "max_messages": 3, "period_days": 7, "active": "on"},
    )

    assert response.status_code == 302
    cap = FrequencyCap.objects.get(channel="sms", period_days=7)
    assert (cap.max_messages, cap.updated_by) == (3, admin_user)


def test_a_second_cap_over_the_same_period_for_the_same_channel_is_refused(admin_client_user):
    FrequencyCap.objects.filter(channel="", period_days=7).delete()
    FrequencyCap.objects.create(channel="", max_messages=3, period_days=7)

    response = admin_client_user.post(
        "/delivery/settings/caps/new/",
        {"channel": "", "max_messages": 5, "period_days": 7, "active": "on"},
    )

    assert response.status_code == 200
    assert "There is already a cap over 7 days for this channel" in response.content.decode()
    assert FrequencyCap.objects.filter(channel="", period_days=7).count() == 1


def test_quiet_hours_from_equal_until_is_refused(admin_client_user):
    QuietHours.objects.filter(channel="push").delete()

    response = admin_client_user.post(
        "/delivery/settings/quiet-hours/new/",
        {"channel": "push", "starts_at": "22:00", "ends_at": "22:00", "active": "on"},
    )

    assert response.status_code == 200
    assert "the window would be empty" in response.content.decode()
    assert not QuietHours.objects.filter(channel="push").exists()


def test_admin_changes_quiet_hours(admin_client_user):
    rule, _ = QuietHours.objects.get_or_create(channel="sms")

    response = admin_client_user.post(
        f"/delivery/settings/quiet-hours/{rule.pk}/",
        {"channel": "email", "starts_at": "22:30", "ends_at": "07:30", "active": "on"},
    )

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.channel, rule.starts_at, rule.ends_at) == ("sms", dt.time(22, 30), dt.time(7, 30))


def test_managers_see_the_settings_but_cannot_change_them(manager_a_client):
    cap = FrequencyCap.objects.create(channel="wecom", max_messages=1, period_days=2)

    page = manager_a_client.get("/delivery/settings/")
    edit = manager_a_client.post(
        f"/delivery/settings/caps/{cap.pk}/",
        {"channel": "wecom", "max_messages": 9, "period_days": 2},
    )
    delete = manager_a_client.post(f"/delivery/settings/caps/{cap.pk}/delete/")

    assert page.status_code == 200 and f'data-cap="{cap.pk}"' in page.content.decode()
    assert (edit.status_code, delete.status_code) == (403, 403)
    cap.refresh_from_db()
    assert cap.max_messages == 1


# --- the customer timeline and the navigation ------------------------------------------


def test_customer_timeline_shows_messages(staff_a_client, sent_sms, zhang):
    body = staff_a_client.get(
        f"/customers/{zhang.pk}/timeline/?kind=message", HTTP_HX_REQUEST="true"
    ).content.decode()

    assert "SMS · 中秋关怀" in body
    assert f'href="/delivery/messages/{sent_sms.pk}/"' in body


def test_delivery_has_its_own_navigation(staff_a_client, manager_a_client):
    """One entry in the main navigation (staff reach the message log through it), and
    delivery's own tabs: operations for managers, messages, settings for managers and
    admins."""
    assert 'data-nav="delivery"' in staff_a_client.get("/").content.decode()
    assert 'data-nav="delivery"' in manager_a_client.get("/").content.decode()
    staff = staff_a_client.get("/delivery/messages/").content.decode()
    assert 'data-tab="messages"' in staff
    assert 'data-tab="operations"' not in staff and 'data-tab="settings"' not in staff
    manager = manager_a_client.get("/delivery/").content.decode()
    assert 'id="delivery-subnav"' in manager and "campaigns/approvals" not in manager
    assert all(f'data-tab="{tab}"' in manager for tab in ("operations", "messages", "settings"))


# --- API -------------------------------------------------------------------------------


def test_api_lists_messages_in_scope_with_masked_addresses(
    api_client_for, staff_a, staff_b, manager_a, log
):
    mine = api_client_for(staff_a).get("/api/v1/messages/", {"campaign": log.pk}).json()
    theirs = api_client_for(staff_b).get("/api/v1/messages/", {"campaign": log.pk}).json()
    managed = api_client_for(manager_a).get("/api/v1/messages/", {"status": "delivered"}).json()

    assert mine["count"] == 3
    assert theirs["count"] == 1 and theirs["results"][0]["customer_name"] == "赵敏"
    zhang = next(row for row in mine["results"] if row["customer_name"] == "张伟")
    assert (zhang["address"], zhang["masked"]) == ("138****5678", True)
    assert [row["address"] for row in managed["results"]] == ["+8613812345678"]
    assert AuditEntry.objects.filter(actor=manager_a, action=AuditAction.VIEW).count() == 1
    assert not AuditEntry.objects.filter(actor=staff_a).exists()


def test_api_filters_messages(api_client_for, staff_a, log):
    client = api_client_for(staff_a)

    failed = client.get("/api/v1/messages/", {"status": "failed"}).json()
    unsubscribed = client.get("/api/v1/messages/", {"reason": "unsubscribed"}).json()

    assert [row["customer_name"] for row in failed["results"]] == ["李娜"]
    assert [row["customer_name"] for row in unsubscribed["results"]] == ["王芳"]


def test_api_message_of_another_department_is_404(api_client_for, staff_b, sent_sms):
    assert api_client_for(staff_b).get(f"/api/v1/messages/{sent_sms.pk}/").status_code == 404


def test_api_campaign_metrics(api_client_for, staff_a, staff_b, log):
    response = api_client_for(staff_a).get(f"/api/v1/campaigns/{log.pk}/metrics/")
    hidden = api_client_for(staff_b).get(f"/api/v1/campaigns/{log.pk}/metrics/")

    data = response.json()
    assert response.status_code == 200
    assert (data["total"]["audience"], data["total"]["sent"], data["total"]["failed"]) == (4, 2, 1)
    assert data["total"]["delivery_rate"] == 0.5
    assert data["suppressed_by_reason"] == {"unsubscribed": 1}
    assert {row["channel"] for row in data["by_channel"]} == {"sms", "email"}
    assert data["conversions"]["revenue"] == "0.00"
    assert hidden.status_code == 404


def test_api_messages_are_read_only(api_client_for, admin_user, sent_sms):
    response = api_client_for(admin_user).patch(
        f"/api/v1/messages/{sent_sms.pk}/", {"status": "queued"}, format="json"
    )

    assert response.status_code == 405
