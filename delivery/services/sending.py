"""Sending: claim queued messages, check each again, render, hand them to the channel's
backend and record the answers.

A claim is one ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n)
RETURNING`` (``queued → sending`` with a lease), so any number of workers share the queue
without sending a row twice; it is then posted in the channel's batches.

At most one post per message reaches a provider, whatever fails (docs/delivery.md):
right before each post — after any rate-limit wait — the sender re-checks unsubscribes
and consent, then marks the rows it still holds as handed to the provider (``handed_at``,
committed, lease renewed, one attempt counted). Only those rows are posted; a row
another sender took over after a lease ran out is no longer this sender's and is
skipped. A sender that dies leaves its rows ``sending``: when the lease runs out, rows
never handed over go back to the queue, rows handed over become ``uncertain`` and are
never posted again automatically (most providers have no idempotency key). So do
answers lost after the request went out (a timeout, a reset). Transient refusals come
back later with exponential backoff, kept in the row, never as a broker ETA; permanent
ones end ``failed`` with the provider's reason.
"""

import datetime as dt
import logging
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone
from psycopg2.extras import execute_values

from carecrm.core.branding.selectors import Brand, current_brand
from customers.models import ChannelConsent
from delivery.backends import OutgoingMessage, SendOutcome, SendResult, get_backend
from delivery.compose import compose_email, compose_text
from delivery.models import (
    COUNTED_STATUSES,
    DeliveryChannel,
    FrequencyCap,
    MessageClass,
    MessageEvent,
    MessageEventKind,
    MessageStatus,
    OutboxMessage,
    QuietHours,
    SourceState,
    SuppressionReason,
    Unsubscribe,
)
from delivery.ratelimit import wait_for_slots
from delivery.registry import Rendered, source_kind
from delivery.selectors.suppression import cap_window, in_quiet_hours, local_zone
from delivery.services.sources import sources_stopped_sweep

logger = logging.getLogger(__name__)

CLAIM_SIZE = 500
# The Celery tasks of delivery/tasks.py, queued by name (names kept from campaigns).
SEND_TASK_NAME = "campaigns.send_messages"
START_TASK_NAME = "campaigns.start_senders"
MAX_BACKOFF = dt.timedelta(hours=6)


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0
    deferred: int = 0
    requeued: int = 0
    uncertain: int = 0
    by_channel: dict = field(default_factory=lambda: defaultdict(int))

    def as_dict(self) -> dict:
        return {
            "claimed": self.claimed,
            "sent": self.sent,
            "retried": self.retried,
            "failed": self.failed,
            "suppressed": self.suppressed,
            "deferred": self.deferred,
            "requeued": self.requeued,
            "uncertain": self.uncertain,
        }


def backoff(attempts: int) -> dt.timedelta:
    """1×, 2×, 4×… the base delay after each transient failure, with ±10 % jitter."""
    base = settings.DELIVERY_RETRY_BASE_SECONDS * (2 ** max(0, attempts - 1))
    delay = dt.timedelta(seconds=base * random.uniform(0.9, 1.1))  # noqa: S311
    return min(delay, MAX_BACKOFF)


def _events(rows: list[tuple[int, str, dict]], at: dt.datetime) -> None:
    MessageEvent.objects.bulk_create(
        [MessageEvent(message_id=pk, kind=kind, at=at, detail=detail) for pk, kind, detail in rows],
        batch_size=1000,
    )


UNCERTAIN_AFTER_DEATH = "the sender stopped after handing it to the provider"


@dataclass
class LeaseOutcome:
    requeued: int = 0
    uncertain: int = 0


