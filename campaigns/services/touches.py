"""Preparing a day's touches: what must exist before anything is sent — each recipient's
coupon and, for phone calls and visits, a care task for the relationship manager. Run
daily (and safe to run again: coupons and tasks are unique per occurrence and customer).
Sending is the delivery step's job; it reads ``campaigns.selectors.due.due_touches``."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from campaigns.models import OFFLINE_CHANNELS, CareCampaign, CareTask, CouponBatch
from campaigns.selectors.audience import channel_audiences
from campaigns.selectors.due import Occurrence, due_campaigns, due_occurrences
from campaigns.selectors.personalise import message_values, render_for
from campaigns.services.coupons import coupons_issue

TASK_CHUNK = 1000


@dataclass
class PreparedDay:
    campaigns: int = 0
    coupons: int = 0
    tasks: int = 0


def _batch(campaign: CareCampaign) -> CouponBatch | None:
    try:
        return campaign.coupon_batch
    except CouponBatch.DoesNotExist:
        return None


def care_tasks_create(
    *, campaign: CareCampaign, occurrence: Occurrence, channel: str, customers
) -> int:
    """One task per customer without one for this occurrence, assigned to their
    relationship manager (the campaign owner if they have none), due on the occasion,
    with the script already personalised."""
    content = next(c for c in campaign.contents.all() if c.channel == channel)
    existing = CareTask.objects.filter(
        campaign=campaign, channel=channel, occurrence=occurrence.occasion
    ).values("customer_id")
    queryset = (
        customers.exclude(pk__in=existing).select_related("relationship_manager").order_by("pk")
    )
    created = 0
    chunk = []
    for customer in queryset.iterator(chunk_size=TASK_CHUNK):
        chunk.append(customer)
        if len(chunk) >= TASK_CHUNK:
            created += _create_tasks(campaign, occurrence, channel, content, chunk)
            chunk = []
    if chunk:
        created += _create_tasks(campaign, occurrence, channel, content, chunk)
    return created


def _create_tasks(campaign, occurrence, channel, content, customers) -> int:
    values = message_values(campaign, occurrence, customers)
    tasks = [
        CareTask(
            campaign=campaign,
            customer=customer,
            channel=channel,
            occurrence=occurrence.occasion,
            due_on=max(occurrence.occasion, occurrence.on),
            assigned_to_id=customer.relationship_manager_id or campaign.owner_id,
            instructions=render_for(content, values[customer.pk]).body,
        )
        for customer in customers
    ]
    return len(CareTask.objects.bulk_create(tasks, ignore_conflicts=True, batch_size=500))


def touches_prepare(*, on: dt.date) -> PreparedDay:
    """Issue coupons and create care tasks for every touch due on a date. Each campaign is
    prepared in its own transaction, so one failing campaign does not hold back the rest
    of the day (the task can simply run again)."""
    result = PreparedDay()
    for campaign in due_campaigns():
        with transaction.atomic():
            prepared = _prepare_campaign(campaign, on)
        result.campaigns += int(prepared.campaigns)
        result.coupons += prepared.coupons
        result.tasks += prepared.tasks
    return result


def _prepare_campaign(campaign: CareCampaign, on: dt.date) -> PreparedDay:
    result = PreparedDay()
    batch = _batch(campaign)
    for occurrence, customers in due_occurrences(campaign, on):
        result.campaigns = 1
        if batch is not None:
            result.coupons += coupons_issue(
                batch=batch, occurrence=occurrence.occasion, customers=customers
            )
        for channel, channel_customers in channel_audiences(campaign, customers):
            if channel in OFFLINE_CHANNELS:
                result.tasks += care_tasks_create(
                    campaign=campaign,
                    occurrence=occurrence,
                    channel=channel,
                    customers=channel_customers,
                )
    return result
