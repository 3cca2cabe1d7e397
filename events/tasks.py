"""Celery tasks of the events app: thin, idempotent wrappers around the services."""

from celery import shared_task


@shared_task(name="events.remind_guests")
def remind_guests() -> dict:
    """The day-before reminder to accepted guests (beat, daily; see migration 0003).
    Running it again the same day queues nothing twice."""
    from events.services.invitations import reminders_due

    return reminders_due()
