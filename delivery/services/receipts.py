"""What providers tell us after a send: delivery receipts and inbound SMS replies.

Receipts move a sent message on to delivered, failed or bounced, once: a repeated or
out-of-order receipt changes nothing. A reply marks the latest SMS sent to that number
as replied; an opt-out word ("T", "TD", "退订" …) unsubscribes the sender from SMS at once
(care programme §3: always offer unsubscribe, and honour it), and any other reply lands on
the customer's timeline as an open interaction for staff to answer.
"""

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from carecrm.phone import normalise_mobile
from customers.models import (
    Channel,
    Customer,
    CustomerStatus,
    Interaction,
    InteractionKind,
)
from customers.services.interactions import interaction_log
from delivery.models import (
    DeliveryChannel,
    MessageEvent,
    MessageEventKind,
    MessageStatus,
    OutboxMessage,
    UnsubscribeSource,
)
from delivery.services.preferences import unsubscribe

MAX_ITEMS = 1000
# A reply belongs to the latest SMS sent to the number within this window.
REPLY_WINDOW = dt.timedelta(days=30)
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
KEY_PATTERN = re.compile(r"^carecrm-(\d+)$")
# care programme §3 / carrier practice in China: a reply of one of these words is an opt-out.
OPT_OUT_WORDS = frozenset({"T", "TD", "R", "N", "退订", "取订", "取消", "STOP", "UNSUBSCRIBE"})

RECEIPT_STATUSES = {
    "delivered": MessageStatus.DELIVERED,
    "failed": MessageStatus.FAILED,
    "bounced": MessageStatus.BOUNCED,
}
# Which state each receipt may move a message from; anything else is stale or repeated.
# A receipt settles an uncertain message, and "delivered" overrides a failure recorded
# on our side (an answer lost on the last attempt): the handset is the truth.
RECEIPT_FROM = {
    MessageStatus.DELIVERED: {MessageStatus.SENT, MessageStatus.UNCERTAIN, MessageStatus.FAILED},
    MessageStatus.FAILED: {MessageStatus.SENT, MessageStatus.UNCERTAIN},
    MessageStatus.BOUNCED: {MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.UNCERTAIN},
}
RECEIPT_EVENTS = {
    MessageStatus.DELIVERED: MessageEventKind.DELIVERED,
    MessageStatus.FAILED: MessageEventKind.FAILED,
    MessageStatus.BOUNCED: MessageEventKind.BOUNCED,
}
# Not recorded as sent yet (the sender is still writing its answer, or will resend):
# the provider should send the receipt again a little later.
NOT_YET_SENT = {MessageStatus.QUEUED, MessageStatus.SENDING}


class PayloadError(ValueError):
    """The request as a whole cannot be read; the message says what is wrong."""


@dataclass
class ReceiptsOutcome:
    updated: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    ignored: list[dict] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    invalid: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class InboundOutcome:
    sender: str
    unknown: bool = False
    opt_out: bool = False
    customers: list[int] = field(default_factory=list)
    message: str = ""
    duplicate: bool = False

    def as_dict(self) -> dict:
        answer = asdict(self)
        answer["from"] = answer.pop("sender")
        return answer


def _moment(value, *, now: dt.datetime) -> dt.datetime:
    """A provider's time: ISO 8601 (naive means local time) or unix seconds; absent means
    now; a clock running ahead is taken as now."""
    if value in (None, ""):
        return now
    if isinstance(value, bool):
        raise ValueError(_("“at” must be an ISO 8601 time or unix seconds."))
    if isinstance(value, int | float):
        try:
            moment = dt.datetime.fromtimestamp(value, tz=dt.UTC)
        except (OverflowError, OSError, ValueError) as exc:
            # 1e300, NaN: no clock shows it; the sender is broken, not one receipt.
            raise PayloadError(
                _("“at” is %(value)s, which is no time: send unix seconds or ISO 8601.")
                % {"value": str(value)[:40]}
            ) from exc
    elif isinstance(value, str):
        moment = parse_datetime(value.strip())
        if moment is None:
            raise ValueError(_("“at” must be an ISO 8601 time or unix seconds."))
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
    else:
        raise ValueError(_("“at” must be an ISO 8601 time or unix seconds."))
    return min(moment, now) if moment > now + FUTURE_TOLERANCE else moment


