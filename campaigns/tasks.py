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
    from delivery.tasks import start_senders

    on = dt.date.fromisoformat(day) if day else timezone.localdate()
    result = touches_dispatch(on=on)
    started = start_senders() if result.queued else 0
    return {"day": on.isoformat(), **result.as_dict(), "senders": started}


@shared_task(
    name="campaigns.email_review_decision",
    autoretry_for=(OSError,),  # SMTP and connection errors; nothing was marked sent
    retry_backoff=60,
    max_retries=5,
)
def email_review_decision(review_id: int) -> dict:
    """Email the author a reviewer's decision (once per decision: a rerun sends nothing)."""
    from campaigns.services.notifications import review_decision_email

    return {"review": review_id, "sent": review_decision_email(review_id=review_id)}