def leases_expire(*, now: dt.datetime | None = None) -> LeaseOutcome:
    """Settle messages whose sender died: never handed to the provider → queued again;
    handed over → uncertain (the provider may have them; posting again could duplicate)."""
    now = now or timezone.now()
    outcome = LeaseOutcome()
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=MessageStatus.SENDING, lease_until__lt=now)
            .values_list("pk", "handed_at")
        )
        if not rows:
            return outcome
        never_handed = [pk for pk, handed_at in rows if handed_at is None]
        handed = [pk for pk, handed_at in rows if handed_at is not None]
        if never_handed:
            outcome.requeued = OutboxMessage.objects.filter(
                pk__in=never_handed, status=MessageStatus.SENDING
            ).update(status=MessageStatus.QUEUED, claim=None, lease_until=None, send_after=now)
        if handed:
            # The claim stays: a sender that was only slow can still record its answer.
            outcome.uncertain = OutboxMessage.objects.filter(
                pk__in=handed, status=MessageStatus.SENDING
            ).update(
                status=MessageStatus.UNCERTAIN,
                lease_until=None,
                error=UNCERTAIN_AFTER_DEATH,
                error_code="lease",
            )
        _events(
            [(pk, MessageEventKind.REQUEUED, {"why": "lease expired"}) for pk in never_handed]
            + [(pk, MessageEventKind.UNCERTAIN, {"error": UNCERTAIN_AFTER_DEATH}) for pk in handed],
            now,
        )
    return outcome


def uncertain_settle(*, now: dt.datetime | None = None, limit: int = 1000) -> dict:
    """Ask providers that can say (``backend.lookup``) whether they have the uncertain
    messages handed to them more than ``DELIVERY_LOOKUP_GRACE_SECONDS`` ago (a slow
    request may still arrive before that): has it → sent; does not → queued again, which
    cannot duplicate. Providers that cannot say leave them to an operator."""
    now = now or timezone.now()
    settled = {"sent": 0, "requeued": 0}
    backends = {}
    for channel in DeliveryChannel.values:
        try:
            backend = get_backend(channel)
        except (ValueError, ImportError):
            continue
        if backend.lookup is not None:
            backends[channel] = backend
    if not backends:
        return settled
    grace = dt.timedelta(seconds=settings.DELIVERY_LOOKUP_GRACE_SECONDS)
    rows = list(
        OutboxMessage.objects.filter(
            status=MessageStatus.UNCERTAIN,
            channel__in=list(backends),
            handed_at__lt=now - grace,
        )
        .order_by("pk")
        .values_list("pk", "channel", "handed_at")[:limit]
    )
    by_channel = defaultdict(list)
    for pk, channel, handed_at in rows:
        by_channel[channel].append((pk, handed_at))
    for channel, backend in backends.items():
        items = by_channel.get(channel)
        if not items:
            backend.close()
            continue
        try:
            has = backend.lookup([f"carecrm-{pk}" for pk, _ in items])
        except (OSError, ValueError) as exc:
            logger.warning("channel %s cannot say what it has: %s", channel, exc)
            continue
        finally:
            backend.close()
        sent = [(pk, at) for pk, at in items if has.get(f"carecrm-{pk}") is True]
        missing = [pk for pk, _ in items if has.get(f"carecrm-{pk}") is False]
        with transaction.atomic():
            settled["sent"] += OutboxMessage.objects.filter(
                pk__in=[pk for pk, _ in sent], status=MessageStatus.UNCERTAIN
            ).update(status=MessageStatus.SENT, sent_at=F("handed_at"), handed_at=None, claim=None)
            settled["requeued"] += OutboxMessage.objects.filter(
                pk__in=missing, status=MessageStatus.UNCERTAIN
            ).update(status=MessageStatus.QUEUED, send_after=now, handed_at=None, claim=None)
            _events(
                [(pk, MessageEventKind.SENT, {"settled": "provider has it"}) for pk, _ in sent]
                + [
                    (pk, MessageEventKind.REQUEUED, {"why": "provider does not have it"})
                    for pk in missing
                ],
                now,
            )
    return settled


def delivery_recover(*, now: dt.datetime | None = None) -> dict:
    """What beat runs every minute, with or without a sender alive: expired leases are
    settled, uncertain messages checked with providers that can say, and cancelled
    sources' queued messages suppressed."""
    leases = leases_expire(now=now)
    settled = uncertain_settle(now=now)
    return {
        "requeued": leases.requeued + settled["requeued"],
        "uncertain": leases.uncertain,
        "settled_sent": settled["sent"],
        "stopped": sources_stopped_sweep(now=now),
    }