def items_list(payload, key: str) -> list:
    """``payload[key]`` as a list of at most MAX_ITEMS, or a PayloadError saying why not."""
    if not isinstance(payload, dict):
        raise PayloadError(_("The body must be a JSON object."))
    items = payload.get(key)
    if not isinstance(items, list):
        raise PayloadError(_("“%(key)s” must be a list.") % {"key": key})
    if len(items) > MAX_ITEMS:
        raise PayloadError(
            _("At most %(max)d items per request, not %(count)d.")
            % {"max": MAX_ITEMS, "count": len(items)}
        )
    return items


@dataclass
class _Receipt:
    id: str
    status: str
    code: str
    error: str
    at: dt.datetime


def _receipt(item, *, now: dt.datetime) -> _Receipt:
    if not isinstance(item, dict):
        raise ValueError(_("A receipt must be a JSON object."))
    key = item.get("id")
    if not isinstance(key, str | int) or isinstance(key, bool) or not str(key).strip():
        raise ValueError(_("“id” is missing."))
    status = RECEIPT_STATUSES.get(str(item.get("status") or "").lower())
    if status is None:
        raise ValueError(_("“status” must be delivered, failed or bounced."))
    return _Receipt(
        id=str(key).strip(),
        status=status,
        code=str(item.get("code") or "")[:60],
        error=str(item.get("error") or "")[:500],
        at=_moment(item.get("at"), now=now),
    )


def receipts_record(
    *, channel: str, receipts: list, now: dt.datetime | None = None
) -> ReceiptsOutcome:
    """Apply a provider's delivery receipts to the channel's messages. ``id`` is our key
    (``carecrm-N``) or the provider's id; each message changes at most once per status,
    so a provider repeating receipts changes nothing."""
    now = now or timezone.now()
    outcome = ReceiptsOutcome()
    parsed: list[_Receipt] = []
    for index, item in enumerate(receipts):
        try:
            parsed.append(_receipt(item, now=now))
        except PayloadError:
            raise
        except ValueError as exc:
            outcome.invalid.append({"index": index, "error": str(exc)})
    if not parsed:
        return outcome
    pks = {int(m.group(1)) for r in parsed if (m := KEY_PATTERN.match(r.id))}
    provider_ids = {r.id for r in parsed}
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update()
            .filter(channel=channel)
            .filter(Q(pk__in=pks) | Q(provider_id__in=provider_ids))
            .order_by("pk")
        )
        by_key = {row.idempotency_key: row for row in rows}
        by_provider_id = defaultdict(list)
        for row in rows:
            if row.provider_id:
                by_provider_id[row.provider_id].append(row)
        changed: dict[int, OutboxMessage] = {}
        events = []
        for receipt in parsed:
            targets = [by_key[receipt.id]] if receipt.id in by_key else by_provider_id[receipt.id]
            if not targets:
                outcome.unknown.append(receipt.id)
                continue
            for message in targets:
                if message.status == receipt.status:
                    outcome.duplicates.append(receipt.id)
                elif message.status in NOT_YET_SENT:
                    outcome.pending.append(receipt.id)
                elif message.status not in RECEIPT_FROM[receipt.status]:
                    outcome.ignored.append({"id": receipt.id, "current": message.status})
                else:
                    if message.sent_at is None:  # settled by the receipt
                        message.sent_at = message.handed_at or receipt.at
                    message.status = receipt.status
                    message.handed_at = None
                    if receipt.status == MessageStatus.DELIVERED:
                        message.delivered_at = receipt.at
                        message.error = message.error_code = ""
                    else:
                        message.failed_at = receipt.at
                        message.error = receipt.error or receipt.code
                        message.error_code = receipt.code
                    changed[message.pk] = message
                    events.append(
                        MessageEvent(
                            message=message,
                            kind=RECEIPT_EVENTS[receipt.status],
                            at=receipt.at,
                            detail={
                                "receipt": receipt.id,
                                "code": receipt.code,
                                "error": receipt.error,
                            },
                        )
                    )
                    outcome.updated.append(receipt.id)
        OutboxMessage.objects.bulk_update(
            changed.values(),
            ["status", "sent_at", "handed_at", "delivered_at", "failed_at", "error", "error_code"],
            batch_size=500,
        )
        MessageEvent.objects.bulk_create(events, batch_size=500)
    return outcome


