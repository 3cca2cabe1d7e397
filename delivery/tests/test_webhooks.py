"""Provider webhooks: signed delivery receipts move messages on exactly once; an inbound
"TD" unsubscribes the sender from SMS at once; other replies reach the staff."""

import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import (
    CareKind,
    FrequencyCap,
    MessageEvent,
    MessageEventKind,
    MessageStatus,
    OutboxMessage,
    QuietHours,
    SuppressionReason,
    TouchChannel,
    Unsubscribe,
    UnsubscribeSource,
)
from campaigns.services.dispatch import touches_dispatch
from campaigns.sources import campaign_messages, campaign_source
from customers.models import ChannelConsent, ConsentMethod, Interaction, InteractionKind
from delivery.services.receipts import is_opt_out
from delivery.services.sending import messages_send
from delivery.standin import GatewayStandIn
from delivery.tests.senders import consenting_customers, due_campaign

pytestmark = pytest.mark.django_db
SECRET = "webhook-test-secret"


def signed_post(client, url, payload=None, *, raw=None, secret=SECRET, timestamp=None):
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return client.post(
        url,
        data=body,
        content_type="application/json",
        HTTP_X_CARECRM_SIGNATURE=f"sha256={digest}",
        HTTP_X_CARECRM_TIMESTAMP=stamp,
    )


def receipts_url(channel="sms"):
    return reverse("delivery_webhooks:receipts", args=[channel])


INBOUND_URL = "/api/v1/delivery/inbound/sms/"


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.DELIVERY_WEBHOOK_SECRET = SECRET


def _send_today(campaign_kwargs, settings, gateway=None):
    """Dispatch and send everything due today; SMS through the gateway stand-in when
    given (it answers with its own provider ids)."""
    QuietHours.objects.all().delete()
    if gateway is not None:
        settings.DELIVERY_CHANNELS = {
            **settings.DELIVERY_CHANNELS,
            "sms": {"BACKEND": "http", "URL": gateway.url + "/sms", "TOKEN": gateway.token},
        }
    touches_dispatch(on=timezone.localdate())
    return messages_send(seconds=10)


@pytest.fixture
def sent_sms(department_a, staff_a, manager_a, settings):
    """Three SMS sent through the gateway stand-in today."""
    customers = consenting_customers(department_a, 3, TouchChannel.SMS, TouchChannel.EMAIL)
    campaign = due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        name="五月感恩季",
        on=timezone.localdate(),
        send_time=dt.time(0, 0),
    )
    with GatewayStandIn() as gateway:
        report = _send_today({}, settings, gateway)
    assert report.sent == 3
    messages = list(campaign_messages(campaign).order_by("customer_id"))
    assert all(m.provider_id.startswith("gw-") for m in messages)
    return customers, messages


def _queued_sms_for(customers, department, staff, manager, **fields):
    """A later campaign's SMS, queued but not sent yet."""
    campaign = due_campaign(
        department=department,
        author=staff,
        manager=manager,
        on=timezone.localdate() + dt.timedelta(days=1),
        send_time=dt.time(10, 0),
        **fields,
    )
    touches_dispatch(on=timezone.localdate() + dt.timedelta(days=1))
    return OutboxMessage.objects.filter(source=campaign_source(campaign), customer__in=customers)


# --- authentication -------------------------------------------------------------------


def test_it_is_off_without_a_secret(client, settings):
    settings.DELIVERY_WEBHOOK_SECRET = ""
    response = signed_post(client, receipts_url(), {"receipts": []})
    assert response.status_code == 503
    assert "DELIVERY_WEBHOOK_SECRET" in response.json()["error"]


def test_it_refuses_unsigned_wrongly_signed_tampered_and_stale_requests(client):
    body = json.dumps({"receipts": []}).encode()
    unsigned = client.post(receipts_url(), data=body, content_type="application/json")
    wrong_secret = signed_post(client, receipts_url(), raw=body, secret="guess")
    stale = signed_post(client, receipts_url(), raw=body, timestamp=int(time.time()) - 301)
    good = signed_post(client, receipts_url(), raw=body)

    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    tampered = client.post(
        receipts_url(),
        data=json.dumps({"receipts": [{"id": "carecrm-1", "status": "failed"}]}),
        content_type="application/json",
        HTTP_X_CARECRM_SIGNATURE=f"sha256={digest}",
        HTTP_X_CARECRM_TIMESTAMP=stamp,
    )

    assert unsigned.status_code == 401
    assert wrong_secret.status_code == 403
    assert stale.status_code == 403
    assert tampered.status_code == 403
    assert good.status_code == 200