def claim(
    *, channel: str | None = None, size: int = CLAIM_SIZE, now: dt.datetime | None = None
) -> list[OutboxMessage]:
    """Up to ``size`` due messages, highest priority first, now ``sending`` and leased to
    the caller. Messages of a paused (or cancelled) source wait."""
    now = now or timezone.now()
    token = uuid.uuid4()
    lease = now + dt.timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    due = OutboxMessage.objects.filter(
        status=MessageStatus.QUEUED, send_after__lte=now, source__state=SourceState.ACTIVE
    )
    if channel:
        due = due.filter(channel=channel)
    due = due.order_by("priority", "send_after", "pk")
    if connection.vendor == "postgresql":
        ids = _claim_postgresql(due, size=size, token=token, lease=lease)
    else:
        with transaction.atomic():
            ids = list(due.values_list("pk", flat=True)[:size])
            OutboxMessage.objects.filter(pk__in=ids, status=MessageStatus.QUEUED).update(
                status=MessageStatus.SENDING, claim=token, lease_until=lease, handed_at=None
            )
        ids = list(
            OutboxMessage.objects.filter(
                pk__in=ids, claim=token, status=MessageStatus.SENDING
            ).values_list("pk", flat=True)
        )
    if not ids:
        return []
    return list(
        OutboxMessage.objects.filter(pk__in=ids, claim=token)
        .select_related("source", "customer__relationship_manager")
        .order_by("priority", "pk")
    )


def _claim_postgresql(due, *, size: int, token: uuid.UUID, lease: dt.datetime) -> list[int]:
    """One statement: ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n)
    RETURNING id``. The locked rows are queued (``FOR UPDATE`` re-checks the row it
    locks), so the outer ``UPDATE`` finds them by primary key alone — it never depends
    on the planner's idea of how many rows are queued, which right after a dispatch of a
    million rows is still "none" until the table is analysed."""
    inner = due.select_for_update(skip_locked=True, of=("self",)).values("pk")[:size]
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        inner_sql, inner_params = inner.query.get_compiler(connection=connection).as_sql()
        cursor.execute(
            f"UPDATE {table} SET status = %s, claim = %s::uuid, lease_until = %s, "  # noqa: S608
            f"handed_at = NULL WHERE id IN ({inner_sql}) RETURNING id",
            [MessageStatus.SENDING, str(token), lease, *inner_params],
        )
        return [row[0] for row in cursor.fetchall()]


def _refusals(messages: list[OutboxMessage]) -> dict[int, str]:
    """Messages that must not go any more — the customer unsubscribed or withdrew consent
    after the message was queued, or its source was cancelled — with the reason. (A
    service message is stopped by unsubscribes from everything or from its channel.)"""
    customer_ids = {m.customer_id for m in messages}
    unsubscribes = defaultdict(list)
    for customer_id, channel, care_kind in Unsubscribe.objects.filter(
        customer_id__in=customer_ids
    ).values_list("customer_id", "channel", "care_kind"):
        unsubscribes[customer_id].append((channel, care_kind))
    consented = set(
        ChannelConsent.objects.filter(customer_id__in=customer_ids, granted=True).values_list(
            "customer_id", "channel"
        )
    )
    refused = {}
    for message in messages:
        kinds = ("", message.care_kind) if message.message_class == MessageClass.CARE else ("",)
        if message.source.state == SourceState.CANCELLED:
            refused[message.pk] = SuppressionReason.SOURCE_STOPPED
        elif any(
            channel in ("", message.channel) and kind in kinds
            for channel, kind in unsubscribes[message.customer_id]
        ):
            refused[message.pk] = SuppressionReason.UNSUBSCRIBED
        elif (message.customer_id, message.channel) not in consented:
            refused[message.pk] = SuppressionReason.NO_CONSENT
    return refused


