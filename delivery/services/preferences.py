"""A customer's own say over care messages: unsubscribes (link, one-click, reply, staff
from a call), the preference page, and what the customer did with a message (opened,
clicked).

An unsubscribe takes effect at once for messages still queued (suppressed here,
set-based) and for messages already claimed by a sender (``send_claimed`` checks the
Unsubscribe rows again right before sending). Refusing a whole channel is also a consent
decision (PIPL), so it is recorded through ``consent_set`` and lands in the audit trail.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from customers.models import ChannelConsent, ConsentMethod, Customer
from customers.services.records import consent_set
from delivery.models import (
    CareKind,
    DeliveryChannel,
    MessageEvent,
    MessageEventKind,
    MessageStatus,
    OutboxMessage,
    SuppressionReason,
    Unsubscribe,
    UnsubscribeSource,
)
from delivery.selectors.preferences import preference_state

ONLINE_CHANNELS = tuple(DeliveryChannel)

CONSENT_METHOD = {
    UnsubscribeSource.LINK: ConsentMethod.UNSUBSCRIBE_LINK,
    UnsubscribeSource.ONE_CLICK: ConsentMethod.UNSUBSCRIBE_LINK,
    UnsubscribeSource.REPLY: ConsentMethod.REPLY,
    UnsubscribeSource.PREFERENCE_PAGE: ConsentMethod.PREFERENCE_PAGE,
    UnsubscribeSource.STAFF: ConsentMethod.CALL,
    # A spam complaint reaches us through the provider; staff follow it up.
    UnsubscribeSource.COMPLAINT: ConsentMethod.STAFF,
}


def _scope_messages(customer: Customer, channel: str, care_kind: str):
    messages = OutboxMessage.objects.filter(customer=customer)
    if channel:
        messages = messages.filter(channel=channel)
    if care_kind:
        messages = messages.filter(care_kind=care_kind)
    return messages


def _queued_suppress(customer: Customer, channel: str, care_kind: str, at: dt.datetime) -> int:
    """Queued messages in the scope will not go. Claimed (``sending``) ones are stopped by
    the sender's own re-check."""
    queued = _scope_messages(customer, channel, care_kind).filter(status=MessageStatus.QUEUED)
    ids = list(queued.select_for_update().values_list("pk", flat=True))
    if not ids:
        return 0
    count = OutboxMessage.objects.filter(pk__in=ids, status=MessageStatus.QUEUED).update(
        status=MessageStatus.SUPPRESSED, reason=SuppressionReason.UNSUBSCRIBED
    )
    MessageEvent.objects.bulk_create(
        [
            MessageEvent(
                message_id=pk,
                kind=MessageEventKind.SUPPRESSED,
                at=at,
                detail={"reason": SuppressionReason.UNSUBSCRIBED},
            )
            for pk in ids
        ],
        batch_size=1000,
    )
    return count


def _consents_withdraw(
    customer: Customer, channels, *, method, user, note: str, at: dt.datetime, request
) -> None:
    """Withdraw consent where it is not withdrawn already, so a repeat writes nothing."""
    withdrawn = set(
        ChannelConsent.objects.filter(
            customer=customer, channel__in=channels, granted=False
        ).values_list("channel", flat=True)
    )
    for channel in channels:
        if channel not in withdrawn:
            consent_set(
                customer=customer,
                channel=channel,
                granted=False,
                method=method,
                user=user,
                note=note,
                at=at,
                request=request,
            )


def _validate_scope(channel: str, care_kind: str) -> None:
    if channel and channel not in DeliveryChannel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    if care_kind and care_kind not in CareKind.values:
        raise ValidationError({"care_kind": _("Unknown kind of care.")})


@transaction.atomic
def unsubscribe(
    *,
    customer: Customer,
    channel: str = "",
    care_kind: str = "",
    source: UnsubscribeSource | str,
    message: OutboxMessage | None = None,
    user=None,
    note: str = "",
    method: ConsentMethod | str | None = None,
    request=None,
) -> Unsubscribe:
    """Record that the customer refuses care messages of a kind (``care_kind``), on a
    channel (``channel``), or — both empty — any care message. Safe to repeat.

    ``method`` overrides how the consent withdrawal is recorded (staff: a call or in
    person); by default it follows the source.
    """
    _validate_scope(channel, care_kind)
    source = UnsubscribeSource(source)
    at = timezone.now()
    note = note.strip()[:200]
    row, created = Unsubscribe.objects.get_or_create(
        customer=customer,
        channel=channel,
        care_kind=care_kind,
        defaults={
            "source": source,
            "message": message,
            "note": note,
            "recorded_by": user if user is not None and user.pk else None,
        },
    )
    if not care_kind:
        _consents_withdraw(
            customer,
            [channel] if channel else ONLINE_CHANNELS,
            method=method or CONSENT_METHOD[source],
            user=user,
            note=note,
            at=at,
            request=request,
        )
    elif created and user is not None:
        audit_record(
            actor=user,
            action=AuditAction.CONSENT,
            customer_id=customer.pk,
            obj=row,
            detail={"unsubscribe": {"channel": channel, "care_kind": care_kind}, "note": note},
            request=request,
        )
    if message is not None:
        first = OutboxMessage.objects.filter(pk=message.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=at
        )
        if first:
            message.unsubscribed_at = at
            MessageEvent.objects.create(
                message=message,
                kind=MessageEventKind.UNSUBSCRIBED,
                at=at,
                detail={"source": source.value, "channel": channel, "care_kind": care_kind},
            )
    _queued_suppress(customer, channel, care_kind, at)
    return row


