"""At most one post per message at a provider that does not de-duplicate, whatever fails
in one sender: transient refusals, answers lost after the post, a sender that died with
its rows claimed or handed over, a customer who unsubscribes while the sender waits for
rate slots. The local gateway stand-in runs without de-duplication, as Alibaba Cloud SMS
or SMTP would: every repeated post is a customer who got the message twice.

The same guarantees with real Celery workers, beat and SIGKILL are in
``test_delivery_worker.py``.
"""

import datetime as dt
import threading
import time
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.models import (
    FrequencyCap,
    MessageEventKind,
    MessageStatus,
    OutboxMessage,
    QuietHours,
    SuppressionReason,
    UnsubscribeSource,
)
from campaigns.selectors.due import local_zone
from campaigns.services.dispatch import touches_dispatch
from campaigns.sources import campaign_messages
from delivery.services.admin import messages_uncertain_settle
from delivery.services.preferences import unsubscribe
from delivery.services.receipts import receipts_record
from delivery.services.sending import claim, delivery_recover, messages_send, send_claimed
from delivery.standin import GatewayStandIn
from delivery.tests.senders import DUE_DAY, consenting_customers, due_campaign

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def gateway(settings):
    """A gateway that delivers every post it accepts, repeats included."""
    with GatewayStandIn(dedupe=False) as standin:
        settings.DELIVERY_CHANNELS = {
            **settings.DELIVERY_CHANNELS,
            "sms": {
                "BACKEND": "http",
                "URL": standin.url + "/sms",
                "TOKEN": standin.token,
                "RATE": 0,
                "BATCH": 20,
            },
        }
        settings.DELIVERY_RETRY_BASE_SECONDS = 0
        yield standin


@pytest.fixture
def campaign_due_now(department_a, staff_a, manager_a):
    FrequencyCap.objects.all().delete()
    QuietHours.objects.all().delete()

    def make(count: int):
        customers = consenting_customers(department_a, count)
        campaign = due_campaign(
            department=department_a,
            author=staff_a,
            manager=manager_a,
            on=TODAY,
            send_time=dt.time(0, 0),
        )
        touches_dispatch(on=TODAY)
        return campaign, customers

    return make


def statuses(campaign) -> Counter:
    return Counter(campaign_messages(campaign).values_list("status", flat=True))


def send_until_settled(*, rounds: int = 40) -> None:
    """What beat and the senders do, over and over, until nothing is left to do."""
    for _ in range(rounds):
        delivery_recover()
        messages_send(seconds=10)
        left = OutboxMessage.objects.filter(
            status__in=(MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.UNCERTAIN)
        )
        if not left.exists():
            return
    pytest.fail(f"never settled: {Counter(left.values_list('status', flat=True))}")


def test_500s_and_answers_lost_after_the_post_never_duplicate_or_lose_a_message(
    settings, gateway, campaign_due_now
):
    """20 % of posts refused with HTTP 500, 5 % taken and answered too late: the refused
    ones are retried, the late ones become uncertain — listed, never re-posted — and the
    gateway's status lookup settles them."""
    campaign, customers = campaign_due_now(300)
    settings.DELIVERY_HTTP_TIMEOUT = 0.3
    settings.DELIVERY_MAX_ATTEMPTS = 50
    gateway.script.fail_ratio = 0.2
    gateway.script.accept_then_hang = 0.05
    gateway.script.hang = 1.0

    for _ in range(30):
        messages_send(seconds=10)
        if not OutboxMessage.objects.filter(status=MessageStatus.QUEUED).exists():
            break
    uncertain = OutboxMessage.objects.filter(status=MessageStatus.UNCERTAIN)
    assert uncertain.exists(), "no post was answered too late: the test proves nothing"
    assert set(uncertain.values_list("error_code", flat=True)) == {"answer-lost"}
    assert gateway.status_counts[500] > 0

    settings.DELIVERY_LOOKUP_GRACE_SECONDS = 0
    send_until_settled()

    assert gateway.duplicates() == 0
    keys = {f"carecrm-{pk}" for pk in OutboxMessage.objects.values_list("pk", flat=True)}
    assert set(gateway.posts) == keys
    assert gateway.deliveries_to() == {customer.mobile: 1 for customer in customers}
    assert statuses(campaign) == {MessageStatus.SENT: 300}
    settled = OutboxMessage.objects.filter(events__kind=MessageEventKind.UNCERTAIN)
    assert settled.exists() and not settled.exclude(status=MessageStatus.SENT).exists()


