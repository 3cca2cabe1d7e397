"""How much the senders have to do: read by the task that starts them."""

import math

from django.conf import settings
from django.utils import timezone

from delivery.models import MessageStatus, OutboxMessage, SourceState

MESSAGES_PER_SENDER = 2000


def due_now_count(*, limit: int) -> int:
    """Queued messages that may go now (counted up to ``limit``)."""
    due = OutboxMessage.objects.filter(
        status=MessageStatus.QUEUED,
        send_after__lte=timezone.now(),
        source__state=SourceState.ACTIVE,
    )
    return len(due.values_list("pk", flat=True)[:limit])


def senders_needed() -> int:
    """One sender per 2,000 messages due now, at most ``DELIVERY_SENDERS``."""
    most = max(1, settings.DELIVERY_SENDERS)
    due = due_now_count(limit=most * MESSAGES_PER_SENDER)
    return min(most, math.ceil(due / MESSAGES_PER_SENDER))