@transaction.atomic
def unsubscribe_remove(*, unsubscribe: Unsubscribe, user, note: str, request=None) -> None:
    """Staff resubscribe a customer who asked for it. Removing a channel refusal also
    grants that channel's consent again; other consents stay as recorded."""
    note = note.strip()[:200]
    if not note:
        raise ValidationError({"note": _("Say when and how the customer asked for it.")})
    customer = unsubscribe.customer
    if unsubscribe.channel and not unsubscribe.care_kind:
        consent_set(
            customer=customer,
            channel=unsubscribe.channel,
            granted=True,
            method=ConsentMethod.CALL,
            user=user,
            note=note,
            request=request,
        )
    audit_record(
        actor=user,
        action=AuditAction.CONSENT,
        customer_id=customer.pk,
        obj=unsubscribe,
        detail={
            "resubscribe": {"channel": unsubscribe.channel, "care_kind": unsubscribe.care_kind},
            "note": note,
        },
        request=request,
    )
    unsubscribe.delete()


@transaction.atomic
def preferences_set(
    *,
    customer: Customer,
    channels: dict[str, bool],
    kinds: dict[str, bool],
    all_off: bool,
    source: UnsubscribeSource | str = UnsubscribeSource.PREFERENCE_PAGE,
    message: OutboxMessage | None = None,
    request=None,
) -> None:
    """Save what the preference page shows. Only changes are written, so saving an
    unchanged page leaves no trace; a channel turned on again is the customer's own
    consent (method: preference page)."""
    if all_off:
        unsubscribe(customer=customer, source=source, message=message, request=request)
        return
    Unsubscribe.objects.filter(customer=customer, channel="", care_kind="").delete()
    state = preference_state(customer)
    for channel, wanted in channels.items():
        if wanted == state.channels.get(channel):
            continue
        if wanted:
            consent_set(
                customer=customer,
                channel=channel,
                granted=True,
                method=ConsentMethod.PREFERENCE_PAGE,
                user=None,
                request=request,
            )
            Unsubscribe.objects.filter(customer=customer, channel=channel, care_kind="").delete()
        else:
            unsubscribe(
                customer=customer, channel=channel, source=source, message=message, request=request
            )
    for kind, wanted in kinds.items():
        if wanted == state.kinds.get(kind):
            continue
        if wanted:
            Unsubscribe.objects.filter(customer=customer, channel="", care_kind=kind).delete()
        else:
            unsubscribe(
                customer=customer, care_kind=kind, source=source, message=message, request=request
            )


# --- tracking --------------------------------------------------------------------------


def _first_open(message_id: int, at: dt.datetime, detail: dict) -> bool:
    first = OutboxMessage.objects.filter(pk=message_id, opened_at__isnull=True).update(
        opened_at=at, open_count=F("open_count") + 1
    )
    if first:
        MessageEvent.objects.create(
            message_id=message_id, kind=MessageEventKind.OPENED, at=at, detail=detail
        )
    return bool(first)


def message_opened(message: OutboxMessage, at: dt.datetime | None = None) -> None:
    """Count an open (the pixel loaded). Only the first open becomes an event: mail
    clients reload pixels often and the count is enough."""
    at = at or timezone.now()
    if not _first_open(message.pk, at, {}):
        OutboxMessage.objects.filter(pk=message.pk).update(open_count=F("open_count") + 1)


def message_clicked(message: OutboxMessage, index: int, at: dt.datetime | None = None) -> str:
    """Count a click on the message's ``index``-th link and return the link. A click
    proves the message was opened even when the client blocked the pixel."""
    url = message.links[index]
    at = at or timezone.now()
    first = OutboxMessage.objects.filter(pk=message.pk, clicked_at__isnull=True).update(
        clicked_at=at, click_count=F("click_count") + 1
    )
    if not first:
        OutboxMessage.objects.filter(pk=message.pk).update(click_count=F("click_count") + 1)
    MessageEvent.objects.create(
        message=message,
        kind=MessageEventKind.CLICKED,
        at=at,
        detail={"index": index, "url": url},
    )
    _first_open(message.pk, at, {"via": "click"})
    return url