def _render(messages: list[OutboxMessage], brand: Brand) -> dict[int, OutgoingMessage | str]:
    """Each message's final text (or why it cannot be rendered): the source's registered
    renderer writes the text, once per source for all its messages; delivery adds the
    tracked links, the opt-out and, for email, the sender and footer from ``brand``."""
    groups = defaultdict(list)
    for message in messages:
        groups[message.source_id].append(message)
    result: dict[int, OutgoingMessage | str] = {}
    for group in groups.values():
        source = group[0].source
        try:
            texts = source_kind(source.kind).render(source, group)
        except LookupError as exc:
            texts = {message.pk: str(exc) for message in group}
        for message in group:
            rendered = texts.get(message.pk, "the sender rendered no text")
            if not isinstance(rendered, Rendered):
                result[message.pk] = str(rendered)
                continue
            if message.channel == DeliveryChannel.EMAIL:
                composed = compose_email(
                    message.pk,
                    subject=rendered.subject,
                    body=rendered.body,
                    html_body=rendered.html_body,
                    brand=brand,
                )
            else:
                composed = compose_text(
                    message.pk,
                    channel=message.channel,
                    subject=rendered.subject,
                    body=rendered.body,
                )
            message.subject = composed.subject[:200]
            message.body = composed.body
            message.html_body = composed.html_body
            message.links = composed.links
            result[message.pk] = OutgoingMessage(
                id=message.pk,
                key=message.idempotency_key,
                channel=message.channel,
                to=message.address,
                sender=brand.from_email if message.channel == DeliveryChannel.EMAIL else "",
                subject=composed.subject,
                body=composed.body,
                html_body=composed.html_body,
                headers=composed.headers,
                unsubscribe_url=composed.unsubscribe_url,
                data={
                    "source": source.pk,
                    "customer": message.customer_id,
                    "preferences_url": composed.preferences_url,
                },
            )
    return result


def _release(
    messages: list[OutboxMessage], token, updates: dict[str, object], now: dt.datetime
) -> int:
    if not messages:
        return 0
    return OutboxMessage.objects.filter(
        pk__in=[m.pk for m in messages], claim=token, status=MessageStatus.SENDING
    ).update(claim=None, lease_until=None, **updates)


def send_claimed(
    messages: list[OutboxMessage], *, backends: dict | None = None, now=None
) -> SendReport:
    """Send a claimed batch and record every outcome."""
    report = SendReport(claimed=len(messages))
    if not messages:
        return report
    now = now or timezone.now()
    backends = backends if backends is not None else {}
    token = messages[0].claim
    quiet = {q.channel: q for q in QuietHours.objects.filter(active=True)}

    waiting = list(messages)
    # Quiet hours are per channel, so each channel's messages wait in one UPDATE.
    for channel in {m.channel for m in waiting}:
        later = in_quiet_hours(quiet.get(channel), now)
        if later:
            held = [m for m in waiting if m.channel == channel]
            over_cap = _defer(held, token, later, now)
            report.suppressed += over_cap
            report.deferred += len(held) - over_cap
            waiting = [m for m in waiting if m.channel != channel]
    rendered = _render(waiting, current_brand())
    unrenderable = [m for m in waiting if isinstance(rendered[m.pk], str)]
    for message in unrenderable:
        _finish_failed(message, token, rendered[message.pk], "content", now)
        report.failed += 1

    by_channel = defaultdict(list)
    for message in waiting:
        if not isinstance(rendered[message.pk], str):
            by_channel[message.channel].append(message)
    for channel, channel_messages in by_channel.items():
        try:
            backend = backends.get(channel) or backends.setdefault(channel, get_backend(channel))
        except (ValueError, ImportError) as exc:
            # A misconfigured channel: retried (the settings may be fixed) until the
            # attempts run out, then failed with the reason — never stuck in "sending".
            logger.error("channel %s is not configured: %s", channel, exc)
            _attempts_count(channel_messages, token)
            results = [
                SendResult.retry(rendered[m.pk], f"channel not configured: {exc}", "configuration")
                for m in channel_messages
            ]
            _record(channel_messages, results, token, now=timezone.now(), report=report)
            continue
        for start in range(0, len(channel_messages), backend.batch_size):
            chunk = channel_messages[start : start + backend.batch_size]
            wait_for_slots(channel, len(chunk), int(backend.options.get("RATE") or 0))
            chunk = _hand_over(chunk, token, report, messages)
            if not chunk:
                continue
            outgoing = [rendered[m.pk] for m in chunk]
            try:
                results = backend.send_many(outgoing)
            except Exception as exc:  # a backend bug must not lose the batch
                logger.exception("channel %s backend raised", channel)
                # It may have posted some of them before raising: never post again.
                results = [
                    SendResult.uncertain(o, f"{type(exc).__name__}: {exc}", "backend")
                    for o in outgoing
                ]
            _record(chunk, results, token, now=timezone.now(), report=report)
            report.by_channel[channel] += len(chunk)
    return report


