"""Writes behind the delivery operations and settings pages: retry now, settling uncertain
messages, frequency caps and quiet hours. Each change is audited (who changed a rule that
decides what customers receive)."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from carecrm.core.audit import audit_record
from carecrm.core.dispatch import task_enqueue
from carecrm.core.models import AuditAction
from carecrm.core.scoping import visible_to
from delivery.models import (
    DeliveryChannel,
    FrequencyCap,
    MessageEvent,
    MessageEventKind,
    MessageSource,
    MessageStatus,
    OutboxMessage,
    QuietHours,
    SourceKindClass,
    SourceState,
)
from delivery.registry import source_kind
from delivery.selectors.kinds import kind_classes
from delivery.services.sending import GAVE_UP_PREFIX, SEND_TASK_NAME, messages_retry_now
from delivery.services.sources import source_cancel, source_pause, source_resume


def _send_soon() -> None:
    task_enqueue(SEND_TASK_NAME)


def messages_retry(*, user, failed: bool = False, error_code: str | None = None) -> int:
    """Operations' "retry now", over the messages ``user`` may see. Without ``failed``:
    messages waiting for their next attempt go at once. With ``failed``: messages that
    failed after transient refusals only (of one error code if given) are queued again
    with fresh attempts; a permanent refusal is requeued one at a time
    (:func:`message_requeue`). A sender is started after the commit."""
    mine = visible_to(user, OutboxMessage.objects.all())
    with transaction.atomic():
        if failed:
            again = mine.filter(status=MessageStatus.FAILED, error__startswith=GAVE_UP_PREFIX)
            if error_code is not None:
                again = again.filter(error_code=error_code)
            count = messages_retry_now(ids=again.values("pk"), failed=True, user=user)
        else:
            count = messages_retry_now(ids=mine.values("pk"), user=user)
        if count:
            audit_record(
                actor=user,
                action=AuditAction.CHANGE,
                detail={
                    "delivery": "retry_now",
                    "failed": failed,
                    "error_code": error_code,
                    "messages": count,
                },
            )
            _send_soon()
    return count


def message_requeue(*, message: OutboxMessage, user) -> bool:
    """Queue one failed message again with fresh attempts, whatever its error: an operator
    who checked a permanent refusal (a corrected address, say) on the message's page.
    False when the message is no longer failed."""
    with transaction.atomic():
        count = messages_retry_now(
            ids=OutboxMessage.objects.filter(pk=message.pk).values("pk"), failed=True, user=user
        )
        if count:
            audit_record(
                actor=user,
                action=AuditAction.CHANGE,
                obj=message,
                customer_id=message.customer_id,
                detail={"delivery": "requeued", "error_code": message.error_code},
            )
            _send_soon()
    return bool(count)


def _audit_rule(user, rule, what: str) -> None:
    audit_record(actor=user, action=AuditAction.CHANGE, obj=rule, detail={"delivery": what})


def frequency_cap_save(*, cap: FrequencyCap, user) -> FrequencyCap:
    """Store a cap a validated form filled in; the next dispatch applies it."""
    with transaction.atomic():
        cap.updated_by = user
        cap.save()
        _audit_rule(user, cap, f"frequency cap saved: {cap}")
    return cap


def frequency_cap_delete(*, cap: FrequencyCap, user) -> None:
    with transaction.atomic():
        _audit_rule(user, cap, f"frequency cap deleted: {cap}")
        cap.delete()


def quiet_hours_save(*, quiet_hours: QuietHours, user) -> QuietHours:
    """Store a channel's quiet hours; queued messages are checked again when claimed."""
    with transaction.atomic():
        quiet_hours.updated_by = user
        quiet_hours.save()
        _audit_rule(user, quiet_hours, f"quiet hours saved: {quiet_hours}")
    return quiet_hours


def source_kind_classes_save(*, user, counts: dict[str, bool]) -> list[str]:
    """Store which kinds of sender count against frequency caps (``counts``: kind ->
    counts), each change audited with what it was before. The next enqueue of each kind
    applies it; messages already written keep their class. Returns the kinds changed."""
    current = {row.key: row for row in kind_classes()}
    changed = []
    with transaction.atomic():
        for key, counts_against_caps in counts.items():
            source_kind(key)  # only registered kinds
            row = current.get(key)
            if row is not None and row.counts_against_caps == counts_against_caps:
                continue
            setting, _created = SourceKindClass.objects.update_or_create(
                kind=key,
                defaults={"counts_against_caps": counts_against_caps, "updated_by": user},
            )
            audit_record(
                actor=user,
                action=AuditAction.CHANGE,
                obj=setting,
                detail={
                    "delivery": "kind class saved",
                    "kind": key,
                    "counts_against_caps": counts_against_caps,
                    "before": row.counts_against_caps if row is not None else None,
                },
            )
            changed.append(key)
    return changed


def source_state_change(*, source: MessageSource, action: str, user) -> int | None:
    """A manager pauses, resumes or cancels a sender from its delivery page (audited).
    Returns None when the sender's state does not allow it, else how many queued
    messages a cancel stopped (0 for pause and resume). A sender whose app keeps its
    state in step with its own object (a campaign follows its status) may be set again
    by that app later."""
    before = source.state
    try:
        if source_kind(source.kind).state_follows_sender:
            return None
    except LookupError:
        pass
    allowed = {
        "pause": before == SourceState.ACTIVE,
        "resume": before == SourceState.PAUSED,
        "cancel": before != SourceState.CANCELLED,
    }
    if not allowed.get(action):
        return None
    with transaction.atomic():
        stopped = 0
        if action == "pause":
            source_pause(source=source)
        elif action == "resume":
            source_resume(source=source)
        else:
            stopped = source_cancel(source=source)
        audit_record(
            actor=user,
            action=AuditAction.CHANGE,
            obj=source,
            detail={
                "delivery": f"source {action}",
                "kind": source.kind,
                "before": before,
                "stopped": stopped,
            },
        )
    return stopped


def messages_uncertain_settle(*, user, channel: str, arrived: bool) -> int:
    """An operator settles a channel's uncertain messages (those ``user`` may see) after
    checking with the provider: ``arrived`` records them as sent; otherwise they are
    queued again — the operator's decision, since a message the provider did have is
    then sent twice."""
    if channel not in DeliveryChannel.values:
        raise ValueError(f"unknown channel {channel!r}")
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            visible_to(user, OutboxMessage.objects.select_for_update(of=("self",)))
            .filter(status=MessageStatus.UNCERTAIN, channel=channel)
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        rows = OutboxMessage.objects.filter(pk__in=ids)
        if arrived:
            rows.update(
                status=MessageStatus.SENT, sent_at=F("handed_at"), handed_at=None, claim=None
            )
        else:
            rows.update(status=MessageStatus.QUEUED, send_after=now, handed_at=None, claim=None)
        detail = {"by": user.get_username(), "as": "sent" if arrived else "send again"}
        MessageEvent.objects.bulk_create(
            [
                MessageEvent(message_id=pk, kind=MessageEventKind.RESOLVED, at=now, detail=detail)
                for pk in ids
            ],
            batch_size=1000,
        )
        audit_record(
            actor=user,
            action=AuditAction.CHANGE,
            detail={
                "delivery": "uncertain_settled",
                "channel": channel,
                **detail,
                "messages": len(ids),
            },
        )
        if not arrived:
            _send_soon()
    return len(ids)
