"""Delivery figures computed on a hand-built outbox: every number below is counted by
hand from the rows the test writes."""

import datetime as dt
from decimal import Decimal

import pytest

from campaigns.models import Coupon, DeliveryChannel, DispatchRun, MessageStatus, SuppressionReason
from campaigns.selectors.delivery import campaign_metrics
from campaigns.tests.factories import CampaignFactory, CouponBatchFactory
from customers.tests.factories import CustomerFactory, OrderFactory
from delivery.selectors.messages import queue_overview
from delivery.tests.outbox import SHANGHAI, T0, message

pytestmark = pytest.mark.django_db
SMS, EMAIL = DeliveryChannel.SMS, DeliveryChannel.EMAIL
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@pytest.fixture
def outbox(department_a, settings):
    """8 customers, 6 SMS and 4 emails of one campaign, orders in and out of the window,
    a redeemed coupon, and noise from another campaign that must not count."""
    settings.DELIVERY_CONVERSION_DAYS = 7
    campaign = CampaignFactory(department=department_a, name="端午关怀")
    other = CampaignFactory(department=department_a, name="别的活动")
    c = {n: CustomerFactory(department=department_a) for n in range(1, 9)}

    message(
        campaign,
        c[1],
        SMS,
        status=MessageStatus.DELIVERED,
        sent_at=T0,
        delivered_at=T0 + dt.timedelta(minutes=1),
        clicked_at=T0 + HOUR,
        replied_at=dt.datetime(2027, 5, 21, 9, 0, tzinfo=SHANGHAI),
    )
    message(campaign, c[2], SMS, status=MessageStatus.SENT, sent_at=T0)
    message(campaign, c[3], SMS, status=MessageStatus.FAILED, failed_at=T0, error_code="400")
    message(
        campaign,
        c[4],
        SMS,
        status=MessageStatus.SUPPRESSED,
        reason=SuppressionReason.UNSUBSCRIBED,
    )
    message(
        campaign, c[5], SMS, status=MessageStatus.SUPPRESSED, reason=SuppressionReason.NO_CONSENT
    )
    message(campaign, c[6], SMS, status=MessageStatus.QUEUED)
    message(
        campaign,
        c[1],
        EMAIL,
        status=MessageStatus.DELIVERED,
        sent_at=T0,
        delivered_at=T0 + dt.timedelta(minutes=2),
        opened_at=T0 + 3 * HOUR,
        clicked_at=T0 + 3 * HOUR,
        unsubscribed_at=T0 + DAY,
    )
    message(campaign, c[2], EMAIL, status=MessageStatus.BOUNCED, sent_at=T0)
    # opened 00:30 local on the 21st: still the 20th in UTC
    message(
        campaign,
        c[7],
        EMAIL,
        status=MessageStatus.SENT,
        sent_at=T0 + HOUR,
        opened_at=dt.datetime(2027, 5, 21, 0, 30, tzinfo=SHANGHAI),
    )
    message(
        campaign,
        c[8],
        EMAIL,
        status=MessageStatus.SUPPRESSED,
        reason=SuppressionReason.FREQUENCY_CAP,
    )
    # another campaign's touch of c2 a week later must not make c2's late order count
    message(other, c[2], SMS, status=MessageStatus.SENT, sent_at=T0 + 7 * DAY)

    OrderFactory(customer=c[1], ordered_at=T0 + 2 * DAY, amount=Decimal("199.00"))
    OrderFactory(customer=c[1], ordered_at=T0 + 5 * DAY, amount=Decimal("100.50"))
    OrderFactory(customer=c[2], ordered_at=T0 + 8 * DAY, amount=Decimal("88.00"))  # too late
    OrderFactory(customer=c[2], ordered_at=T0 + DAY, amount=Decimal("-30.00"))  # a refund
    OrderFactory(customer=c[7], ordered_at=T0, amount=Decimal("66.00"))  # before the message
    OrderFactory(
        customer=c[7], ordered_at=T0 + HOUR + 7 * DAY - HOUR, amount=Decimal("50.00")
    )  # inside
    OrderFactory(customer=c[3], ordered_at=T0 + DAY, amount=Decimal("20.00"))  # never sent
    OrderFactory(customer=c[6], ordered_at=T0 + DAY, amount=Decimal("20.00"))  # still queued

    batch = CouponBatchFactory(campaign=campaign)
    other_batch = CouponBatchFactory(campaign=other)
    for n, (customer, redeemed) in enumerate(((c[1], True), (c[2], False), (c[7], False))):
        Coupon.objects.create(
            batch=batch,
            customer=customer,
            occurrence=T0.date(),
            code=f"CODE{n}",
            issued_at=T0,
            expires_on=T0.date() + 30 * DAY,
            redeemed_at=T0 + DAY if redeemed else None,
        )
    Coupon.objects.create(
        batch=other_batch,
        customer=c[2],
        occurrence=T0.date(),
        code="OTHER",
        issued_at=T0,
        expires_on=T0.date() + 30 * DAY,
        redeemed_at=T0 + DAY,
    )
    return campaign


def test_totals_and_rates(outbox):
    total = campaign_metrics(outbox).total

    assert (total.audience, total.queued, total.sending) == (8, 1, 0)
    assert (total.sent, total.delivered, total.failed, total.bounced) == (5, 2, 1, 1)
    assert total.suppressed == 3
    assert (total.opened, total.clicked, total.replied, total.unsubscribed) == (2, 2, 1, 1)
    assert total.delivery_rate == pytest.approx(2 / 5)
    assert total.open_rate == pytest.approx(2 / 3)  # emails opened / emails sent
    assert total.click_rate == pytest.approx(2 / 5)
    assert total.reply_rate == pytest.approx(1 / 2)  # SMS replied / SMS sent
    assert total.unsubscribe_rate == pytest.approx(1 / 5)


