"""The senders of messages (``MessageSource``): registered once per sender object, then
paused, resumed or cancelled without losing or resending a message.

- Paused: queued messages wait (claims skip them), claimed ones not yet handed to the
  provider go back to the queue at their hand-over.
- Cancelled: queued messages end suppressed ("stopped by its sender"); claimed ones not
  yet handed over are suppressed at their hand-over.
- Either way a message the provider already has stays sent.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from delivery.models import (
    MessageEvent,
    MessageEventKind,
    MessageSource,
    MessageStatus,
    OutboxMessage,
    SourceState,
    SuppressionReason,
)
from delivery.registry import source_kind


def source_for(
    *,
    kind: str,
    object_id: int,
    label: str,
    department=None,
    state: str = SourceState.ACTIVE,
) -> MessageSource:
    """The source row of one sender object, created the first time (``kind`` must be
    registered); an existing row keeps its state."""
    source_kind(kind)
    source, _created = MessageSource.objects.get_or_create(
        kind=kind,
        object_id=object_id,
        defaults={"label": label[:200], "department": department, "state": state},
    )
    return source


def source_update(
    *, kind: str, object_id: int, label: str, department=None, state: str
) -> MessageSource | None:
    """Keep a sender's row in step with its object (name, department, whether it may
    send); cancelling stops its queued messages. None when it never sent anything."""
    source = MessageSource.objects.filter(kind=kind, object_id=object_id).first()
    if source is None:
        return None
    MessageSource.objects.filter(pk=source.pk).update(
        label=label[:200], department=department, updated_at=timezone.now()
    )
    source.label, source.department = label[:200], department
    if state != source.state:
        {
            SourceState.ACTIVE: source_resume,
            SourceState.PAUSED: source_pause,
            SourceState.CANCELLED: source_cancel,
        }[state](source=source)
    return source


def source_pause(*, source: MessageSource) -> MessageSource:
    """Hold every message of the source that has not reached the provider."""
    return _set_state(source, SourceState.PAUSED)


def source_resume(*, source: MessageSource) -> MessageSource:
    """Let the held messages go again (a cancelled source stays cancelled: its messages
    were suppressed)."""
    if source.state == SourceState.CANCELLED:
        return source
    return _set_state(source, SourceState.ACTIVE)


@transaction.atomic
def source_cancel(*, source: MessageSource, now: dt.datetime | None = None) -> int:
    """Stop the source for good: its queued messages end suppressed with the reason.
    Returns how many."""
    _set_state(source, SourceState.CANCELLED)
    return sources_stopped_sweep(now=now, source=source)


def _set_state(source: MessageSource, state: str) -> MessageSource:
    MessageSource.objects.filter(pk=source.pk).update(state=state, updated_at=timezone.now())
    source.state = state
    return source


def sources_stopped_sweep(*, now: dt.datetime | None = None, source=None) -> int:
    """Queued messages of a cancelled source will never go: say so."""
    now = now or timezone.now()
    cancelled = MessageSource.objects.filter(state=SourceState.CANCELLED)
    if source is not None:
        cancelled = cancelled.filter(pk=source.pk)
    # The sources first: with none cancelled (the usual case, every minute) the outbox is
    # not read at all, and otherwise it is read through (source, status).
    cancelled_ids = list(cancelled.values_list("pk", flat=True))
    if not cancelled_ids:
        return 0
    with transaction.atomic():
        stopped = OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            status=MessageStatus.QUEUED, source_id__in=cancelled_ids
        )
        ids = list(stopped.values_list("pk", flat=True))
        if not ids:
            return 0
        count = OutboxMessage.objects.filter(pk__in=ids, status=MessageStatus.QUEUED).update(
            status=MessageStatus.SUPPRESSED, reason=SuppressionReason.SOURCE_STOPPED
        )
        MessageEvent.objects.bulk_create(
            [
                MessageEvent(
                    message_id=pk,
                    kind=MessageEventKind.SUPPRESSED,
                    at=now,
                    detail={"reason": SuppressionReason.SOURCE_STOPPED},
                )
                for pk in ids
            ],
            batch_size=1000,
        )
    return count
