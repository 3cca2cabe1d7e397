# ruff: noqa: S608  (SQL built from table names, enum values and integers; data are parameters)
"""Enqueue: one sender's messages for one occasion on one channel become outbox rows —
queued, or suppressed with a reason — in one ``INSERT … SELECT`` (``messages_enqueue``).
Every sender goes through it: campaigns' daily dispatch, and any other source registered
with ``delivery.registry``.

Every rule is decided by the database in the statement that writes the row:
unsubscribed (everything, the channel, or the kind of care), no consent for the channel,
invalid contact, a duplicate of another source's care touch of the same kind that day,
and the frequency caps (care messages only: a service message the customer asked for is
exempt from caps and duplicates, never from unsubscribe-from-everything, consent or
quiet hours). ``ON CONFLICT DO NOTHING`` on the (source, occasion, customer, channel) key
makes a re-run or a second enqueuer harmless, and the dispatch lock serialises cap
decisions, so two enqueuers at once cannot both take a customer's last slot. Quiet hours
move the send time, they never drop a message. (``WHERE 1 = 1`` before ``ON CONFLICT``
is SQLite's way to tell an upsert from a join.)
"""

import datetime as dt
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from carecrm.core.bulk_sql import bulk_statement_settings
from delivery.models import (
    COUNTED_STATUSES,
    DeliveryChannel,
    DispatchLock,
    FrequencyCap,
    MessageClass,
    MessageSource,
    MessageStatus,
    OutboxMessage,
    Priority,
    QuietHours,
    SuppressionReason,
)
from delivery.selectors.kinds import source_kind_class
from delivery.selectors.suppression import (  # noqa: F401 - where senders found them
    ADDRESS_COLUMN,
    INVALID_ADDRESS,
    _db_date,
    _db_datetime,
    _table,
    cap_window,
    in_quiet_hours,
    local_zone,
    suppression_reason_sql,
)

logger = logging.getLogger(__name__)


@dataclass
class DispatchResult:
    queued: int = 0
    deferred: int = 0
    suppressed: Counter = field(default_factory=Counter)
    displaced: int = 0

    @property
    def suppressed_total(self) -> int:
        return sum(self.suppressed.values())

    def add(self, other: "DispatchResult") -> None:
        self.queued += other.queued
        self.deferred += other.deferred
        self.suppressed.update(other.suppressed)
        self.displaced += other.displaced

    def as_dict(self) -> dict:
        return {
            "queued": self.queued,
            "deferred": self.deferred,
            "suppressed": {str(reason): n for reason, n in self.suppressed.items() if n},
            "displaced": self.displaced,
        }


def _lock() -> None:
    """Serialise dispatchers until the end of the current transaction."""
    taken = DispatchLock.objects.filter(name="dispatch").update(taken_at=timezone.now())
    if not taken:
        DispatchLock.objects.get_or_create(name="dispatch")
        DispatchLock.objects.filter(name="dispatch").update(taken_at=timezone.now())


def _newcomers(source: MessageSource, occasion: dt.date, channel: str, customers) -> bool:
    """Whether any customer of the audience has no row for this occasion and channel yet:
    an anti-join on the outbox, far cheaper than the insert with its cap aggregates.

    Right after a large dispatch the outbox's statistics still say the source has no
    rows, and PostgreSQL then plans a nested loop over a materialised scan — a million
    customers times a million rows. Without nested loops it must hash or merge: a plan
    that holds whatever the statistics say."""
    written = OutboxMessage.objects.filter(
        source=source, occasion=occasion, channel=channel, customer=OuterRef("pk")
    )
    newcomers = customers.order_by().filter(~Exists(written))
    if connection.vendor != "postgresql":
        return newcomers.exists()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_nestloop = off")
        try:
            return newcomers.exists()
        finally:
            cursor.execute("SET LOCAL enable_nestloop TO DEFAULT")


