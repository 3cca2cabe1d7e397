"""Celery tasks of the delivery engine: thin, idempotent wrappers around its services.
Their names date from when the engine lived in campaigns; beat's schedules (campaigns
migration 0002, editable by admins) and queued tasks name them, so they stay."""

from celery import shared_task

from delivery.selectors.queue import senders_needed
from delivery.services.sending import (
    SEND_TASK_NAME,
    START_TASK_NAME,
    delivery_recover,
    messages_send,
)


@shared_task(name=START_TASK_NAME)
def start_senders() -> int:
    """Beat runs it every minute: settle what dead senders left (expired leases), then
    enqueue as many senders as the due queue needs (at most ``DELIVERY_SENDERS``), so
    recovery needs no sender alive and adding workers adds sending capacity."""
    delivery_recover()
    count = senders_needed()
    for _ in range(count):
        send_messages.delay()
    return count


@shared_task(name=SEND_TASK_NAME)
def send_messages(channel: str | None = None, seconds: float = 50) -> dict:
    """Claim and send due messages for up to ``seconds``; any number may run at once
    (claims skip rows another sender holds)."""
    return messages_send(channel=channel or None, seconds=seconds).as_dict()
