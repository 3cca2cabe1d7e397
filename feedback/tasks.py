"""Celery tasks: thin, idempotent wrappers around the services. Their beat schedules are
created by migrations and may be edited by admins."""

import datetime as dt

from celery import shared_task

from feedback.services.distribution import (
    held_events_due,
    purchases_due,
    reminders_due,
    vip_quarterly_run,
)
from feedback.services.items import items_escalate
from feedback.services.surveys import surveys_close_due


@shared_task(name="feedback.close_surveys")
def close_surveys() -> dict:
    """Open surveys past their closing time become closed."""
    return {"closed": surveys_close_due()}


@shared_task(name="feedback.remind_surveys")
def remind_surveys() -> dict:
    """One reminder to customers who have not answered after a few days."""
    return reminders_due()


@shared_task(name="feedback.vip_quarterly")
def vip_quarterly(day: str | None = None) -> dict:
    """On a quarter's first day, per department, the VIP survey opened and VIPs invited."""
    return vip_quarterly_run(day=dt.date.fromisoformat(day) if day else None)


@shared_task(name="feedback.after_purchase")
def after_purchase(day: str | None = None) -> dict:
    """Invite customers whose purchase was the after-purchase survey's delay ago."""
    return purchases_due(day=dt.date.fromisoformat(day) if day else None)


@shared_task(name="feedback.after_events")
def after_events() -> dict:
    """Invite those who came to recently held events to the after-event survey."""
    return held_events_due()


@shared_task(name="feedback.escalate_items")
def escalate_items() -> dict:
    """Escalate items that missed a deadline; once per level, so reruns send nothing."""
    return {"escalated": items_escalate()}