def messages_enqueue(
    *,
    source: MessageSource,
    occasion: dt.date,
    channel: str,
    audience,
    care_kind: str,
    priority: int,
    send_after: dt.datetime,
    due_on: dt.date | None = None,
    caps: list[FrequencyCap] | None = None,
    quiet: QuietHours | None = None,
    now: dt.datetime | None = None,
) -> DispatchResult:
    """Write one source's messages for one occasion on one channel: a row per customer
    of ``audience`` (a queryset of customers), queued or suppressed with its reason.

    ``send_after`` is when they may go; inside the channel's quiet hours it moves to
    their end (``quiet``: the channel's active quiet hours; read when not given, like
    ``caps``). Runs in its own transaction (or the caller's) and takes the dispatch lock
    — unless every customer of the audience has a row already: then nothing is written
    and no lock is taken, so running it again is cheap and harmless.

    The messages' class — care (counted against caps and duplicates) or service (exempt)
    — is the one admins set for the source's kind on the delivery settings page, or the
    kind's registered default (``delivery.selectors.kinds``); the sender does not choose
    it message by message."""
    now = now or timezone.now()
    if channel not in DeliveryChannel.values:
        raise ValueError(f"delivery does not send on {channel!r}")
    with transaction.atomic():
        if not _newcomers(source, occasion, channel, audience):
            return DispatchResult()
        if caps is None:
            caps = list(FrequencyCap.objects.filter(active=True))
        if quiet is None:
            quiet = QuietHours.objects.filter(active=True, channel=channel).first()
        later = in_quiet_hours(quiet, send_after)
        deferred = later is not None
        send_after = later or send_after
        planned_on = timezone.localtime(send_after, local_zone()).date()
        message_class = source_kind_class(source.kind)
        return _insert(
            source=source,
            occasion=occasion,
            due_on=due_on or occasion,
            channel=channel,
            customers=audience,
            care_kind=care_kind,
            priority=priority,
            message_class=message_class,
            send_after=send_after,
            deferred=deferred,
            planned_on=planned_on,
            caps=caps,
            now=now,
        )


def _insert(
    *,
    source,
    occasion,
    due_on,
    channel,
    customers,
    care_kind,
    priority,
    message_class,
    send_after,
    deferred,
    planned_on,
    caps,
    now,
) -> DispatchResult:
    # The audience query itself is the row source ``c``: no second pass over customers.
    candidates_sql, candidate_params = (
        customers.order_by()
        .values("id", "contact_status", *ADDRESS_COLUMN.values())
        .query.sql_with_params()
    )
    case, case_params, join, join_params = suppression_reason_sql(
        source_id=source.pk,
        care_kind=care_kind,
        channel=channel,
        planned_on=planned_on,
        caps=caps,
        message_class=message_class,
    )
    address = ADDRESS_COLUMN[channel]
    sql = f"""
        INSERT INTO {_table(OutboxMessage)} (
            source_id, customer_id, channel, occasion, due_on, planned_on, care_kind,
            message_class, priority, status, reason, address, send_after, deferred,
            attempts, subject, body, html_body, links, provider_id, error, error_code,
            created_at, open_count, click_count)
        SELECT %s, d.id, %s, %s, %s, %s, %s, %s, %s,
            CASE WHEN d.reason IS NULL THEN '{MessageStatus.QUEUED}'
                 ELSE '{MessageStatus.SUPPRESSED}' END,
            COALESCE(d.reason, ''), d.address, %s, %s, 0, '', '', '', '[]', '', '', '', %s,
            0, 0
        FROM (
            SELECT c.id, c.{address} AS address, {case} AS reason
            FROM ({candidates_sql}) c {join}
        ) d
        WHERE 1 = 1
        ON CONFLICT (source_id, occasion, customer_id, channel) DO NOTHING"""
    params = [
        source.pk,
        channel,
        _db_date(occasion),
        _db_date(due_on),
        _db_date(planned_on),
        care_kind,
        message_class,
        priority,
        _db_datetime(send_after),
        deferred,
        _db_datetime(now),
        *case_params,
        *candidate_params,
        *join_params,
    ]
    _lock()
    with connection.cursor() as cursor:
        bulk_statement_settings(cursor)
        cursor.execute(sql, params)
        inserted = cursor.rowcount
    result = DispatchResult()
    if not inserted:
        return result
    written = OutboxMessage.objects.filter(
        source=source, occasion=occasion, channel=channel, created_at=now
    )
    for status, reason, count in (
        written.values_list("status", "reason").annotate(n=Count("pk")).order_by()
    ):
        if status == MessageStatus.QUEUED:
            result.queued += count
        else:
            result.suppressed[reason] += count
    if deferred:
        result.deferred = result.queued
    if result.suppressed[SuppressionReason.FREQUENCY_CAP] and priority < Priority.LOW:
        displaced = _give_way(
            priority=priority, channel=channel, written=written, caps=caps, planned_on=planned_on
        )
        result.displaced = displaced
        result.queued += displaced
        result.suppressed[SuppressionReason.FREQUENCY_CAP] -= displaced
        result.suppressed[SuppressionReason.DISPLACED] += displaced
    return result


