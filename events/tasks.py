"""Celery tasks: thin, idempotent wrappers around the services. Their beat schedules are
created by migrations and may be edited by admins."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from events.services.events import events_mark_held
from events.services.invitations import reminders_due
from events.services.tasks import tasks_remind


@shared_task(name="events.remind_tasks")
def remind_tasks(day: str | None = None) -> dict:
    """Each owner's digest of tasks due tomorrow and overdue; once a day per task."""
    return tasks_remind(dt.date.fromisoformat(day) if day else timezone.localdate())


@shared_task(name="events.mark_held")
def mark_held() -> dict:
    """Approved and open events that have ended become held."""
    return {"held": events_mark_held()}


@shared_task(name="events.remind_guests")
def remind_guests() -> dict:
    """The day-before reminder to accepted guests. Running it again the same day queues
    nothing twice."""
    return reminders_due()
