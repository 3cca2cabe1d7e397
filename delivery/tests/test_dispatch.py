"""Dispatch: each due touch becomes one outbox row, queued or suppressed with a reason;
caps, quiet hours, unsubscribes and duplicates decided in the database."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from campaigns.models import (
    FrequencyCap,
    MessageStatus,
    OutboxMessage,
    Priority,
    QuietHours,
    SuppressionReason,
    TouchChannel,
    Unsubscribe,
    UnsubscribeSource,
)
from campaigns.services.dispatch import touches_dispatch
from campaigns.sources import campaign_messages, campaign_source
from customers.models import ContactStatus
from customers.tests.factories import CustomerFactory
from delivery.services.sending import messages_send
from delivery.tests.senders import DUE_DAY, consent, consenting_customers, due_campaign

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _statuses(campaign):
    return {m.customer_id: (m.status, m.reason) for m in campaign_messages(campaign)}


def test_each_recipient_gets_one_row_and_rerunning_writes_nothing(department_a, staff_a, manager_a):
    customers = consenting_customers(department_a, 5)
    campaign = due_campaign(department=department_a, author=staff_a, manager=manager_a)

    first = touches_dispatch(on=DUE_DAY)
    second = touches_dispatch(on=DUE_DAY)

    assert first.queued == 5
    assert second.queued == 0 and second.suppressed_total == 0
    rows = campaign_messages(campaign)
    assert sorted(rows.values_list("customer_id", flat=True)) == sorted(c.pk for c in customers)
    message = rows.first()
    assert message.status == MessageStatus.QUEUED
    assert message.address == message.customer.mobile
    assert message.send_after == dt.datetime(2027, 5, 20, 10, 0, tzinfo=SHANGHAI)


def test_suppression_reasons(department_a, staff_a, manager_a):
    ok, refused_all, refused_kind, no_consent, unreachable, foreign = consenting_customers(
        department_a, 6
    )
    Unsubscribe.objects.create(customer=refused_all, source=UnsubscribeSource.LINK)
    campaign = due_campaign(department=department_a, author=staff_a, manager=manager_a)
    Unsubscribe.objects.create(
        customer=refused_kind, care_kind=campaign.care_kind, source=UnsubscribeSource.STAFF
    )
    consent(no_consent, TouchChannel.SMS, granted=False)
    unreachable.contact_status = ContactStatus.UNREACHABLE
    unreachable.save()
    foreign.mobile = "+85291234567"
    foreign.save()
    bare = CustomerFactory(department=department_a)  # never consented

    result = touches_dispatch(on=DUE_DAY)

    statuses = _statuses(campaign)
    assert statuses[ok.pk] == (MessageStatus.QUEUED, "")
    assert statuses[refused_all.pk] == (MessageStatus.SUPPRESSED, SuppressionReason.UNSUBSCRIBED)
    assert statuses[refused_kind.pk] == (
        MessageStatus.SUPPRESSED,
        SuppressionReason.UNSUBSCRIBED,
    )
    assert statuses[no_consent.pk] == (MessageStatus.SUPPRESSED, SuppressionReason.NO_CONSENT)
    assert statuses[bare.pk] == (MessageStatus.SUPPRESSED, SuppressionReason.NO_CONSENT)
    assert statuses[unreachable.pk][1] == SuppressionReason.INVALID_CONTACT
    assert statuses[foreign.pk][1] == SuppressionReason.INVALID_CONTACT
    assert result.queued == 1
    assert result.suppressed[SuppressionReason.NO_CONSENT] == 2


def test_daily_cap_lets_higher_priority_win_and_duplicates_are_suppressed(
    department_a, staff_a, manager_a
):
    FrequencyCap.objects.all().delete()
    FrequencyCap.objects.create(max_messages=1, period_days=1)
    (customer,) = consenting_customers(department_a, 1, TouchChannel.SMS, TouchChannel.EMAIL)
    promotion = due_campaign(
        department=department_a, author=staff_a, manager=manager_a, priority=Priority.LOW
    )
    touches_dispatch(on=DUE_DAY)
    assert _statuses(promotion)[customer.pk] == (MessageStatus.QUEUED, "")

    birthday = due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        priority=Priority.HIGH,
        channels=(TouchChannel.EMAIL,),
    )
    touches_dispatch(on=DUE_DAY)

    assert _statuses(birthday)[customer.pk] == (MessageStatus.QUEUED, "")
    assert _statuses(promotion)[customer.pk] == (
        MessageStatus.SUPPRESSED,
        SuppressionReason.DISPLACED,
    )


def test_caps_count_sent_messages_of_earlier_days(department_a, staff_a, manager_a):
    FrequencyCap.objects.all().delete()
    FrequencyCap.objects.create(max_messages=1, period_days=7, channel=TouchChannel.SMS)
    (customer,) = consenting_customers(department_a, 1)
    due_campaign(department=department_a, author=staff_a, manager=manager_a, on=DUE_DAY)
    later = due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        on=DUE_DAY + dt.timedelta(days=3),
    )
    touches_dispatch(on=DUE_DAY)
    touches_dispatch(on=DUE_DAY + dt.timedelta(days=3))
    assert _statuses(later)[customer.pk] == (
        MessageStatus.SUPPRESSED,
        SuppressionReason.FREQUENCY_CAP,
    )


def test_quiet_hours_defer_to_the_end_of_the_window(department_a, staff_a, manager_a):
    consenting_customers(department_a, 2)
    QuietHours.objects.filter(channel=TouchChannel.SMS).update(
        starts_at=dt.time(21), ends_at=dt.time(8)
    )
    campaign = due_campaign(
        department=department_a, author=staff_a, manager=manager_a, send_time=dt.time(22, 30)
    )
    result = touches_dispatch(on=DUE_DAY)
    assert result.deferred == 2
    message = campaign_messages(campaign).first()
    assert message.deferred
    assert message.send_after == dt.datetime(2027, 5, 21, 8, 0, tzinfo=SHANGHAI)
    assert message.planned_on == dt.date(2027, 5, 21)


def test_sending_to_the_file_backend_records_text_and_links(department_a, staff_a, manager_a):
    consenting_customers(department_a, 3, TouchChannel.SMS, TouchChannel.EMAIL)
    campaign = due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        channels=(TouchChannel.SMS, TouchChannel.EMAIL),
        send_time=dt.time(0, 0),
        on=dt.date.today(),
        channel_strategy="all",
    )
    FrequencyCap.objects.all().delete()
    QuietHours.objects.all().delete()
    touches_dispatch(on=dt.date.today())
    report = messages_send(seconds=10)
    assert report.sent == 6
    sms = OutboxMessage.objects.get(
        source=campaign_source(campaign),
        channel="sms",
        customer__isnull=False,
        pk=OutboxMessage.objects.filter(source=campaign_source(campaign), channel="sms").first().pk,
    )
    assert sms.status == MessageStatus.SENT
    assert "/s/" in sms.body and sms.links == ["https://shop.example.cn/event"]
    assert "/m/u/" in sms.body


def test_gateway_500s_are_retried_and_400s_fail_with_the_reason(
    department_a, staff_a, manager_a, settings
):
    from delivery.standin import GatewayStandIn

    good, refused = consenting_customers(department_a, 2)
    campaign = due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        send_time=dt.time(0, 0),
        on=dt.date.today(),
    )
    QuietHours.objects.all().delete()
    settings.DELIVERY_RETRY_BASE_SECONDS = 0
    with GatewayStandIn() as gateway:
        settings.DELIVERY_CHANNELS = {
            **settings.DELIVERY_CHANNELS,
            "sms": {"BACKEND": "http", "URL": gateway.url + "/sms", "TOKEN": gateway.token},
        }
        gateway.script.fail_next = 2
        gateway.script.reject = {refused.mobile}
        touches_dispatch(on=dt.date.today())
        report = messages_send(seconds=10)
    assert gateway.status_counts[500] == 2
    assert report.retried == 4 and report.sent == 1 and report.failed == 1
    assert gateway.deliveries_to() == {good.mobile: 1}
    failed = OutboxMessage.objects.get(source=campaign_source(campaign), customer=refused)
    assert failed.status == MessageStatus.FAILED
    assert failed.error_code == "isv.MOBILE_NUMBER_ILLEGAL"
    assert "refused by the carrier" in failed.error
    assert failed.attempts == 3


def test_a_campaign_approved_late_in_the_day_sends_its_coupon_codes(
    department_a, staff_a, manager_a
):
    """Dispatch issues the occasion's coupons itself, so a message rendered before the
    next 05:00 preparation still quotes a real code."""
    from campaigns.models import Coupon
    from campaigns.tests.factories import CouponBatchFactory

    (customer,) = consenting_customers(department_a, 1)
    campaign = due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        send_time=dt.time(0, 0),
        on=dt.date.today(),
    )
    CouponBatchFactory(campaign=campaign)
    campaign.contents.filter(channel="sms").update(
        body="【悦享生活】{name}，送您{coupon_value}券，券码{coupon_code}。回T退订"
    )
    QuietHours.objects.all().delete()
    touches_dispatch(on=dt.date.today())
    messages_send(seconds=10)
    coupon = Coupon.objects.get(customer=customer)
    message = OutboxMessage.objects.get(source=campaign_source(campaign), customer=customer)
    assert message.status == MessageStatus.SENT
    assert coupon.code in message.body


def test_senders_started_follow_the_due_queue(
    department_a, staff_a, manager_a, settings, monkeypatch
):
    from delivery.selectors import queue

    settings.DELIVERY_SENDERS = 3
    assert queue.senders_needed() == 0
    consenting_customers(department_a, 5)
    due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        send_time=dt.time(0, 0),
        on=dt.date.today(),
    )
    QuietHours.objects.all().delete()
    touches_dispatch(on=dt.date.today())
    assert queue.senders_needed() == 1
    monkeypatch.setattr(queue, "MESSAGES_PER_SENDER", 2)
    assert queue.senders_needed() == 3


def test_an_address_that_bounced_is_not_tried_again(department_a, staff_a, manager_a):
    bounced, fine = consenting_customers(department_a, 2, TouchChannel.EMAIL)
    first = due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        channels=(TouchChannel.EMAIL,),
    )
    touches_dispatch(on=DUE_DAY)
    OutboxMessage.objects.filter(source=campaign_source(first), customer=bounced).update(
        status=MessageStatus.BOUNCED
    )
    FrequencyCap.objects.all().delete()
    later = due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        channels=(TouchChannel.EMAIL,),
        on=DUE_DAY + dt.timedelta(days=10),
    )
    touches_dispatch(on=DUE_DAY + dt.timedelta(days=10))
    assert _statuses(later)[bounced.pk] == (
        MessageStatus.SUPPRESSED,
        SuppressionReason.INVALID_CONTACT,
    )
    assert _statuses(later)[fine.pk] == (MessageStatus.QUEUED, "")


def test_a_misconfigured_channel_retries_then_fails_with_the_reason(
    department_a, staff_a, manager_a, settings
):
    (customer,) = consenting_customers(department_a, 1)
    campaign = due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        send_time=dt.time(0, 0),
        on=dt.date.today(),
    )
    QuietHours.objects.all().delete()
    settings.DELIVERY_RETRY_BASE_SECONDS = 0
    settings.DELIVERY_MAX_ATTEMPTS = 2
    settings.DELIVERY_CHANNELS = {**settings.DELIVERY_CHANNELS, "sms": {"BACKEND": "http"}}
    touches_dispatch(on=dt.date.today())
    report = messages_send(seconds=10)
    message = OutboxMessage.objects.get(source=campaign_source(campaign), customer=customer)
    assert (report.retried, report.failed) == (1, 1)
    assert message.status == MessageStatus.FAILED
    assert message.error_code == "configuration"
    assert "DELIVERY_SMS_URL must be an http(s) URL" in message.error


def test_operators_dispatch_and_send_from_the_shell(department_a, staff_a, manager_a):
    import io

    from django.core.management import CommandError, call_command

    consenting_customers(department_a, 2)
    campaign = due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        send_time=dt.time(0, 0),
        on=dt.date.today(),
    )
    QuietHours.objects.all().delete()
    out = io.StringIO()
    call_command("deliver", day=dt.date.today().isoformat(), seconds=10, stdout=out)
    assert "2 queued" in out.getvalue()
    assert "Sent 2," in out.getvalue()
    assert set(campaign_messages(campaign).values_list("status", flat=True)) == {MessageStatus.SENT}
    with pytest.raises(CommandError, match="--day must be YYYY-MM-DD"):
        call_command("deliver", day="20-5-2027", stdout=io.StringIO())


def test_a_due_message_claimed_inside_quiet_hours_waits_for_their_end(
    department_a, staff_a, manager_a
):
    from django.utils import timezone

    consenting_customers(department_a, 3)
    campaign = due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        send_time=dt.time(0, 0),
        on=dt.date.today(),
    )
    QuietHours.objects.all().delete()
    touches_dispatch(on=dt.date.today())
    local_now = timezone.localtime(timezone.now(), SHANGHAI)
    QuietHours.objects.create(
        channel=TouchChannel.SMS,
        starts_at=(local_now - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0),
        ends_at=(local_now + dt.timedelta(hours=1)).time().replace(second=0, microsecond=0),
    )
    report = messages_send(seconds=10)
    assert (report.sent, report.deferred) == (0, 3)
    for message in campaign_messages(campaign):
        assert message.status == MessageStatus.QUEUED and message.deferred
        waited = message.send_after - timezone.now()
        assert dt.timedelta(minutes=55) < waited <= dt.timedelta(hours=1)


def test_a_rerun_with_nothing_new_writes_nothing_and_takes_no_lock(
    department_a, staff_a, manager_a
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    consenting_customers(department_a, 20)
    due_campaign(department=department_a, author=staff_a, manager=manager_a)
    first = touches_dispatch(on=DUE_DAY)

    with CaptureQueriesContext(connection) as queries:
        again = touches_dispatch(on=DUE_DAY)

    assert first.queued == 20
    assert (again.queued, again.suppressed_total) == (0, 0)
    outbox, lock = OutboxMessage._meta.db_table, "dispatchlock"
    written = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
        and (outbox in q["sql"] or lock in q["sql"])
    ]
    assert written == []


def test_a_customer_who_joins_after_the_first_dispatch_gets_the_touch_on_the_next_run(
    department_a, staff_a, manager_a
):
    consenting_customers(department_a, 5)
    campaign = due_campaign(department=department_a, author=staff_a, manager=manager_a)
    touches_dispatch(on=DUE_DAY)
    (newcomer,) = consenting_customers(department_a, 1)

    again = touches_dispatch(on=DUE_DAY)

    assert again.queued == 1
    assert (
        OutboxMessage.objects.get(source=campaign_source(campaign), customer=newcomer).status
        == "queued"
    )
    assert campaign_messages(campaign).count() == 6
