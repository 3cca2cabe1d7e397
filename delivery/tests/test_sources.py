"""A sender that is not a campaign — a service notice — goes through the same engine:
``messages_enqueue`` writes its rows under the same rules (unsubscribes, consent, quiet
hours; caps only for care touches), its registered renderer writes the text at claim
time, and pausing, resuming or cancelling a source never loses or resends a message."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from customers.models import Channel
from delivery.models import (
    CareKind,
    FrequencyCap,
    MessageClass,
    MessageEventKind,
    MessageSource,
    MessageStatus,
    OutboxMessage,
    Priority,
    QuietHours,
    SourceState,
    SuppressionReason,
    UnsubscribeSource,
)
from delivery.registry import Rendered, SourceKind, register_source_kind, source_kinds
from delivery.selectors.messages import source_metrics
from delivery.services.enqueue import messages_enqueue
from delivery.services.preferences import unsubscribe
from delivery.services.sending import claim, messages_send, send_claimed
from delivery.services.sources import source_cancel, source_for, source_pause, source_resume
from delivery.tests.senders import consenting_customers

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOTICE = "service_notice"
PROMOTION = "shop_promotion"
DAY = dt.date(2027, 6, 2)
NOON = dt.datetime(2027, 6, 2, 12, 0, tzinfo=SHANGHAI)


def render_notice(source: MessageSource, messages: list[OutboxMessage]) -> dict:
    return {
        message.pk: Rendered(
            subject="维修进度",
            body=f"【悦享生活】{message.customer.name}您好，{source.label}已处理完毕。回T退订",
        )
        for message in messages
    }


@pytest.fixture(autouse=True)
def _notice_kind():
    yield from _kinds()


def _kinds():
    register_source_kind(
        SourceKind(
            key=NOTICE,
            label="Service notice",
            render=render_notice,
            message_class=MessageClass.SERVICE,
        )
    )
    register_source_kind(SourceKind(key=PROMOTION, label="Promotion", render=render_notice))
    yield
    source_kinds.pop(NOTICE, None)
    source_kinds.pop(PROMOTION, None)


@pytest.fixture
def notice(department_a):
    return source_for(kind=NOTICE, object_id=7, label="维修单 R-7", department=department_a)


@pytest.fixture
def no_rules():
    FrequencyCap.objects.all().delete()
    QuietHours.objects.all().delete()


def enqueue(source, customers, *, at=NOON, occasion=DAY):
    return messages_enqueue(
        source=source,
        occasion=occasion,
        channel=Channel.SMS,
        audience=customers,
        care_kind=CareKind.SERVICE,
        priority=Priority.HIGH,
        send_after=at,
    )


def customers_qs(customers):
    from customers.models import Customer

    return Customer.objects.filter(pk__in=[c.pk for c in customers])


def test_a_source_kind_must_be_registered(department_a):
    with pytest.raises(LookupError):
        source_for(kind="carrier_pigeon", object_id=1, label="?")


def test_a_service_notice_is_suppressed_for_a_customer_unsubscribed_from_everything(
    department_a, notice, no_rules
):
    fine, gone, no_promotions = consenting_customers(department_a, 3)
    unsubscribe(customer=gone, source=UnsubscribeSource.STAFF, note="电话要求")
    # refusing one kind of care does not refuse a service the customer asked for
    unsubscribe(customer=no_promotions, care_kind=CareKind.SERVICE, source=UnsubscribeSource.STAFF)

    result = enqueue(notice, customers_qs([fine, gone, no_promotions]))

    assert result.queued == 2
    rows = {m.customer_id: m for m in OutboxMessage.objects.filter(source=notice)}
    assert rows[gone.pk].status == MessageStatus.SUPPRESSED
    assert rows[gone.pk].reason == SuppressionReason.UNSUBSCRIBED
    assert rows[fine.pk].status == rows[no_promotions.pk].status == MessageStatus.QUEUED
    assert rows[fine.pk].message_class == MessageClass.SERVICE
    # enqueuing again writes nothing twice
    assert enqueue(notice, customers_qs([fine, gone, no_promotions])).queued == 0
    assert OutboxMessage.objects.filter(source=notice).count() == 3


def test_a_service_notice_is_held_by_quiet_hours(department_a, notice):
    FrequencyCap.objects.all().delete()
    QuietHours.objects.update_or_create(
        channel=Channel.SMS,
        defaults={"starts_at": dt.time(21, 0), "ends_at": dt.time(8, 0), "active": True},
    )
    (customer,) = consenting_customers(department_a, 1)

    late = dt.datetime(2027, 6, 2, 22, 30, tzinfo=SHANGHAI)
    result = enqueue(notice, customers_qs([customer]), at=late)

    assert result.deferred == 1
    message = OutboxMessage.objects.get(source=notice)
    assert message.deferred
    assert timezone.localtime(message.send_after, SHANGHAI) == dt.datetime(
        2027, 6, 3, 8, 0, tzinfo=SHANGHAI
    )
    assert message.planned_on == dt.date(2027, 6, 3)


def test_service_messages_are_exempt_from_caps_and_care_touches_are_not(
    department_a, notice, no_rules
):
    FrequencyCap.objects.create(max_messages=1, period_days=1)
    (customer,) = consenting_customers(department_a, 1)
    promotion = source_for(kind=PROMOTION, object_id=8, label="六月促销", department=department_a)
    enqueue(promotion, customers_qs([customer]))
    assert OutboxMessage.objects.get(source=promotion).status == MessageStatus.QUEUED

    enqueue(notice, customers_qs([customer]))
    second_care = source_for(kind=PROMOTION, object_id=9, label="会员日", department=department_a)
    messages_enqueue(
        source=second_care,
        occasion=DAY,
        channel=Channel.SMS,
        audience=customers_qs([customer]),
        care_kind=CareKind.PROMOTION,
        priority=Priority.LOW,
        send_after=NOON,
    )

    assert OutboxMessage.objects.get(source=notice).status == MessageStatus.QUEUED
    capped = OutboxMessage.objects.get(source=second_care)
    assert (capped.status, capped.reason) == (
        MessageStatus.SUPPRESSED,
        SuppressionReason.FREQUENCY_CAP,
    )
    # the service message did not use the customer's one care slot of the day, and the
    # figures show the two classes apart
    figures = {name: f for name, _label, f in source_metrics(notice).by_class}
    assert figures[MessageClass.SERVICE].queued == 1
    assert MessageClass.CARE not in figures


def test_a_service_notice_is_rendered_by_its_app_sent_and_shown_to_staff(
    department_a, notice, no_rules, manager_a_client, settings
):
    (customer,) = consenting_customers(department_a, 1)
    enqueue(notice, customers_qs([customer]), at=timezone.now() - dt.timedelta(minutes=1))

    report = messages_send(seconds=10)

    assert report.sent == 1
    message = OutboxMessage.objects.get(source=notice)
    assert message.status == MessageStatus.SENT
    assert "维修单 R-7已处理完毕" in message.body and "/m/u/" in message.body
    page = manager_a_client.get(f"/delivery/messages/{message.pk}/").content.decode()
    assert "维修单 R-7" in page
    timeline = manager_a_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "维修单 R-7" in timeline


def test_pause_holds_resume_releases_and_cancel_suppresses_without_resending(
    department_a, notice, no_rules
):
    customers = consenting_customers(department_a, 3)
    past = timezone.now() - dt.timedelta(minutes=1)
    enqueue(notice, customers_qs(customers[:1]), at=past)
    assert messages_send(seconds=10).sent == 1
    first = OutboxMessage.objects.get(source=notice)
    enqueue(notice, customers_qs(customers[1:]), at=past, occasion=DAY + dt.timedelta(days=1))

    source_pause(source=notice)
    assert claim() == []
    assert MessageSource.objects.get(pk=notice.pk).state == SourceState.PAUSED

    source_resume(source=notice)
    claimed = claim()
    assert {m.pk for m in claimed} == set(
        OutboxMessage.objects.filter(source=notice)
        .exclude(pk=first.pk)
        .values_list("pk", flat=True)
    )
    # paused while claimed, before the hand-over: back to the queue, not posted
    source_pause(source=notice)
    report = send_claimed(claimed)
    assert report.sent == 0 and report.requeued == 2
    assert OutboxMessage.objects.filter(source=notice, status=MessageStatus.QUEUED).count() == 2

    stopped = source_cancel(source=notice)

    assert stopped == 2
    statuses = dict(OutboxMessage.objects.filter(source=notice).values_list("pk", "status"))
    assert statuses.pop(first.pk) == MessageStatus.SENT  # the provider has it: stays sent
    assert set(statuses.values()) == {MessageStatus.SUPPRESSED}
    assert set(
        OutboxMessage.objects.filter(source=notice, status=MessageStatus.SUPPRESSED).values_list(
            "reason", flat=True
        )
    ) == {SuppressionReason.SOURCE_STOPPED}
    assert (
        OutboxMessage.objects.filter(
            source=notice, events__kind=MessageEventKind.SUPPRESSED
        ).count()
        == 2
    )
    source_resume(source=notice)  # a cancelled source stays cancelled
    assert MessageSource.objects.get(pk=notice.pk).state == SourceState.CANCELLED