def test_get_is_not_allowed_and_unknown_channels_are_404(client):
    assert client.get(receipts_url()).status_code == 405
    assert signed_post(client, receipts_url("fax"), {"receipts": []}).status_code == 404


# --- receipts -------------------------------------------------------------------------


def test_a_delivered_receipt_is_recorded_once(client, sent_sms):
    _, (first, second, _third) = sent_sms
    delivered_at = timezone.now().replace(microsecond=0) - dt.timedelta(seconds=30)
    at = timezone.localtime(delivered_at).replace(tzinfo=None).isoformat()  # local, naive
    payload = {
        "receipts": [
            {"id": first.idempotency_key, "status": "delivered", "at": at},
            {"id": second.provider_id, "status": "delivered", "code": "DELIVRD"},
        ]
    }

    answer = signed_post(client, receipts_url(), payload)
    first.refresh_from_db()
    events = MessageEvent.objects.filter(kind=MessageEventKind.DELIVERED).count()
    repeat = signed_post(client, receipts_url(), payload)

    assert answer.status_code == 200
    assert answer.json()["updated"] == [first.idempotency_key, second.provider_id]
    assert first.status == MessageStatus.DELIVERED
    assert first.delivered_at == delivered_at
    assert OutboxMessage.objects.get(pk=second.pk).status == MessageStatus.DELIVERED
    assert events == 2
    assert repeat.status_code == 200
    assert repeat.json()["updated"] == []
    assert len(repeat.json()["duplicates"]) == 2
    assert MessageEvent.objects.filter(kind=MessageEventKind.DELIVERED).count() == 2
    again = OutboxMessage.objects.get(pk=first.pk)
    assert again.delivered_at == first.delivered_at


def test_a_failed_receipt_keeps_the_carriers_reason(client, sent_sms):
    _, (message, *_rest) = sent_sms
    answer = signed_post(
        client,
        receipts_url(),
        {
            "receipts": [
                {
                    "id": message.provider_id,
                    "status": "failed",
                    "code": "MK:0001",
                    "error": "handset switched off",
                    "at": 1780000000,
                }
            ]
        },
    )
    message.refresh_from_db()
    assert answer.status_code == 200
    assert message.status == MessageStatus.FAILED
    assert message.error == "handset switched off"
    assert message.error_code == "MK:0001"
    assert message.failed_at == dt.datetime.fromtimestamp(1780000000, tz=dt.UTC)
    event = message.events.get(kind=MessageEventKind.FAILED)
    assert event.detail["code"] == "MK:0001"


def test_stale_receipts_are_ignored_and_unknown_ids_reported(client, sent_sms):
    _, (message, *_rest) = sent_sms
    signed_post(
        client, receipts_url(), {"receipts": [{"id": message.provider_id, "status": "delivered"}]}
    )
    answer = signed_post(
        client,
        receipts_url(),
        {
            "receipts": [
                {"id": message.provider_id, "status": "failed", "error": "late"},
                {"id": "carecrm-999999", "status": "delivered"},
                {"id": "no-such-provider-id", "status": "delivered"},
                {"id": "x", "status": "read"},
                {"status": "delivered"},
                {"id": "y", "status": "delivered", "at": "yesterday"},
                "junk",
            ]
        },
    )
    message.refresh_from_db()
    body = answer.json()
    assert answer.status_code == 200
    assert message.status == MessageStatus.DELIVERED
    assert body["ignored"] == [{"id": message.provider_id, "current": "delivered"}]
    assert body["unknown"] == ["carecrm-999999", "no-such-provider-id"]
    assert [item["index"] for item in body["invalid"]] == [3, 4, 5, 6]
    assert "status" in body["invalid"][0]["error"]