def _defer(held: list[OutboxMessage], token, later: dt.datetime, now: dt.datetime) -> int:
    """Quiet hours hold messages until ``later``. Caps count the day a message goes, so
    one moved to another day moves its cap day too — and one that would break a cap on
    that day is suppressed there, as dispatch would have. Returns how many were."""
    new_day = timezone.localtime(later, local_zone()).date()
    moving = [m for m in held if m.planned_on != new_day]
    over = _over_cap_on(moving, new_day)
    stopped = [m for m in held if m.pk in over]
    _release(
        stopped,
        token,
        {"status": MessageStatus.SUPPRESSED, "reason": SuppressionReason.FREQUENCY_CAP},
        now,
    )
    _events(
        [
            (m.pk, MessageEventKind.SUPPRESSED, {"reason": SuppressionReason.FREQUENCY_CAP})
            for m in stopped
        ],
        now,
    )
    kept = [m for m in held if m.pk not in over]
    _release(
        kept,
        token,
        {
            "status": MessageStatus.QUEUED,
            "send_after": later,
            "deferred": True,
            "planned_on": new_day,
        },
        now,
    )
    return len(stopped)


def _over_cap_on(messages: list[OutboxMessage], day: dt.date) -> set[int]:
    """Messages that would break a frequency cap if they went on ``day``, counting what
    their customers already have around it (one aggregate per cap), highest priority
    first within a customer."""
    messages = [m for m in messages if m.message_class == MessageClass.CARE]
    if not messages:
        return set()
    customers = {m.customer_id for m in messages}
    moving = {m.pk for m in messages}
    over: set[int] = set()
    for cap in FrequencyCap.objects.filter(active=True):
        start, end = cap_window(cap, day)
        counted = OutboxMessage.objects.filter(
            customer_id__in=customers,
            planned_on__range=(start, end),
            status__in=COUNTED_STATUSES,
            message_class=MessageClass.CARE,
        ).exclude(pk__in=moving)
        if cap.channel:
            counted = counted.filter(channel=cap.channel)
        used = dict(
            counted.values("customer_id").annotate(n=Count("pk")).values_list("customer_id", "n")
        )
        for message in sorted(messages, key=lambda m: (m.priority, m.pk)):
            if message.pk in over or (cap.channel and message.channel != cap.channel):
                continue
            if used.get(message.customer_id, 0) >= cap.max_messages:
                over.add(message.pk)
            else:
                used[message.customer_id] = used.get(message.customer_id, 0) + 1
    return over


