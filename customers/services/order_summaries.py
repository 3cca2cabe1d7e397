# SQL below is assembled only from this module's constants; every value is a bound parameter.
# ruff: noqa: S608
"""Per-customer order summaries (:class:`~customers.models.CustomerOrderSummary`), kept in
step with the orders by every writer, in the writer's transaction.

Writers call :func:`order_summaries_refresh` with the customers whose orders they created,
changed, deleted or moved; it recomputes those customers' rows from their orders in one
statement (a customer has few orders; the index on customer and date finds them), writes
the figures that need no ranking (total spend, purchases, first and last purchase) onto
the customers at once, so a value card never shows a total that misses a fresh order, and
marks the customers for a live re-score (segmentation listens to ``order_summaries_changed``).
Single orders saved or deleted through the ORM are caught by receivers; bulk writes
(``bulk_create``, ``QuerySet.update``, raw SQL) must call the refresh themselves.

The window edges (:class:`~customers.models.OrderSummaryEdges`) are read with a share
lock, so moving them (:func:`order_summaries_rebase`, which takes the row for update)
waits for writers in flight and writers wait for a move.
"""

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal

from carecrm.core.bulk_sql import bulk_statement_settings
from customers.models import CustomerOrderSummary, Order, OrderSummaryEdges

SUMMARY_TABLE = CustomerOrderSummary._meta.db_table
EDGES_TABLE = OrderSummaryEdges._meta.db_table
_EDGES_ID = 1
_CHUNK = 5000

order_summaries_changed = Signal()
"""Sent (inside the writer's transaction) with ``customer_ids`` after their summaries
were recomputed because their orders changed."""


@dataclass(frozen=True)
class SummaryEdges:
    window_start: dt.datetime
    recent_start: dt.datetime
    previous_start: dt.datetime

    def as_tuple(self) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
        return (self.window_start, self.recent_start, self.previous_start)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def cents(expr: str) -> str:
    """A money column as whole cents (integer sums are exact; SQLite keeps decimals as
    floats, hence the rounding there)."""
    if _postgres():
        return f"CAST({expr} * 100 AS bigint)"
    return f"CAST(ROUND({expr} * 100) AS INTEGER)"