def test_receipts_name_messages_of_their_own_channel_only(client, sent_sms):
    _, (message, *_rest) = sent_sms
    answer = signed_post(
        client,
        receipts_url("email"),
        {"receipts": [{"id": message.idempotency_key, "status": "bounced"}]},
    )
    assert answer.json()["unknown"] == [message.idempotency_key]
    assert OutboxMessage.objects.get(pk=message.pk).status == MessageStatus.SENT


def test_a_receipt_for_a_message_not_yet_recorded_as_sent_asks_to_retry(
    client, sent_sms, department_a, staff_a, manager_a
):
    customers, _ = sent_sms
    queued = _queued_sms_for(customers, department_a, staff_a, manager_a).first()
    answer = signed_post(
        client,
        receipts_url(),
        {"receipts": [{"id": queued.idempotency_key, "status": "delivered"}]},
    )
    assert answer.status_code == 503
    assert answer["Retry-After"]
    assert answer.json()["pending"] == [queued.idempotency_key]
    assert OutboxMessage.objects.get(pk=queued.pk).status == MessageStatus.QUEUED


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"{not json", "not valid JSON"),
        ("{}".encode("utf-16"), "UTF-8"),
        (b"[]", "JSON object"),
        (b'{"receipts": {"id": "carecrm-1"}}', "must be a list"),
        (json.dumps({"receipts": [{}] * 1001}).encode(), "At most 1000"),
    ],
)
def test_an_unreadable_body_is_a_400_that_says_why(client, raw, error):
    answer = signed_post(client, receipts_url(), raw=raw)
    assert answer.status_code == 400
    assert error in answer.json()["error"]


def test_an_email_bounce_after_delivery_is_recorded(
    client, department_a, staff_a, manager_a, settings
):
    consenting_customers(department_a, 1, TouchChannel.EMAIL)
    due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        channels=(TouchChannel.EMAIL,),
        on=timezone.localdate(),
        send_time=dt.time(0, 0),
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _send_today({}, settings)
    message = OutboxMessage.objects.get(channel="email")
    signed_post(
        client,
        receipts_url("email"),
        {"receipts": [{"id": message.provider_id, "status": "delivered"}]},
    )
    signed_post(
        client,
        receipts_url("email"),
        {
            "receipts": [
                {
                    "id": message.provider_id,
                    "status": "bounced",
                    "code": "5.1.1",
                    "error": "no such user",
                }
            ]
        },
    )
    message.refresh_from_db()
    assert message.status == MessageStatus.BOUNCED
    assert message.error == "no such user" and message.failed_at is not None


# --- inbound SMS ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "T",
        "td",
        " TD。",
        "退订",
        "退订！",
        "取订",
        "取消",
        "ＴＤ",
        "Stop.",
        "unsubscribe",
        "R",
        "n",
    ],
)
def test_opt_out_words(text):
    assert is_opt_out(text)


@pytest.mark.parametrize("text", ["", "谢谢", "TD please", "不要退订", "T D", "好的"])
def test_other_replies_are_no_opt_out(text):
    assert not is_opt_out(text)


def test_td_unsubscribes_the_sender_from_sms_at_once(
    client, sent_sms, department_a, staff_a, manager_a
):
    customers, messages = sent_sms
    customer, message = customers[0], next(m for m in messages if m.customer_id == customers[0].pk)
    queued = _queued_sms_for(customers, department_a, staff_a, manager_a)
    assert queued.filter(status=MessageStatus.QUEUED).count() == 3
    national = customer.mobile.removeprefix("+86")
    national = f"{national[:3]} {national[3:7]} {national[7:]}"

    answer = signed_post(
        client, INBOUND_URL, {"from": national, "text": "TD。", "at": timezone.now().isoformat()}
    )

    assert answer.status_code == 200
    body = answer.json()
    assert body["opt_out"] is True and body["unknown"] is False
    assert body["from"] == customer.mobile
    consent = ChannelConsent.objects.get(customer=customer, channel="sms")
    assert consent.granted is False and consent.method == ConsentMethod.REPLY
    assert ChannelConsent.objects.get(customer=customer, channel="email").granted is True
    unsubscribe = Unsubscribe.objects.get(customer=customer)
    assert (unsubscribe.channel, unsubscribe.care_kind) == ("sms", "")
    assert unsubscribe.source == UnsubscribeSource.REPLY
    assert unsubscribe.message_id == message.pk
    mine = queued.get(customer=customer)
    assert (mine.status, mine.reason) == (MessageStatus.SUPPRESSED, SuppressionReason.UNSUBSCRIBED)
    assert mine.events.filter(kind=MessageEventKind.SUPPRESSED).exists()
    assert queued.filter(status=MessageStatus.QUEUED).count() == 2
    message.refresh_from_db()
    assert message.replied_at is not None and message.unsubscribed_at is not None
    assert message.events.get(kind=MessageEventKind.REPLIED).detail["text"] == "TD。"
    assert not Interaction.objects.filter(customer=customer).exists()

    repeat = signed_post(client, INBOUND_URL, {"from": customer.mobile, "text": "退订"})
    assert repeat.status_code == 200
    assert Unsubscribe.objects.filter(customer=customer).count() == 1
    assert (
        ChannelConsent.objects.get(customer=customer, channel="sms").changed_at
        == consent.changed_at
    )