def _fits(rows: list[tuple[str, dt.date]], channel: str, day: dt.date, caps) -> bool:
    """Whether one more message on ``channel`` on ``day`` stays within every cap."""
    for cap in caps:
        if cap.channel and cap.channel != channel:
            continue
        start, end = cap_window(cap, day)
        used = sum(
            1
            for row_channel, row_day in rows
            if start <= row_day <= end and (not cap.channel or row_channel == cap.channel)
        )
        if used + 1 > cap.max_messages:
            return False
    return True


def _give_way(*, priority: int, channel: str, written, caps, planned_on: dt.date) -> int:
    """Higher-priority care wins a capped slot: for each customer this touch was capped
    for, queued (unclaimed) messages of lower priority are suppressed, lowest first,
    when that makes room; then this touch is queued after all."""
    capped = dict(
        written.filter(reason=SuppressionReason.FREQUENCY_CAP).values_list("customer_id", "pk")
    )
    first = min(cap_window(cap, planned_on)[0] for cap in caps)
    last = max(cap_window(cap, planned_on)[1] for cap in caps)
    counted = defaultdict(list)
    victims = defaultdict(list)
    rows = OutboxMessage.objects.filter(
        customer_id__in=list(capped),
        planned_on__range=(first, last),
        status__in=COUNTED_STATUSES,
        message_class=MessageClass.CARE,
    ).values_list("pk", "customer_id", "channel", "planned_on", "priority", "status")
    for pk, customer_id, row_channel, day, row_priority, status in rows:
        counted[customer_id].append((pk, row_channel, day))
        if status == MessageStatus.QUEUED and row_priority > priority:
            victims[customer_id].append((row_priority, day, pk))
    chosen: dict[int, list[int]] = {}
    for customer_id in capped:
        remaining = {pk: (ch, day) for pk, ch, day in counted[customer_id]}
        taken = []
        for _priority, _day, pk in sorted(victims[customer_id], reverse=True):
            if _fits(list(remaining.values()), channel, planned_on, caps):
                break
            taken.append(pk)
            remaining.pop(pk, None)
        if taken and _fits(list(remaining.values()), channel, planned_on, caps):
            chosen[customer_id] = taken
    if not chosen:
        return 0
    wanted = [pk for pks in chosen.values() for pk in pks]
    locked = set(
        OutboxMessage.objects.select_for_update(skip_locked=True)
        .filter(pk__in=wanted, status=MessageStatus.QUEUED)
        .values_list("pk", flat=True)
    )
    winners = [
        customer_id for customer_id, pks in chosen.items() if all(pk in locked for pk in pks)
    ]
    losers = [pk for customer_id in winners for pk in chosen[customer_id]]
    OutboxMessage.objects.filter(pk__in=losers).update(
        status=MessageStatus.SUPPRESSED, reason=SuppressionReason.DISPLACED
    )
    return OutboxMessage.objects.filter(pk__in=[capped[c] for c in winners]).update(
        status=MessageStatus.QUEUED, reason=""
    )
