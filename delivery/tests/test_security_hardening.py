"""Issue 13, delivery and campaigns, tried as an attacker would: addresses inside provider
errors, "retry failed" across departments, staff lifting a manager's pause, webhook bodies
built to crash the parser, customer links that never expire or that staff could follow."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from campaigns.models import (
    CampaignStatus,
    DeliveryChannel,
    MessageEventKind,
    MessageStatus,
    OutboxMessage,
    Unsubscribe,
)
from campaigns.services.approval import campaign_pause
from campaigns.tests.factories import CampaignFactory, ContentFactory
from campaigns.tests.helpers import approve
from carecrm.accounts.tests.factories import UserFactory
from carecrm.core.models import AuditEntry
from customers.tests.factories import CustomerFactory
from delivery.compose import click_url, preferences_url, short_url, unsubscribe_url
from delivery.tests.outbox import message
from delivery.tests.test_webhooks import SECRET, receipts_url, signed_post
from delivery.tokens import Purpose, message_token

pytestmark = pytest.mark.django_db
SMS, EMAIL = DeliveryChannel.SMS, DeliveryChannel.EMAIL
REJECTED = "550 5.1.1 <zhang.wei@example.cn>: Recipient address rejected"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def campaign(department_a, staff_a):
    return CampaignFactory(department=department_a, name="中秋关怀", created_by=staff_a)


@pytest.fixture
def zhang(department_a):
    return CustomerFactory(
        department=department_a, name="张伟", mobile="+8613812345678", email="zhang.wei@example.cn"
    )


@pytest.fixture
def rejected_email(campaign, zhang):
    return message(
        campaign,
        zhang,
        EMAIL,
        status=MessageStatus.FAILED,
        failed_at=timezone.now(),
        error=REJECTED,
        error_code="550",
        attempts=1,
    )


# --- 5: addresses inside delivery errors ------------------------------------------------


def test_staff_without_pii_see_the_address_in_an_error_masked_in_api_and_pages(
    staff_a, api_client_for, rejected_email
):
    api = api_client_for(staff_a).get(f"/api/v1/messages/{rejected_email.pk}/").json()
    page = _client(staff_a).get(f"/delivery/messages/{rejected_email.pk}/").content.decode()
    log = _client(staff_a).get(f"/campaigns/{rejected_email.source.object_id}/messages/")

    assert api["error"] == "550 5.1.1 <z***@example.cn>: Recipient address rejected"
    for body in (page, log.content.decode()):
        assert "zhang.wei@example.cn" not in body
        assert "z***@example.cn" in body


def test_a_phone_number_in_an_error_is_masked_for_staff(staff_a, api_client_for, campaign, zhang):
    sms = message(
        campaign, zhang, SMS, status=MessageStatus.FAILED, error="isv.BLACK +8613812345678"
    )

    api = api_client_for(staff_a).get(f"/api/v1/messages/{sms.pk}/").json()

    assert api["error"] == "isv.BLACK 138****5678"


def test_admin_with_pii_sees_the_error_as_the_provider_wrote_it(
    admin_user, api_client_for, rejected_email
):
    api = api_client_for(admin_user).get(f"/api/v1/messages/{rejected_email.pk}/").json()
    page = _client(admin_user).get(f"/delivery/messages/{rejected_email.pk}/")

    assert api["error"] == REJECTED
    assert "zhang.wei@example.cn" in page.content.decode()
    rejected_email.refresh_from_db()
    assert rejected_email.error == REJECTED  # stored intact for auditors


def test_operations_failures_by_reason_are_masked_without_pii(department_a, rejected_email):
    without_pii = UserFactory(role="staff", department=department_a)
    without_pii.user_permissions.add(
        Permission.objects.get(codename="view_dispatchrun", content_type__app_label="delivery")
    )

    body = _client(without_pii).get("/delivery/").content.decode()

    assert "zhang.wei@example.cn" not in body and "z***@example.cn" in body


# --- 6: "retry failed" ------------------------------------------------------------------


@pytest.fixture
def failures(campaign, department_b, staff_b, zhang):
    other = CampaignFactory(department=department_b, created_by=staff_b)
    theirs = CustomerFactory(department=department_b)
    gave_up = "gave up after 6 attempts: HTTP 503: busy"
    return {
        "transient": message(
            campaign, zhang, SMS, status=MessageStatus.FAILED, error=gave_up, error_code="503"
        ),
        "permanent": message(
            campaign, zhang, EMAIL, status=MessageStatus.FAILED, error=REJECTED, error_code="550"
        ),
        "other_department": message(
            other, theirs, SMS, status=MessageStatus.FAILED, error=gave_up, error_code="503"
        ),
    }


def _status(row: OutboxMessage) -> str:
    row.refresh_from_db()
    return row.status


def test_a_managers_retry_failed_requeues_only_their_departments_transient_failures(
    manager_a_client, failures
):
    manager_a_client.post("/delivery/retry/", {"what": "failed", "error_code": "__all__"})

    assert _status(failures["transient"]) == MessageStatus.QUEUED
    assert _status(failures["permanent"]) == MessageStatus.FAILED
    assert _status(failures["other_department"]) == MessageStatus.FAILED


def test_a_permanent_failure_is_requeued_from_its_page_after_confirmation(
    manager_a_client, manager_a, failures
):
    permanent = failures["permanent"]
    url = f"/delivery/messages/{permanent.pk}/requeue/"
    page = manager_a_client.get(f"/delivery/messages/{permanent.pk}/").content.decode()

    manager_a_client.post(url)
    unconfirmed = _status(permanent)
    manager_a_client.post(url, {"confirm": "yes"})

    assert 'id="message-requeue"' in page
    assert unconfirmed == MessageStatus.FAILED
    assert _status(permanent) == MessageStatus.QUEUED
    assert permanent.events.filter(kind=MessageEventKind.REQUEUED).exists()
    assert AuditEntry.objects.filter(actor=manager_a, detail__delivery="requeued").exists()


def test_a_manager_cannot_requeue_another_departments_message(manager_a_client, failures):
    response = manager_a_client.post(
        f"/delivery/messages/{failures['other_department'].pk}/requeue/", {"confirm": "yes"}
    )

    assert response.status_code == 404
    assert _status(failures["other_department"]) == MessageStatus.FAILED


def test_settling_uncertain_messages_touches_only_the_users_department(
    manager_a_client, campaign, zhang, department_b, staff_b
):
    mine = message(campaign, zhang, SMS, status=MessageStatus.UNCERTAIN)
    other = CampaignFactory(department=department_b, created_by=staff_b)
    theirs = message(other, CustomerFactory(department=department_b), SMS, status="uncertain")

    manager_a_client.post("/delivery/uncertain/", {"channel": SMS, "decision": "again"})

    assert _status(mine) == MessageStatus.QUEUED
    assert _status(theirs) == MessageStatus.UNCERTAIN


# --- 7: a manager's pause ---------------------------------------------------------------


@pytest.fixture
def paused_by_manager(campaign, staff_a, manager_a):
    ContentFactory(campaign=campaign)
    approve(campaign, author=staff_a, manager=manager_a)
    return campaign_pause(campaign=campaign, user=manager_a, reason="投诉增多")


def test_staff_cannot_resume_a_managers_pause_in_the_ui(staff_a_client, paused_by_manager):
    response = staff_a_client.post(f"/campaigns/{paused_by_manager.pk}/resume/")

    assert response.status_code == 403
    assert "only a manager or an administrator can resume it" in response.content.decode()
    paused_by_manager.refresh_from_db()
    assert paused_by_manager.status == CampaignStatus.PAUSED


def test_staff_cannot_resume_a_managers_pause_through_the_api(
    api_client_for, staff_a, paused_by_manager
):
    response = api_client_for(staff_a).post(f"/api/v1/campaigns/{paused_by_manager.pk}/resume/")

    assert response.status_code == 403
    assert "only a manager or an administrator" in response.json()["detail"]
    paused_by_manager.refresh_from_db()
    assert paused_by_manager.status == CampaignStatus.PAUSED


def test_a_manager_resumes_a_managers_pause(api_client_for, manager_a, paused_by_manager):
    response = api_client_for(manager_a).post(f"/api/v1/campaigns/{paused_by_manager.pk}/resume/")

    assert response.status_code == 200
    assert paused_by_manager.activities.filter(action="paused").get().actor_role == "manager"


def test_staff_resume_a_pause_staff_made(staff_a_client, staff_a, manager_a, campaign):
    ContentFactory(campaign=campaign)
    approve(campaign, author=staff_a, manager=manager_a)
    staff_a_client.post(f"/campaigns/{campaign.pk}/pause/", {"reason": "笔误"})

    staff_a_client.post(f"/campaigns/{campaign.pk}/resume/")

    campaign.refresh_from_db()
    assert campaign.status != CampaignStatus.PAUSED


# --- 9: webhook bodies built to crash the parser ----------------------------------------


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.DELIVERY_WEBHOOK_SECRET = SECRET


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b'{"receipts": [{"id": "carecrm-1", "status": "delivered", "at": 1e300}]}', "no time"),
        (b'{"receipts": [{"id": "carecrm-1", "status": "delivered", "at": 1e400}]}', "too large"),
        (b'{"receipts": [{"id": "carecrm-1", "status": "delivered", "at": Infinity}]}', "Infinity"),
        (b'{"receipts": [{"id": "carecrm-1", "status": "delivered", "at": NaN}]}', "NaN"),
        (b'{"receipts": [{"id": "carecrm-1", "at": ' + b"9" * 5000 + b"}]}", "too large"),
        (b"[" * 100_000 + b"]" * 100_000, "levels deep"),
    ],
)
def test_a_receipt_body_no_parser_should_take_is_a_400_that_says_why(client, raw, words):
    response = signed_post(client, receipts_url(), raw=raw)

    assert response.status_code == 400
    assert words in response.json()["error"]


def test_an_inbound_sms_at_infinity_is_a_400(client):
    raw = b'{"from": "+8613812345678", "text": "TD", "at": 1e300}'

    assert signed_post(client, "/api/v1/delivery/inbound/sms/", raw=raw).status_code == 400


def test_a_receipt_with_unix_seconds_still_works(client, campaign, zhang):
    sms = message(campaign, zhang, SMS, status=MessageStatus.SENT, sent_at=timezone.now())
    at = int(timezone.now().timestamp())
    payload = {"receipts": [{"id": f"carecrm-{sms.pk}", "status": "delivered", "at": at}]}

    response = signed_post(client, receipts_url(), payload)

    assert response.status_code == 200 and _status(sms) == MessageStatus.DELIVERED


# --- 12: customer links ------------------------------------------------------------------


def _sent(campaign, customer, days_ago: int, **fields) -> OutboxMessage:
    sent_at = timezone.now() - dt.timedelta(days=days_ago)
    return message(
        campaign,
        customer,
        EMAIL,
        status=MessageStatus.SENT,
        sent_at=sent_at,
        links=["https://shop.example.cn/offer"],
        **fields,
    )


def test_an_expired_click_link_shows_the_friendly_expired_page_and_records_nothing(
    client, campaign, zhang
):
    old = _sent(campaign, zhang, days_ago=181)
    client.cookies["django_language"] = "zh-hans"

    response = client.get(f"/m/c/{message_token(old.pk, Purpose.CLICK)}/0/")

    assert response.status_code == 410
    body = response.content.decode()
    assert 'lang="zh-hans"' in body and 'data-status="410"' in body
    assert "Traceback" not in body
    old.refresh_from_db()
    assert (old.click_count, old.clicked_at) == (0, None)


def test_a_recent_click_link_still_redirects(client, campaign, zhang):
    recent = _sent(campaign, zhang, days_ago=10)

    response = client.get(f"/m/c/{message_token(recent.pk, Purpose.CLICK)}/0/")

    assert response.status_code == 302 and response["Location"] == "https://shop.example.cn/offer"


def test_the_unsubscribe_link_of_a_three_year_old_message_still_unsubscribes(
    client, campaign, zhang
):
    old = _sent(campaign, zhang, days_ago=3 * 365)
    token = message_token(old.pk, Purpose.UNSUBSCRIBE)

    response = client.post(
        f"/m/u/{token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert Unsubscribe.objects.filter(customer=zhang, channel=EMAIL).exists()


def test_an_expired_preferences_link_leads_on_through_the_unsubscribe_page(client, campaign, zhang):
    old = _sent(campaign, zhang, days_ago=400)

    expired = client.get(f"/m/p/{message_token(old.pk, Purpose.PREFERENCES)}/")
    unsubscribe_page = client.get(f"/m/u/{message_token(old.pk, Purpose.UNSUBSCRIBE)}/")
    preferences = client.get(f"/m/u/{message_token(old.pk, Purpose.UNSUBSCRIBE)}/preferences/")

    assert expired.status_code == 410
    assert f'href="/m/u/{message_token(old.pk, Purpose.UNSUBSCRIBE)}/"' in expired.content.decode()
    assert "/preferences/" in unsubscribe_page.content.decode()
    assert preferences.status_code == 200


def test_staff_see_no_customer_link_in_a_message_body(staff_a, api_client_for, campaign, zhang):
    sms = message(campaign, zhang, SMS, status=MessageStatus.SENT, sent_at=timezone.now())
    body = (
        f"中秋快乐 {short_url(sms.pk, 0)} 偏好 {preferences_url(sms.pk)} "
        f"点击 {click_url(sms.pk, 1)} 退订 {unsubscribe_url(sms.pk)}"
    )
    OutboxMessage.objects.filter(pk=sms.pk).update(body=body)

    api = api_client_for(staff_a).get(f"/api/v1/messages/{sms.pk}/").json()
    page = _client(staff_a).get(f"/delivery/messages/{sms.pk}/").content.decode()

    for shown in (api["body"], page):
        for purpose in (Purpose.UNSUBSCRIBE, Purpose.PREFERENCES, Purpose.CLICK):
            assert message_token(sms.pk, purpose) not in shown
        assert message_token(sms.pk, Purpose.SHORT_LINK) not in shown
        assert "[unsubscribe link]" in shown and "[short link]" in shown
    assert api["body"].startswith("中秋快乐 [short link] 偏好 [preferences link]")