def _hand_over(
    chunk: list[OutboxMessage], token, report: SendReport, claimed: list[OutboxMessage]
) -> list[OutboxMessage]:
    """The moment before the post: drop messages the customer refused meanwhile, then
    mark the rows this sender still holds as handed to the provider — committed, lease
    renewed, one attempt counted — and return only those. A row whose lease ran out
    while the sender waited for rate slots belongs to whoever claimed it since."""
    now = timezone.now()
    chunk = _held_back(chunk, token, report, now)
    refused = _refusals(chunk)
    for reason in set(refused.values()):
        stopped = [m for m in chunk if refused.get(m.pk) == reason]
        report.suppressed += _release(
            stopped, token, {"status": MessageStatus.SUPPRESSED, "reason": reason}, now
        )
        _events([(m.pk, MessageEventKind.SUPPRESSED, {"reason": reason}) for m in stopped], now)
    candidates = [m for m in chunk if m.pk not in refused]
    if not candidates:
        return []
    lease_seconds = settings.DELIVERY_LEASE_SECONDS
    lease = now + dt.timedelta(seconds=lease_seconds)
    claim_value = OutboxMessage._meta.get_field("claim").get_db_prep_value(token, connection)
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    placeholders = ", ".join(["%s"] * len(candidates))
    with transaction.atomic(), connection.cursor() as cursor:
        # One statement marks and tells which rows are still this sender's.
        cursor.execute(
            f"UPDATE {table} SET handed_at = %s, lease_until = %s, "  # noqa: S608
            f"attempts = attempts + 1 WHERE id IN ({placeholders}) AND claim = %s "
            "AND status = %s RETURNING id",
            [
                connection.ops.adapt_datetimefield_value(now),
                connection.ops.adapt_datetimefield_value(lease),
                *[m.pk for m in candidates],
                claim_value,
                MessageStatus.SENDING,
            ],
        )
        mine = {row[0] for row in cursor.fetchall()}
        # The rest of the claim waits for its own turn: keep its lease alive too, once
        # half of it has gone (not at every batch: each renewal writes every row).
        waiting = [m for m in claimed if m.handed_at is None and m.pk not in mine]
        half = dt.timedelta(seconds=lease_seconds / 2)
        if any(m.lease_until is None or m.lease_until - now < half for m in waiting):
            OutboxMessage.objects.filter(
                claim=token, status=MessageStatus.SENDING, handed_at__isnull=True
            ).update(lease_until=lease)
            for message in waiting:
                message.lease_until = lease
    handed = [m for m in candidates if m.pk in mine]
    for message in handed:
        message.attempts += 1
        message.handed_at = now
        message.lease_until = lease
    if len(handed) < len(candidates):
        logger.warning(
            "%d claimed messages were taken over by another sender before their post",
            len(candidates) - len(handed),
        )
    return handed


def _held_back(chunk: list[OutboxMessage], token, report: SendReport, now) -> list:
    """Messages whose source was paused or cancelled since the claim: paused ones go
    back to the queue untouched, cancelled ones are suppressed (``_refusals``). Returns
    the rest of the chunk."""
    states = dict(
        OutboxMessage.objects.filter(pk__in=[m.pk for m in chunk]).values_list(
            "pk", "source__state"
        )
    )
    for message in chunk:
        message.source.state = states.get(message.pk, message.source.state)
    paused = [m for m in chunk if m.source.state == SourceState.PAUSED]
    report.requeued += _release(paused, token, {"status": MessageStatus.QUEUED}, now)
    _events([(m.pk, MessageEventKind.REQUEUED, {"why": "source paused"}) for m in paused], now)
    return [m for m in chunk if m.source.state != SourceState.PAUSED]


def _attempts_count(messages: list[OutboxMessage], token) -> None:
    OutboxMessage.objects.filter(
        pk__in=[m.pk for m in messages], claim=token, status=MessageStatus.SENDING
    ).update(attempts=F("attempts") + 1)
    for message in messages:
        message.attempts += 1


def _finish_failed(message: OutboxMessage, token, error: str, code: str, now) -> None:
    _release(
        [message],
        token,
        {
            "status": MessageStatus.FAILED,
            "failed_at": now,
            "error": error[:500],
            "error_code": code[:60],
        },
        now,
    )
    _events([(message.pk, MessageEventKind.FAILED, {"error": error, "code": code})], now)