def is_opt_out(text: str) -> bool:
    """Whether a reply is one of the opt-out words, ignoring case, full-width forms and
    the spaces and punctuation around it ("td。", " 退订！")."""
    normal = unicodedata.normalize("NFKC", text or "")
    start, end = 0, len(normal)
    while start < end and unicodedata.category(normal[start])[0] in "PZSC":
        start += 1
    while end > start and unicodedata.category(normal[end - 1])[0] in "PZSC":
        end -= 1
    return normal[start:end].upper() in OPT_OUT_WORDS


def _latest_sms(number: str, at: dt.datetime) -> OutboxMessage | None:
    return (
        OutboxMessage.objects.filter(
            channel=DeliveryChannel.SMS,
            address=number,
            sent_at__gte=at - REPLY_WINDOW,
            sent_at__lte=at + FUTURE_TOLERANCE,
        )
        .select_related("customer", "source")
        .order_by("-sent_at", "-pk")
        .first()
    )


def _reply_mark(message: OutboxMessage, *, number: str, text: str, at: dt.datetime) -> bool:
    """The reply on the message (its first reply sets ``replied_at``); False when this
    very reply was recorded already (the provider sent it twice)."""
    detail = {"text": text[:1000], "from": number}
    if MessageEvent.objects.filter(
        message=message, kind=MessageEventKind.REPLIED, at=at, detail__text=detail["text"]
    ).exists():
        return False
    OutboxMessage.objects.filter(pk=message.pk, replied_at__isnull=True).update(replied_at=at)
    MessageEvent.objects.create(
        message=message, kind=MessageEventKind.REPLIED, at=at, detail=detail
    )
    return True


def _sms_opt_out(
    customers: list[Customer], *, message: OutboxMessage | None, text: str, at: dt.datetime
) -> None:
    """Unsubscribe the customers from SMS through the one unsubscribe service: consent
    withdrawn (method: reply), an Unsubscribe row, their queued SMS suppressed."""
    with translation.override(settings.LANGUAGE_CODE):
        note = _("Replied “%(text)s” to an SMS") % {"text": text.strip()[:60]}
    for customer in customers:
        unsubscribe(
            customer=customer,
            channel=DeliveryChannel.SMS,
            source=UnsubscribeSource.REPLY,
            message=message if message and message.customer_id == customer.pk else None,
            note=note,
        )


def _reply_interactions(
    customers: list[Customer], *, message: OutboxMessage | None, text: str, at: dt.datetime
) -> None:
    """An open consultation on each customer's timeline, once per reply."""
    with translation.override(settings.LANGUAGE_CODE):
        if message is not None:
            summary = _("SMS reply to “%(campaign)s”: %(text)s") % {
                "campaign": message.source.label,
                "text": text.strip(),
            }
        else:
            summary = _("SMS reply: %(text)s") % {"text": text.strip()}
    for customer in customers:
        if Interaction.objects.filter(
            customer=customer, channel=Channel.SMS, occurred_at=at, summary=summary
        ).exists():
            continue
        interaction_log(
            customer=customer,
            user=None,
            kind=InteractionKind.CONSULTATION,
            channel=Channel.SMS,
            summary=summary,
            occurred_at=at,
        )


def inbound_sms_record(
    *, sender: str, text: str, at=None, now: dt.datetime | None = None
) -> InboundOutcome:
    """Record one inbound SMS. A number that is no active customer's and got no SMS from
    us in the last 30 days is recorded nowhere (``unknown``)."""
    now = now or timezone.now()
    moment = _moment(at, now=now)
    try:
        number = normalise_mobile(sender)
    except ValidationError:
        number = ""
    outcome = InboundOutcome(sender=number or str(sender))
    if not number:
        outcome.unknown = True
        return outcome
    message = _latest_sms(number, moment)
    customers = list(Customer.objects.filter(status=CustomerStatus.ACTIVE, mobile=number))
    if (
        message is not None
        and message.customer.status == CustomerStatus.ACTIVE
        and all(c.pk != message.customer_id for c in customers)
    ):
        customers.append(message.customer)
    if message is None and not customers:
        outcome.unknown = True
        return outcome
    outcome.opt_out = is_opt_out(text)
    outcome.customers = [c.pk for c in customers]
    outcome.message = message.idempotency_key if message else ""
    with transaction.atomic():
        if message is not None:
            outcome.duplicate = not _reply_mark(message, number=number, text=text, at=moment)
        if outcome.opt_out:
            _sms_opt_out(customers, message=message, text=text, at=moment)
        elif not outcome.duplicate:
            _reply_interactions(customers, message=message, text=text, at=moment)
    return outcome