def test_per_channel_breakdown(outbox):
    by_channel = {
        channel: figures for channel, _label, figures in campaign_metrics(outbox).by_channel
    }

    sms, email = by_channel[SMS], by_channel[EMAIL]
    assert (sms.audience, sms.sent, sms.delivered, sms.failed, sms.suppressed) == (6, 2, 1, 1, 2)
    assert (sms.queued, sms.clicked, sms.replied, sms.opened) == (1, 1, 1, 0)
    assert sms.open_rate is None
    assert (email.audience, email.sent, email.delivered, email.bounced) == (4, 3, 1, 1)
    assert (email.opened, email.clicked, email.unsubscribed, email.suppressed) == (2, 1, 1, 1)
    assert email.reply_rate is None


def test_suppressed_by_reason(outbox):
    reasons = {reason: n for reason, _label, n in campaign_metrics(outbox).suppressed_by_reason}

    assert reasons == {"unsubscribed": 1, "no_consent": 1, "frequency_cap": 1}


def test_coupon_redemptions_count_only_this_campaigns_coupons(outbox):
    metrics = campaign_metrics(outbox)

    assert (metrics.coupons_issued, metrics.coupons_redeemed) == (3, 1)
    assert metrics.redemption_rate == pytest.approx(1 / 3)


def test_conversions_are_orders_within_the_window_after_a_sent_message(outbox):
    conversions = campaign_metrics(outbox).conversions

    assert conversions.days == 7
    assert (conversions.customers, conversions.orders) == (2, 3)  # c1 twice, c7 once
    assert conversions.revenue == Decimal("349.50")
    assert conversions.rate == pytest.approx(2 / 3)  # of the 3 customers reached


def test_daily_series_counts_per_local_day(outbox):
    series = campaign_metrics(outbox).series

    assert series == {
        "days": ["2027-05-20", "2027-05-21"],
        "sent": [5, 0],
        "delivered": [2, 0],
        "opened": [1, 1],
        "clicked": [2, 0],
    }


def test_metrics_cost_a_fixed_number_of_queries(outbox, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        campaign_metrics(outbox)


def test_a_campaign_without_messages_has_empty_figures(department_a):
    metrics = campaign_metrics(CampaignFactory(department=department_a))

    assert not metrics.has_messages
    assert metrics.total.open_rate is None
    assert metrics.conversions.customers == 0 and metrics.conversions.revenue == Decimal("0")
    assert metrics.series["days"] == []


def test_queue_overview(department_a):
    now = T0
    campaign = CampaignFactory(department=department_a)
    customers = CustomerFactory.create_batch(10, department=department_a)
    it = iter(customers)
    message(campaign, next(it), SMS, send_after=now - HOUR)  # due now
    message(campaign, next(it), SMS, send_after=now + HOUR)  # later
    message(campaign, next(it), SMS, send_after=now + HOUR, deferred=True)  # quiet hours
    message(campaign, next(it), EMAIL, send_after=now + HOUR, attempts=2)  # waiting to retry
    message(
        campaign,
        next(it),
        EMAIL,
        status=MessageStatus.SENDING,
        lease_until=now - dt.timedelta(minutes=1),
    )  # stuck
    message(
        campaign, next(it), SMS, status=MessageStatus.SENT, sent_at=now - dt.timedelta(minutes=2)
    )
    message(
        campaign, next(it), SMS, status=MessageStatus.SENT, sent_at=now - dt.timedelta(minutes=30)
    )
    for customer, code in (
        (next(it), "isv.MOBILE_NUMBER_ILLEGAL"),
        (next(it), "isv.MOBILE_NUMBER_ILLEGAL"),
    ):
        message(
            campaign,
            customer,
            SMS,
            status=MessageStatus.FAILED,
            failed_at=now - HOUR,
            error_code=code,
            error="invalid number",
        )
    message(
        campaign,
        next(it),
        SMS,
        status=MessageStatus.FAILED,
        failed_at=now - 2 * DAY,
        error_code="old",
        error="long ago",
    )
    DispatchRun.objects.create(day=now.date(), started_at=now, queued=5, suppressed=1)

    overview = queue_overview(now=now)

    depth = {row["channel"]: row for row in overview.depth}
    assert (depth[SMS]["due"], depth[SMS]["later"], depth[SMS]["quiet"]) == (1, 1, 1)
    assert (depth[EMAIL]["later"], depth[EMAIL]["retrying"], depth[EMAIL]["sending"]) == (0, 1, 1)
    assert overview.depth_total == {
        "due": 1,
        "later": 1,
        "quiet": 1,
        "retrying": 1,
        "sending": 1,
    }
    assert (overview.sent_last_5, overview.sent_last_60) == (1, 2)
    assert overview.rate_5 == pytest.approx(0.2) and overview.rate_60 == pytest.approx(2 / 60)
    assert [(row["error_code"], row["n"]) for row in overview.failures] == [
        ("isv.MOBILE_NUMBER_ILLEGAL", 2)
    ]
    assert overview.failed_codes == [("isv.MOBILE_NUMBER_ILLEGAL", 2), ("old", 1)]
    assert overview.stuck == 1
    assert [run.queued for run in overview.runs] == [5]