# The start of the error of a message that failed only because every attempt met a
# transient refusal (connection, 5xx, 429, SMTP 4xx): the one kind of failure that may be
# queued again in bulk; a permanent refusal would only be refused again, or worse.
GAVE_UP_PREFIX = "gave up after"


def _record(
    messages: list[OutboxMessage], results: list[SendResult], token, *, now, report: SendReport
) -> None:
    """Store each answer with the rendered text, in one transaction per batch. A row
    made uncertain because this sender's lease ran out mid-post still takes the answer;
    rows another sender has claimed since are left to it."""
    answered = {result.message_id: result for result in results}
    events = {}
    max_attempts = settings.DELIVERY_MAX_ATTEMPTS
    for message in messages:
        result = answered.get(message.pk) or SendResult(
            message.pk, SendOutcome.UNCERTAIN, error="no answer from the backend"
        )
        message.claim = None
        message.lease_until = None
        message.error = result.error[:500]
        message.error_code = result.code[:60]
        if result.outcome == SendOutcome.SENT:
            message.status = MessageStatus.SENT
            message.sent_at = now
            message.provider_id = result.provider_id[:100]
            message.error = message.error_code = ""
        elif result.outcome == SendOutcome.UNCERTAIN:
            message.status = MessageStatus.UNCERTAIN
            events[message.pk] = (
                MessageEventKind.UNCERTAIN,
                {"error": result.error, "code": result.code, "attempt": message.attempts},
            )
        elif result.outcome == SendOutcome.RETRY and message.attempts < max_attempts:
            message.status = MessageStatus.QUEUED
            message.send_after = now + backoff(message.attempts)
            events[message.pk] = (
                MessageEventKind.RETRY,
                {
                    "error": result.error,
                    "code": result.code,
                    "attempt": message.attempts,
                    "next": message.send_after.isoformat(),
                },
            )
        else:
            if result.outcome == SendOutcome.RETRY:
                message.error = (f"{GAVE_UP_PREFIX} {message.attempts} attempts: {result.error}")[
                    :500
                ]
            message.status = MessageStatus.FAILED
            message.failed_at = now
            events[message.pk] = (
                MessageEventKind.FAILED,
                {"error": message.error, "code": result.code},
            )
    with transaction.atomic():
        mine = _write_back(messages, token, now)
        counted = {
            MessageStatus.SENT: "sent",
            MessageStatus.UNCERTAIN: "uncertain",
            MessageStatus.QUEUED: "retried",
            MessageStatus.FAILED: "failed",
        }
        for message in messages:
            if message.pk in mine:
                name = counted[message.status]
                setattr(report, name, getattr(report, name) + 1)
        _events([(pk, *events[pk]) for pk in events if pk in mine], now)


# What one recorded answer writes, each row once: the outcome and what differs per
# message come from its VALUES row, the stamps follow from the outcome. An uncertain row
# keeps when it was handed over.
RECORD_SET = (
    "status = v.status, claim = NULL, lease_until = NULL, "
    "handed_at = CASE WHEN v.status = 'uncertain' THEN t.handed_at END, "
    "sent_at = CASE WHEN v.status = 'sent' THEN {now} ELSE t.sent_at END, "
    "failed_at = CASE WHEN v.status = 'failed' THEN {now} ELSE t.failed_at END, "
    "provider_id = v.provider_id, subject = v.subject, body = v.body, "
    "html_body = v.html_body, links = v.links, send_after = v.send_after, "
    "error = v.error, error_code = v.error_code"
)
RECORD_FIELDS = (
    "status",
    "provider_id",
    "subject",
    "body",
    "html_body",
    "links",
    "send_after",
    "error",
    "error_code",
)


