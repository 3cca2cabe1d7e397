"""Two dispatchers at once never exceed a frequency cap: each runs in its own thread with
its own PostgreSQL connection and transaction, both released by one barrier, writing
two different campaigns for the same customers."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections, transaction

from campaigns.models import (
    CareKind,
    DispatchLock,
    FrequencyCap,
    MessageStatus,
    OutboxMessage,
    Priority,
    QuietHours,
    SuppressionReason,
)
from campaigns.selectors.audience import channel_audiences
from campaigns.selectors.due import due_campaigns, due_occurrences
from campaigns.services.dispatch import dispatch_batch
from campaigns.sources import campaign_source
from delivery.tests.senders import DUE_DAY, consenting_customers, due_campaign

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CUSTOMERS = 200


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time: concurrent dispatch needs PostgreSQL")


def dispatch_campaign(campaign_id: int) -> int:
    """What ``touches_dispatch`` does for one campaign: one transaction per occasion and
    channel. Returns the number queued."""
    campaign = due_campaigns().get(pk=campaign_id)
    caps = list(FrequencyCap.objects.filter(active=True))
    queued = 0
    for occurrence, customers in due_occurrences(campaign, DUE_DAY):
        for channel, channel_customers in channel_audiences(campaign, customers):
            with transaction.atomic():
                queued += dispatch_batch(
                    campaign=campaign,
                    occurrence=occurrence,
                    channel=channel,
                    customers=channel_customers,
                    caps=caps,
                    quiet=None,
                ).queued
    return queued


def test_two_dispatchers_at_once_never_exceed_a_cap(department_a, staff_a, manager_a):
    FrequencyCap.objects.all().delete()
    FrequencyCap.objects.create(max_messages=1, period_days=1)
    QuietHours.objects.all().delete()
    DispatchLock.objects.get_or_create(name="dispatch")  # as migration 0004 leaves it
    customers = consenting_customers(department_a, CUSTOMERS)
    campaigns = [
        due_campaign(
            department=department_a,
            author=staff_a,
            manager=manager_a,
            care_kind=care_kind,
            priority=Priority.NORMAL,
        )
        for care_kind in (CareKind.EVENT, CareKind.PROMOTION)
    ]
    barrier = threading.Barrier(len(campaigns))
    queued: dict[int, int] = {}
    errors: list[BaseException] = []

    def dispatcher(campaign_id: int) -> None:
        try:
            due_campaigns().get(pk=campaign_id)  # connect before the race starts
            barrier.wait(timeout=30)
            queued[campaign_id] = dispatch_campaign(campaign_id)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dispatcher, args=(c.pk,)) for c in campaigns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    assert sum(queued.values()) == CUSTOMERS
    rows = OutboxMessage.objects.filter(source__in=[campaign_source(c) for c in campaigns])
    assert rows.count() == 2 * CUSTOMERS
    per_customer = Counter(
        rows.filter(status=MessageStatus.QUEUED).values_list("customer_id", flat=True)
    )
    assert per_customer == Counter({customer.pk: 1 for customer in customers})
    assert set(rows.exclude(status=MessageStatus.QUEUED).values_list("status", "reason")) == {
        (MessageStatus.SUPPRESSED, SuppressionReason.FREQUENCY_CAP)
    }
