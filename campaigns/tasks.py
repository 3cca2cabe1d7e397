"""Celery tasks: thin, idempotent wrappers around the services. Their beat schedules are
created once by migration 0002 and may be edited by admins."""

import datetime as dt

from celery import shared_task
from django.utils import timezone


@shared_task(name="campaigns.prepare_touches")
def prepare_touches(day: str | None = None) -> dict:
    """Roll campaign statuses, then issue the day's coupons and care tasks. Running it
    again the same day creates nothing new."""
    from campaigns.services.approval import campaigns_roll_status
    from campaigns.services.touches import touches_prepare

    on = dt.date.fromisoformat(day) if day else timezone.localdate()
    rolled = campaigns_roll_status(today=on)
    prepared = touches_prepare(on=on)
    return {
        "day": on.isoformat(),
        **rolled,
        "campaigns": prepared.campaigns,
        "coupons": prepared.coupons,
        "tasks": prepared.tasks,
    }


@shared_task(name="campaigns.rebuild_affinity")
def rebuild_affinity() -> dict:
    """Recompute the co-purchase table behind ``{recommendation}``."""
    from campaigns.services.recommendations import affinity_rebuild

    return {"pairs": affinity_rebuild()}


@shared_task(name="campaigns.dispatch_touches")
def dispatch_touches(day: str | None = None) -> dict:
    """Write today's due online touches to the outbox (idempotent: the outbox's unique
    key), then start senders for what is due now."""
    from campaigns.services.dispatch import touches_dispatch

    on = dt.date.fromisoformat(day) if day else timezone.localdate()
    result = touches_dispatch(on=on)
    started = start_senders() if result.queued else 0
    return {"day": on.isoformat(), **result.as_dict(), "senders": started}


@shared_task(name="campaigns.start_senders")
def start_senders() -> int:
    """Beat runs it every minute: settle what dead senders left (expired leases), then
    enqueue as many senders as the due queue needs (at most ``DELIVERY_SENDERS``), so
    recovery needs no sender alive and adding workers adds sending capacity."""
    from campaigns.selectors.queue import senders_needed
    from campaigns.services.sending import delivery_recover

    delivery_recover()
    count = senders_needed()
    for _ in range(count):
        send_messages.delay()
    return count


@shared_task(name="campaigns.send_messages")
def send_messages(channel: str | None = None, seconds: float = 50) -> dict:
    """Claim and send due messages for up to ``seconds``; any number may run at once
    (claims skip rows another sender holds)."""
    from campaigns.services.sending import messages_send

    return messages_send(channel=channel or None, seconds=seconds).as_dict()