def _write_back(messages: list[OutboxMessage], token, now: dt.datetime) -> set[int]:
    """Store a recorded batch, each row written once and only where it is still this
    sender's (claimed by ``token``, sending or made uncertain meanwhile): on PostgreSQL
    one ``UPDATE … FROM (VALUES …) … RETURNING`` per thousand rows. Returns the ids
    written."""
    if not messages:
        return set()
    links = OutboxMessage._meta.get_field("links")
    claim_value = OutboxMessage._meta.get_field("claim").get_db_prep_value(token, connection)
    rows = [
        (
            message.status,
            message.provider_id,
            message.subject,
            message.body,
            message.html_body,
            links.get_db_prep_value(message.links, connection),
            connection.ops.adapt_datetimefield_value(message.send_after),
            message.error,
            message.error_code,
            message.pk,
        )
        for message in messages
    ]
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    holding = (MessageStatus.SENDING, MessageStatus.UNCERTAIN)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor

            def literal(value, cast: str) -> str:
                return raw.mogrify("%s", [value]).decode().replace("%", "%%") + cast

            where = (
                f"t.id = v.id AND t.claim = {literal(claim_value, '::uuid')} AND t.status IN "
                f"({literal(holding[0], '')}, {literal(holding[1], '')})"
            )
            written = execute_values(
                raw,
                f"UPDATE {table} AS t SET "  # noqa: S608
                + RECORD_SET.format(now=literal(now, "::timestamptz"))
                + f" FROM (VALUES %s) AS v({', '.join(RECORD_FIELDS)}, id) WHERE {where} "
                "RETURNING t.id",
                rows,
                template="(%s, %s, %s, %s, %s, %s::jsonb, %s::timestamptz, %s, %s, %s::bigint)",
                page_size=1000,
                fetch=True,
            )
        return {row[0] for row in written}
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE claim = %s AND status IN (%s, %s)",  # noqa: S608
            [claim_value, *holding],
        )
        claimed = {row[0] for row in cursor.fetchall()}
        mine = [row for row in rows if row[-1] in claimed]
        assignments = RECORD_SET.replace("t.", "").replace("{now}", "%s")
        for name in sorted(RECORD_FIELDS, key=len, reverse=True):  # error_code before error
            assignments = assignments.replace(f"v.{name}", "%s")
        cursor.executemany(
            f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608
            [(row[0], row[0], row[0], stamp, row[0], stamp, *row[1:]) for row in mine],
        )
    return {row[-1] for row in mine}


def messages_send(
    *,
    channel: str | None = None,
    seconds: float = 50,
    claim_size: int = CLAIM_SIZE,
) -> SendReport:
    """Claim and send until nothing is due or ``seconds`` have passed (the next beat run
    carries on)."""
    report = SendReport()
    recovered = delivery_recover()
    report.requeued, report.uncertain = recovered["requeued"], recovered["uncertain"]
    deadline = time.monotonic() + seconds
    backends: dict = {}
    try:
        while time.monotonic() < deadline:
            batch = claim(channel=channel, size=claim_size)
            if not batch:
                break
            part = send_claimed(batch, backends=backends)
            for name in (
                "claimed",
                "sent",
                "retried",
                "failed",
                "suppressed",
                "deferred",
                "uncertain",
            ):
                setattr(report, name, getattr(report, name) + getattr(part, name))
    finally:
        for backend in backends.values():
            backend.close()
    return report


def messages_retry_now(*, ids=None, failed: bool = False, user=None) -> int:
    """Operations' "retry now": queued messages waiting for a retry (and, with
    ``failed``, failed ones) go at once, with a fresh set of attempts for failed ones."""
    now = timezone.now()
    waiting = OutboxMessage.objects.filter(status=MessageStatus.QUEUED, attempts__gt=0)
    if ids is not None:
        waiting = waiting.filter(pk__in=ids)
    count = waiting.update(send_after=now)
    if failed:
        again = OutboxMessage.objects.filter(status=MessageStatus.FAILED)
        if ids is not None:
            again = again.filter(pk__in=ids)
        again_ids = list(again.values_list("pk", flat=True))
        count += OutboxMessage.objects.filter(pk__in=again_ids).update(
            status=MessageStatus.QUEUED, send_after=now, attempts=0, failed_at=None
        )
        detail = {"by": user.get_username() if user else ""}
        _events([(pk, MessageEventKind.REQUEUED, detail) for pk in again_ids], now)
    return count