def test_an_unsubscribed_sender_gets_nothing_more(
    client, sent_sms, department_a, staff_a, manager_a, settings
):
    customers, _ = sent_sms
    FrequencyCap.objects.all().delete()
    first_kind = OutboxMessage.objects.first().care_kind
    due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        care_kind=next(kind for kind in CareKind.values if kind != first_kind),
        on=timezone.localdate(),
        send_time=dt.time(0, 0),
    )
    signed_post(client, INBOUND_URL, {"from": customers[1].mobile, "text": "T"})
    with GatewayStandIn() as gateway:
        _send_today({}, settings, gateway)
    assert set(gateway.deliveries_to()) == {customers[0].mobile, customers[2].mobile}


def test_a_reply_is_logged_for_staff_and_marks_the_message_replied(client, sent_sms, staff_a):
    customers, messages = sent_sms
    customer, message = customers[2], next(m for m in messages if m.customer_id == customers[2].pk)
    first_at = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=2)
    payload = {
        "messages": [
            {"from": customer.mobile, "text": "请问活动到几号？", "at": first_at.isoformat()}
        ]
    }

    answer = signed_post(client, INBOUND_URL, payload)
    signed_post(client, INBOUND_URL, payload)  # the provider sends it twice
    signed_post(client, INBOUND_URL, {"from": customer.mobile, "text": "好的，谢谢"})

    assert answer.status_code == 200
    (result,) = answer.json()["results"]
    assert result["opt_out"] is False and result["message"] == message.idempotency_key
    message.refresh_from_db()
    assert message.replied_at == first_at
    assert message.events.filter(kind=MessageEventKind.REPLIED).count() == 2
    interactions = Interaction.objects.filter(customer=customer).order_by("occurred_at")
    assert [i.kind for i in interactions] == [InteractionKind.CONSULTATION] * 2
    assert interactions[0].channel == "sms" and interactions[0].outcome == "open"
    assert "请问活动到几号？" in interactions[0].summary and "五月感恩季" in interactions[0].summary
    assert not Unsubscribe.objects.exists()
    assert ChannelConsent.objects.get(customer=customer, channel="sms").granted is True

    client.force_login(staff_a)
    timeline = client.get(reverse("customers:detail", args=[customer.pk]))
    assert "请问活动到几号？" in timeline.content.decode()


def test_replies_from_unknown_numbers_are_recorded_nowhere(client, sent_sms):
    answer = signed_post(client, INBOUND_URL, {"from": "+8613700000001", "text": "TD"})
    invalid = signed_post(client, INBOUND_URL, {"from": "hello", "text": "TD"})
    assert answer.status_code == 200 and answer.json()["unknown"] is True
    assert invalid.status_code == 200 and invalid.json()["unknown"] is True
    assert not Unsubscribe.objects.exists()
    assert not Interaction.objects.exists()
    assert not MessageEvent.objects.filter(kind=MessageEventKind.REPLIED).exists()


def test_an_inbound_message_without_sender_or_text_is_a_400(client):
    assert signed_post(client, INBOUND_URL, {"text": "TD"}).status_code == 400
    answer = signed_post(client, INBOUND_URL, {"messages": [{"from": "+8613900000000"}]})
    assert answer.status_code == 200
    assert "error" in answer.json()["results"][0]