def test_a_message_a_dead_sender_handed_over_is_uncertain_and_never_posted_again(
    settings, gateway, campaign_due_now
):
    campaign, _ = campaign_due_now(30)
    batch = claim(size=30)
    handed = batch[:20]
    OutboxMessage.objects.filter(pk__in=[m.pk for m in handed]).update(
        handed_at=timezone.now(), attempts=1
    )
    # The sender dies here: nobody records an answer; its lease runs out.
    OutboxMessage.objects.filter(status=MessageStatus.SENDING).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1)
    )

    recovered = delivery_recover()
    messages_send(seconds=10)

    assert (recovered["requeued"], recovered["uncertain"]) == (10, 20)
    assert statuses(campaign) == {MessageStatus.SENT: 10, MessageStatus.UNCERTAIN: 20}
    assert gateway.posts == Counter({f"carecrm-{m.pk}": 1 for m in batch[20:]})
    uncertain = OutboxMessage.objects.filter(status=MessageStatus.UNCERTAIN).first()
    assert uncertain.events.filter(kind=MessageEventKind.UNCERTAIN).exists()


def test_an_uncertain_message_the_gateway_never_got_is_sent_once_after_the_grace_period(
    settings, gateway, campaign_due_now
):
    campaign, customers = campaign_due_now(5)
    batch = claim(size=5)
    OutboxMessage.objects.filter(pk__in=[m.pk for m in batch]).update(
        handed_at=timezone.now(), lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    settings.DELIVERY_LOOKUP_GRACE_SECONDS = 60

    delivery_recover()
    assert statuses(campaign) == {MessageStatus.UNCERTAIN: 5}, "asked within the grace period"

    settings.DELIVERY_LOOKUP_GRACE_SECONDS = 0
    delivery_recover()
    messages_send(seconds=10)

    assert statuses(campaign) == {MessageStatus.SENT: 5}
    assert gateway.deliveries_to() == {c.mobile: 1 for c in customers}
    assert gateway.duplicates() == 0


def test_a_delivered_receipt_settles_an_uncertain_message_and_overrides_a_failure(
    settings, gateway, campaign_due_now
):
    campaign, _ = campaign_due_now(2)
    settings.DELIVERY_HTTP_TIMEOUT = 0.3
    settings.DELIVERY_MAX_ATTEMPTS = 1
    gateway.script.accept_then_hang = 1.0
    gateway.script.hang = 1.0
    messages_send(seconds=10)
    first, second = campaign_messages(campaign).order_by("pk")
    assert {first.status, second.status} == {MessageStatus.UNCERTAIN}
    OutboxMessage.objects.filter(pk=second.pk).update(status=MessageStatus.FAILED)

    outcome = receipts_record(
        channel="sms",
        receipts=[
            {"id": first.idempotency_key, "status": "delivered"},
            {"id": second.idempotency_key, "status": "delivered"},
        ],
    )

    assert sorted(outcome.updated) == sorted([first.idempotency_key, second.idempotency_key])
    for message in (first, second):
        message.refresh_from_db()
        assert message.status == MessageStatus.DELIVERED
        assert message.sent_at is not None and message.delivered_at is not None
        assert message.error == ""


@pytest.mark.parametrize(("arrived", "status", "posts"), [(True, "sent", 0), (False, "sent", 1)])
def test_an_operator_settles_what_no_one_else_can(
    gateway, campaign_due_now, admin_user, arrived, status, posts
):
    """A provider that cannot be asked: the operator checks with it and decides —
    "they arrived" records them sent; "send again" posts each once more."""
    campaign, _ = campaign_due_now(4)
    batch = claim(size=4)
    OutboxMessage.objects.filter(pk__in=[m.pk for m in batch]).update(
        handed_at=timezone.now(), lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    delivery_recover()

    assert messages_uncertain_settle(user=admin_user, channel="sms", arrived=arrived) == 4
    messages_send(seconds=10)

    assert statuses(campaign) == {status: 4}
    assert sum(gateway.posts.values()) == 4 * posts
    resolved = OutboxMessage.objects.get(pk=batch[0].pk).events.get(kind=MessageEventKind.RESOLVED)
    assert resolved.detail == {
        "by": admin_user.get_username(),
        "as": "sent" if arrived else "send again",
    }


def test_attempts_count_posts_not_claims_or_deferrals(gateway, campaign_due_now):
    campaign, _ = campaign_due_now(3)
    batch = claim(size=3)
    OutboxMessage.objects.filter(status=MessageStatus.SENDING).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    delivery_recover()  # the claim ended without a post: no attempt used
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {0}

    gateway.script.fail_next = 1
    messages_send(seconds=10)
    messages_send(seconds=10)

    assert statuses(campaign) == {MessageStatus.SENT: 3}
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {2}
    assert len(batch) == 3


@pytest.mark.django_db(transaction=True)
def test_an_unsubscribe_while_the_sender_waits_for_rate_slots_stops_that_message(
    settings, gateway, campaign_due_now
):
    """The re-check runs right before each post, not once per claim: a customer whose
    message waits behind the rate limit in the same claim receives nothing."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises the sender's and the unsubscribe's writes")
    settings.DELIVERY_CHANNELS["sms"].update(RATE=5, BATCH=5)
    campaign, _ = campaign_due_now(15)
    batch = claim(size=15)
    leavers = [message.customer for message in batch[10:]]

    def send() -> None:
        try:
            send_claimed(batch)
        finally:
            connection.close()

    sender = threading.Thread(target=send)
    sender.start()
    deadline = time.monotonic() + 10
    while len(gateway.received) < 5:
        assert time.monotonic() < deadline, "the first chunk never arrived"
        time.sleep(0.01)
    for customer in leavers:
        unsubscribe(customer=customer, channel="sms", source=UnsubscribeSource.LINK)
    sender.join(timeout=30)

    received = {message["to"] for message in gateway.received}
    assert not received & {customer.mobile for customer in leavers}
    stopped = OutboxMessage.objects.filter(customer__in=leavers)
    assert set(stopped.values_list("status", "reason")) == {
        (MessageStatus.SUPPRESSED, SuppressionReason.UNSUBSCRIBED)
    }
    assert statuses(campaign)[MessageStatus.SENT] == 10


@pytest.fixture
def one_a_day_and_quiet_nights():
    FrequencyCap.objects.all().delete()
    FrequencyCap.objects.create(channel="", max_messages=1, period_days=1)
    QuietHours.objects.update_or_create(
        channel="sms",
        defaults={"starts_at": dt.time(21, 0), "ends_at": dt.time(8, 0), "active": True},
    )


def _evening_campaign_deferred_past_midnight(department, staff, manager, day):
    """A campaign due at 20:00 whose messages a sender only reaches at 21:30: quiet hours
    hold them until 08:00 the next day."""
    campaign = due_campaign(
        department=department, author=staff, manager=manager, on=day, send_time=dt.time(20, 0)
    )
    touches_dispatch(on=day)
    late = dt.datetime.combine(day, dt.time(21, 30), tzinfo=local_zone())
    report = send_claimed(claim(size=100, now=late), now=late)
    return campaign, report


def test_a_deferral_past_midnight_counts_against_the_next_days_cap(
    department_a, staff_a, manager_a, one_a_day_and_quiet_nights
):
    consenting_customers(department_a, 50)
    evening, report = _evening_campaign_deferred_past_midnight(
        department_a, staff_a, manager_a, DUE_DAY
    )
    next_day = DUE_DAY + dt.timedelta(days=1)
    assert report.deferred == 50
    assert set(campaign_messages(evening).values_list("planned_on", flat=True)) == {next_day}

    morning = due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        on=next_day,
        care_kind="holiday",  # another kind: the cap, not the duplicate rule, decides
    )
    touches_dispatch(on=next_day)

    assert set(campaign_messages(morning).values_list("status", "reason")) == {
        (MessageStatus.SUPPRESSED, SuppressionReason.FREQUENCY_CAP)
    }


def test_a_deferral_onto_a_day_already_at_its_cap_is_suppressed_there(
    department_a, staff_a, manager_a, one_a_day_and_quiet_nights
):
    consenting_customers(department_a, 50)
    next_day = DUE_DAY + dt.timedelta(days=1)
    morning = due_campaign(department=department_a, author=staff_a, manager=manager_a, on=next_day)
    touches_dispatch(on=next_day)

    evening, report = _evening_campaign_deferred_past_midnight(
        department_a, staff_a, manager_a, DUE_DAY
    )

    assert (report.deferred, report.suppressed) == (0, 50)
    assert set(campaign_messages(evening).values_list("status", "reason")) == {
        (MessageStatus.SUPPRESSED, SuppressionReason.FREQUENCY_CAP)
    }
    assert set(campaign_messages(morning).values_list("status", flat=True)) == {
        MessageStatus.QUEUED
    }