def local_date(expr: str) -> str:
    if _postgres():
        return f"(({expr}) AT TIME ZONE '{settings.TIME_ZONE}')::date"
    offset = dt.datetime.now(zoneinfo.ZoneInfo(settings.TIME_ZONE)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return f"date({expr}, '{minutes:+d} minutes')"


def _stamp(value: dt.datetime | None):
    return None if value is None else connection.ops.adapt_datetimefield_value(value)


def cents_sum(expr: str, condition: str = "") -> str:
    """The sum of a money column in whole cents, as an integer (PostgreSQL's sum of
    integers is a numeric, which a union with stored cents would make every value)."""
    where = f" FILTER (WHERE {condition})" if condition else ""
    whole = "bigint" if _postgres() else "INTEGER"
    return f"CAST(SUM({cents(expr)}){where} AS {whole})"


def summary_aggregate(where: str) -> str:
    """One summary row per customer with orders matching ``where`` (alias ``o``), named
    as the columns of :data:`SUMMARY_COLUMNS`; the edges are the parameters ``w``, ``r``
    and ``p``."""
    return f"""
    SELECT o.customer_id AS customer_id,
        COUNT(*) FILTER (WHERE o.amount > 0) AS purchases,
        COALESCE({cents_sum("o.amount")}, 0) AS net_cents,
        MIN(o.ordered_at) FILTER (WHERE o.amount > 0) AS first_purchase_at,
        MAX(o.ordered_at) FILTER (WHERE o.amount > 0) AS last_purchase_at,
        COALESCE({cents_sum("o.amount", "o.ordered_at > %(w)s")}, 0) AS window_cents,
        COUNT(*) FILTER (WHERE o.amount > 0 AND o.ordered_at > %(w)s) AS window_purchases,
        COUNT(*) FILTER (WHERE o.amount > 0 AND o.ordered_at > %(r)s) AS recent_purchases,
        COUNT(*) FILTER (WHERE o.amount > 0 AND o.ordered_at > %(p)s) AS previous_purchases
    FROM customers_order o
    WHERE {where}
    GROUP BY o.customer_id"""


SUMMARY_COLUMNS = (
    "customer_id",
    "purchases",
    "net_cents",
    "first_purchase_at",
    "last_purchase_at",
    "window_cents",
    "window_purchases",
    "recent_purchases",
    "previous_purchases",
)
WINDOW_COLUMNS = SUMMARY_COLUMNS[5:]


def _edge_params(edges: SummaryEdges | None) -> dict:
    values = edges.as_tuple() if edges else (None, None, None)
    return dict(zip("wrp", (_stamp(v) for v in values), strict=True))


def summary_edges(*, lock: bool = False) -> SummaryEdges | None:
    """The edges the window figures count from; None before the summaries were built.
    With ``lock`` (writers) the row is share-locked until the transaction ends."""
    suffix = " FOR SHARE" if lock and _postgres() else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT window_start, recent_start, previous_start FROM {EDGES_TABLE} "
            f"WHERE id = %s{suffix}",
            [_EDGES_ID],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return SummaryEdges(*(_aware(value) for value in row))


def _aware(value):
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def _in_list(ids: list[int]) -> str:
    return ", ".join(str(int(pk)) for pk in ids)


@transaction.atomic
def order_summaries_refresh(customer_ids: Iterable[int]) -> int:
    """Recompute the summaries of these customers from their orders, write their
    unranked figures onto them and mark them for a live re-score. Set-based: three
    statements per 5,000 customers, whatever the number of orders."""
    ids = sorted({int(pk) for pk in customer_ids if pk is not None})
    if not ids:
        return 0
    edges = summary_edges(lock=True)
    params = _edge_params(edges)
    columns = ", ".join(SUMMARY_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in SUMMARY_COLUMNS[1:])
    with connection.cursor() as cursor:
        for start in range(0, len(ids), _CHUNK):
            chunk = _in_list(ids[start : start + _CHUNK])
            cursor.execute(
                f"DELETE FROM {SUMMARY_TABLE} WHERE customer_id IN ({chunk}) AND NOT EXISTS "
                f"(SELECT 1 FROM customers_order o WHERE o.customer_id = "
                f"{SUMMARY_TABLE}.customer_id)"
            )
            cursor.execute(
                f"INSERT INTO {SUMMARY_TABLE} ({columns}, rescore_pending) "
                f"SELECT a.*, %(pending)s FROM ({summary_aggregate(f'o.customer_id IN ({chunk})')}"
                f") a WHERE true ON CONFLICT (customer_id) DO UPDATE SET {updates}, "
                f"rescore_pending = excluded.rescore_pending",
                {**params, "pending": True},
            )
            _write_unranked_figures(cursor, chunk)
    order_summaries_changed.send(sender=CustomerOrderSummary, customer_ids=ids)
    return len(ids)


def _write_unranked_figures(cursor, chunk: str) -> None:
    """Total spend, purchases ever and the first and last purchase of active customers:
    exact from the summary, no ranking involved (the window figures and scores follow
    with the live re-score)."""
    cursor.execute(
        f"""
        UPDATE customers_customer SET
            total_spend = ROUND(s.net_cents / 100.0, 2),
            purchase_count = s.purchases,
            first_purchase_on = {local_date("s.first_purchase_at")},
            last_purchase_on = {local_date("s.last_purchase_at")}
        FROM {SUMMARY_TABLE} s
        WHERE customers_customer.id = s.customer_id AND s.customer_id IN ({chunk})
            AND customers_customer.status = 'active'
        """
    )
    cursor.execute(
        f"""
        UPDATE customers_customer SET total_spend = 0, purchase_count = 0,
            first_purchase_on = NULL, last_purchase_on = NULL
        WHERE id IN ({chunk}) AND status = 'active'
            AND NOT EXISTS (SELECT 1 FROM {SUMMARY_TABLE} s
                            WHERE s.customer_id = customers_customer.id)
        """
    )


def _save_edges(edges: SummaryEdges) -> None:
    OrderSummaryEdges.objects.update_or_create(
        pk=_EDGES_ID,
        defaults={
            "window_start": edges.window_start,
            "recent_start": edges.recent_start,
            "previous_start": edges.previous_start,
        },
    )


def _empty_summaries(cursor) -> None:
    """TRUNCATE where it may (much faster for a million rows); PostgreSQL refuses it in a
    transaction that still has deferred constraint checks pending on the table."""
    if _postgres():
        try:
            with transaction.atomic():
                cursor.execute(f"TRUNCATE {SUMMARY_TABLE}")
            return
        except OperationalError:
            pass
    cursor.execute(f"DELETE FROM {SUMMARY_TABLE}")


@transaction.atomic
def order_summaries_rebuild(edges: SummaryEdges) -> int:
    """Build every summary from the orders in one statement (a fresh database, or orders
    loaded behind the writers' back); returns the number of rows."""
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute(f"SELECT 1 FROM {EDGES_TABLE} WHERE id = %s FOR UPDATE", [_EDGES_ID])
            bulk_statement_settings(cursor, work_mem="256MB")
        _empty_summaries(cursor)
        cursor.execute(
            f"INSERT INTO {SUMMARY_TABLE} ({', '.join(SUMMARY_COLUMNS)}, rescore_pending) "
            f"SELECT a.*, false FROM ({summary_aggregate('true')}) a",
            _edge_params(edges),
        )
        rows = cursor.rowcount
    _save_edges(edges)
    return rows


@transaction.atomic
def order_summaries_rebase(edges: SummaryEdges) -> int:
    """Move the window edges to ``edges``: recompute the window figures of the customers
    with orders between an old and a new edge (a day's worth when run nightly), or build
    everything when there are no summaries yet. Returns the customers recomputed."""
    with connection.cursor() as cursor:
        lock = " FOR UPDATE" if _postgres() else ""
        cursor.execute(
            f"SELECT window_start, recent_start, previous_start FROM {EDGES_TABLE} "
            f"WHERE id = %s{lock}",
            [_EDGES_ID],
        )
        row = cursor.fetchone()
    if row is None:
        return order_summaries_rebuild(edges)
    old = SummaryEdges(*(_aware(v) for v in row))
    moved = edges_between(old, edges)
    if not moved:
        return 0
    conditions, params = moved
    params.update(_edge_params(edges))
    sets = ", ".join(f"{c} = a.{c}" for c in WINDOW_COLUMNS)
    aggregate = summary_aggregate(
        "o.customer_id IN (SELECT DISTINCT d.customer_id FROM customers_order d "
        f"WHERE {conditions})"
    )
    with connection.cursor() as cursor:
        if _postgres():
            bulk_statement_settings(cursor, work_mem="256MB")
        cursor.execute(
            f"UPDATE {SUMMARY_TABLE} SET {sets} FROM ({aggregate}) AS a "
            f"WHERE {SUMMARY_TABLE}.customer_id = a.customer_id",
            params,
        )
        count = cursor.rowcount
    _save_edges(edges)
    return count


def edges_between(
    old: SummaryEdges, new: SummaryEdges, *, alias: str = "d", prefix: str = "moved"
) -> tuple[str, dict] | None:
    """The condition (on orders aliased ``alias``) selecting the orders whose side of an
    edge differs between ``old`` and ``new``, with its parameters; None when no edge moved."""
    parts, params = [], {}
    for number, (before, after) in enumerate(zip(old.as_tuple(), new.as_tuple(), strict=True)):
        if before == after:
            continue
        low, high = sorted((before, after))
        parts.append(
            f"({alias}.ordered_at > %({prefix}_lo{number})s "
            f"AND {alias}.ordered_at <= %({prefix}_hi{number})s)"
        )
        params[f"{prefix}_lo{number}"] = _stamp(low)
        params[f"{prefix}_hi{number}"] = _stamp(high)
    if not parts:
        return None
    return " OR ".join(parts), params


_batch: ContextVar[set | None] = ContextVar("order_summaries_batch", default=None)


@contextmanager
def order_summaries_batched() -> Iterator[None]:
    """Orders saved or deleted one by one inside the block (e.g. a queryset's ``delete()``,
    which deletes and signals order by order) refresh their customers' summaries once, at
    the end of the block, in one set-based pass."""
    if _batch.get() is not None:
        yield
        return
    customers: set = set()
    token = _batch.set(customers)
    try:
        with transaction.atomic():
            yield
            _batch.reset(token)
            token = None
            order_summaries_refresh(customers)
    finally:
        if token is not None:
            _batch.reset(token)


def _order_written(customer_id: int) -> None:
    batch = _batch.get()
    if batch is None:
        order_summaries_refresh([customer_id])
    else:
        batch.add(customer_id)


def _order_saved(sender, instance: Order, **kwargs) -> None:
    if kwargs.get("raw"):
        return
    _order_written(instance.customer_id)


def _order_deleted(sender, instance: Order, **kwargs) -> None:
    _order_written(instance.customer_id)


def connect() -> None:
    post_save.connect(_order_saved, sender=Order, dispatch_uid="order_summary_saved")
    post_delete.connect(_order_deleted, sender=Order, dispatch_uid="order_summary_deleted")


def rescore_pending_take(limit: int | None = None) -> list[int]:
    """Clear the live re-score mark of (at most ``limit``) marked customers, returning
    them; inside the caller's transaction, so a failed re-score leaves them marked.

    The customers are locked (``FOR UPDATE``, in id order) before their summaries: the
    order every other writer of both follows — a merge locks the pair, then refreshes
    their summaries; an order's insert waits on its customer before it touches the
    summary — so a live re-score never holds a summary a merge needs while waiting for
    the customer that merge holds (a deadlock)."""
    limit_sql = f" LIMIT {int(limit)}" if limit else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT customer_id FROM {SUMMARY_TABLE} WHERE rescore_pending{limit_sql}")
        marked = [row[0] for row in cursor.fetchall()]
        if not marked:
            return []
        if _postgres():
            cursor.execute(
                f"SELECT id FROM customers_customer WHERE id IN ({_in_list(marked)}) "
                "ORDER BY id FOR UPDATE"
            )
        cursor.execute(
            f"UPDATE {SUMMARY_TABLE} SET rescore_pending = false "
            f"WHERE customer_id IN ({_in_list(marked)}) AND rescore_pending "
            f"RETURNING customer_id"
        )
        return sorted(row[0] for row in cursor.fetchall())
