"""Campaigns' dispatch: the day's due touches of every approved campaign go to the
delivery engine, one ``messages_enqueue`` per (campaign occasion, channel), campaigns in
priority order (so birthdays and service follow-ups take cap slots before promotions).
The rules (consent, unsubscribes, caps, quiet hours, exactly once) are the engine's
(docs/delivery.md); here is only what a campaign decides: who is due, on which channel,
when, and as which kind of care."""

import datetime as dt
import logging

from django.utils import timezone

from campaigns.models import CampaignKind, CareCampaign, CouponBatch
from campaigns.selectors.audience import channel_audiences
from campaigns.selectors.due import Occurrence, due_campaigns, due_occurrences, local_zone
from campaigns.services.coupons import coupons_issue
from campaigns.sources import campaign_source
from delivery.models import DeliveryChannel, DispatchRun, FrequencyCap, QuietHours
from delivery.services.enqueue import DispatchResult, messages_enqueue

logger = logging.getLogger(__name__)


def send_time(campaign: CareCampaign, occurrence: Occurrence) -> dt.datetime:
    """When a touch may go: the campaign's send time on the due day (a one-off's own send
    time); delivery moves it out of quiet hours."""
    if campaign.kind == CampaignKind.ONE_OFF and campaign.send_at:
        return campaign.send_at
    return dt.datetime.combine(occurrence.on, campaign.send_time, tzinfo=local_zone())


def dispatch_batch(
    *,
    campaign: CareCampaign,
    occurrence: Occurrence,
    channel: str,
    customers,
    caps: list[FrequencyCap] | None = None,
    quiet: QuietHours | None = None,
    now: dt.datetime | None = None,
) -> DispatchResult:
    """The outbox rows of one campaign occasion on one channel."""
    return messages_enqueue(
        source=campaign_source(campaign),
        occasion=occurrence.occasion,
        due_on=occurrence.on,
        channel=channel,
        audience=customers,
        care_kind=campaign.care_kind,
        priority=campaign.priority,
        send_after=send_time(campaign, occurrence),
        caps=caps,
        quiet=quiet,
        now=now,
    )


def _coupon_batch(campaign: CareCampaign) -> CouponBatch | None:
    try:
        return campaign.coupon_batch
    except CouponBatch.DoesNotExist:
        return None


def touches_dispatch(*, on: dt.date, now: dt.datetime | None = None) -> DispatchResult:
    """Dispatch every online touch due on a local date, campaigns in priority order (so
    birthdays and service follow-ups take cap slots before promotions). Each campaign
    occasion and channel commits on its own; running again the same day writes nothing
    twice."""
    now = now or timezone.now()
    run = DispatchRun.objects.create(day=on, started_at=now)
    caps = list(FrequencyCap.objects.filter(active=True))
    quiet = {q.channel: q for q in QuietHours.objects.filter(active=True)}
    total = DispatchResult()
    try:
        for campaign in due_campaigns():
            batch = _coupon_batch(campaign)
            for occurrence, customers in due_occurrences(campaign, on):
                if batch is not None:
                    # The codes must exist before a message that quotes them is rendered;
                    # usually the 05:00 preparation issued them already (idempotent).
                    coupons_issue(batch=batch, occurrence=occurrence.occasion, customers=customers)
                for channel, channel_customers in channel_audiences(campaign, customers):
                    if channel not in DeliveryChannel.values:
                        continue
                    total.add(
                        dispatch_batch(
                            campaign=campaign,
                            occurrence=occurrence,
                            channel=channel,
                            customers=channel_customers,
                            caps=caps,
                            quiet=quiet.get(channel),
                            now=timezone.now(),
                        )
                    )
    except Exception as exc:
        DispatchRun.objects.filter(pk=run.pk).update(
            finished_at=timezone.now(),
            queued=total.queued,
            suppressed=total.suppressed_total,
            error=repr(exc)[:2000],
        )
        raise
    DispatchRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(), queued=total.queued, suppressed=total.suppressed_total
    )
    logger.info("dispatched %s: %s", on, total.as_dict())
    return total
