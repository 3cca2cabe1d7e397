"""How a claim of several gateway batches is sent and recorded: each answer of a batch
stored with its own outcome in one write per row, a connection lost after some batches
went out leaves those messages uncertain (never re-posted) and the rest retried, and
the claim's lease is kept alive without rewriting every waiting row at every batch."""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from campaigns.models import (
    FrequencyCap,
    MessageEventKind,
    MessageStatus,
    OutboxMessage,
    QuietHours,
)
from campaigns.services.dispatch import touches_dispatch
from delivery.services.sending import SendReport, _hand_over, claim, messages_send, send_claimed
from delivery.standin import GatewayStandIn
from delivery.tests.senders import consenting_customers, due_campaign

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def _gateway_settings(settings, standin: GatewayStandIn, *, batch: int = 10) -> None:
    settings.DELIVERY_CHANNELS = {
        **settings.DELIVERY_CHANNELS,
        "sms": {
            "BACKEND": "http",
            "URL": standin.url + "/sms",
            "TOKEN": standin.token,
            "RATE": 0,
            "BATCH": batch,
        },
    }
    settings.DELIVERY_RETRY_BASE_SECONDS = 60


@pytest.fixture
def gateway(settings):
    with GatewayStandIn(dedupe=False) as standin:
        _gateway_settings(settings, standin)
        yield standin


@pytest.fixture
def queued(department_a, staff_a, manager_a):
    FrequencyCap.objects.all().delete()
    QuietHours.objects.all().delete()

    def make(count: int):
        customers = consenting_customers(department_a, count)
        due_campaign(
            department=department_a,
            author=staff_a,
            manager=manager_a,
            on=TODAY,
            send_time=dt.time(0, 0),
        )
        touches_dispatch(on=TODAY)
        return customers

    return make


def test_a_claim_of_three_batches_records_each_outcome_of_each_batch(gateway, queued):
    """One batch refused with HTTP 503 (retried later), one in which the carrier refuses
    two recipients (failed, with its code) and accepts the rest, one accepted whole."""
    customers = queued(30)
    rejected = {customers[12].mobile, customers[15].mobile}
    gateway.script.reject = rejected
    gateway.script.fail_next = 1
    gateway.script.fail_status = 503

    batch = claim(size=30)
    report = send_claimed(batch)

    assert (report.sent, report.retried, report.failed, report.uncertain) == (18, 10, 2, 0)
    rows = {m.pk: m for m in OutboxMessage.objects.filter(pk__in=[m.pk for m in batch])}
    first, rest = batch[:10], batch[10:]
    for message in first:
        row = rows[message.pk]
        assert row.status == MessageStatus.QUEUED and row.attempts == 1
        assert row.send_after > timezone.now() and row.error_code == "503"
        assert (row.claim, row.lease_until, row.handed_at, row.sent_at) == (None, None, None, None)
    for message in rest:
        row = rows[message.pk]
        assert (row.claim, row.lease_until, row.handed_at) == (None, None, None)
        assert "/m/u/" in row.body, "the rendered text is stored with the answer"
        if row.address in rejected:
            assert row.status == MessageStatus.FAILED and row.failed_at and not row.sent_at
            assert row.error_code == "isv.MOBILE_NUMBER_ILLEGAL"
        else:
            assert row.status == MessageStatus.SENT and row.sent_at and not row.failed_at
            assert row.provider_id == f"gw-carecrm-{row.pk}" and row.error == ""
    kinds = Counter(
        OutboxMessage.objects.filter(pk__in=rows).values_list("events__kind", flat=True)
    )
    assert kinds[MessageEventKind.RETRY] == 10 and kinds[MessageEventKind.FAILED] == 2

    messages_send(seconds=10)  # the retried batch is not due yet
    assert gateway.posts == Counter({f"carecrm-{m.pk}": 1 for m in rest if rows[m.pk].sent_at})


def test_answers_lost_after_some_batches_went_out_are_uncertain_and_never_posted_again(
    settings, queued
):
    """The gateway takes some posts and hangs up too late to answer (the connection is
    lost after the request left): those messages are uncertain, keep when they were
    handed over and are never posted again; the batches that got through are sent; the
    status lookup settles the uncertain ones without a second post."""
    customers = queued(40)
    settings.DELIVERY_HTTP_TIMEOUT = 0.3
    with GatewayStandIn(dedupe=False) as gateway:
        _gateway_settings(settings, gateway)
        gateway.script.accept_then_hang = 0.5
        gateway.script.hang = 1.0

        report = send_claimed(claim(size=40))

        assert report.sent and report.uncertain, "the seeded faults hit some batches only"
        assert report.sent + report.uncertain == 40
        lost = OutboxMessage.objects.filter(status=MessageStatus.UNCERTAIN)
        assert set(lost.values_list("error_code", flat=True)) == {"answer-lost"}
        assert not lost.filter(handed_at__isnull=True).exists()
        assert set(lost.values_list("attempts", flat=True)) == {1}

        gateway.script.accept_then_hang = 0
        messages_send(seconds=10)
        assert OutboxMessage.objects.filter(status=MessageStatus.UNCERTAIN).count() == len(lost)

        settings.DELIVERY_LOOKUP_GRACE_SECONDS = 0
        messages_send(seconds=10)

        assert Counter(OutboxMessage.objects.values_list("status", flat=True)) == {
            MessageStatus.SENT: 40
        }
        assert gateway.duplicates() == 0
        assert gateway.deliveries_to() == {c.mobile: 1 for c in customers}


def test_a_gateway_that_cannot_be_reached_leaves_the_whole_claim_to_retry(settings, queued):
    queued(25)
    with GatewayStandIn() as gone:
        _gateway_settings(settings, gone)
    # Stopped: nothing listens on its port any more.

    report = send_claimed(claim(size=25))

    assert (report.retried, report.sent, report.uncertain) == (25, 0, 0)
    assert set(OutboxMessage.objects.values_list("status", "error_code", "attempts")) == {
        (MessageStatus.QUEUED, "connection", 1)
    }


def test_the_waiting_rest_of_a_claim_has_its_lease_renewed_only_once_half_has_gone(
    settings, gateway, queued
):
    queued(30)
    settings.DELIVERY_LEASE_SECONDS = 300
    batch = claim(size=30)
    claimed_until = OutboxMessage.objects.get(pk=batch[-1].pk).lease_until

    _hand_over(batch[:10], batch[0].claim, SendReport(), batch)
    assert set(
        OutboxMessage.objects.filter(pk__in=[m.pk for m in batch[10:]]).values_list(
            "lease_until", flat=True
        )
    ) == {claimed_until}, "a fresh lease is not rewritten at each batch"

    soon = timezone.now() + dt.timedelta(seconds=20)
    OutboxMessage.objects.filter(pk__in=[m.pk for m in batch[10:]]).update(lease_until=soon)
    for message in batch[10:]:
        message.lease_until = soon
    _hand_over(batch[10:20], batch[0].claim, SendReport(), batch)

    waiting = OutboxMessage.objects.get(pk=batch[25].pk)
    assert waiting.handed_at is None
    assert waiting.lease_until > timezone.now() + dt.timedelta(seconds=200)
    handed = OutboxMessage.objects.filter(pk__in=[m.pk for m in batch[:20]])
    assert not handed.filter(handed_at__isnull=True).exists()
    assert set(handed.values_list("attempts", flat=True)) == {1}
