"""Keyset ("seek") pagination for lists too large for OFFSET and COUNT(*).

A page is fetched with ``WHERE (sort_key, id) beyond the cursor ORDER BY sort_key, id
LIMIT size + 1``: the database seeks into an index on ``(sort_key, id)`` instead of
counting off every earlier row, so page 20,000 costs what page 1 costs.

Rows whose sort key is NULL always come last, in either direction. They are read as a
separate segment (``key IS NULL ORDER BY id``) so each query keeps a plain, index-friendly
ORDER BY; a page that straddles the boundary costs two queries instead of one.
"""

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet


class InvalidCursor(ValueError):
    """The cursor in the URL was not made by this module for this sort (edited or stale)."""


@dataclass(frozen=True)
class SortKey:
    """A column a list may be sorted by; ``nullable`` columns get the NULL segment."""

    field: str
    nullable: bool = False


@dataclass(frozen=True)
class Cursor:
    value: Any
    pk: int


@dataclass
class KeysetPage:
    rows: list = field(default_factory=list)
    next_cursor: str | None = None
    previous_cursor: str | None = None
    # The cursor in the URL could not be read, so this is the first page instead.
    cursor_invalid: bool = False

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None


@dataclass(frozen=True)
class _Segment:
    """Part of the ordering: all rows, only rows with a key, or only rows without one."""

    kind: str  # "all" | "values" | "nulls"
    field: str
    descending: bool

    def base_filter(self) -> Q:
        if self.kind == "values":
            return Q(**{f"{self.field}__isnull": False})
        if self.kind == "nulls":
            return Q(**{f"{self.field}__isnull": True})
        return Q()

    def ordering(self) -> list[str]:
        sign = "-" if self.descending else ""
        if self.kind == "nulls" or self.field in ("id", "pk"):
            return [f"{sign}id"]
        return [f"{sign}{self.field}", f"{sign}id"]

    def holds(self, cursor: Cursor) -> bool:
        if self.kind == "all":
            return True
        return (cursor.value is None) == (self.kind == "nulls")

    def beyond(self, cursor: Cursor) -> Q:
        """Rows after ``cursor`` within this segment, written so the leading condition is a
        plain range on the sort column (an index seek), with the id tie-break second."""
        strict, inclusive = ("lt", "lte") if self.descending else ("gt", "gte")
        if self.kind == "nulls" or self.field in ("id", "pk"):
            return Q(**{f"id__{strict}": cursor.pk})
        return Q(**{f"{self.field}__{inclusive}": cursor.value}) & (
            Q(**{f"{self.field}__{strict}": cursor.value}) | Q(**{f"id__{strict}": cursor.pk})
        )


def _segments(key: SortKey, *, descending: bool, nulls_last: bool) -> list[_Segment]:
    if not key.nullable:
        return [_Segment("all", key.field, descending)]
    values = _Segment("values", key.field, descending)
    nulls = _Segment("nulls", key.field, descending)
    return [values, nulls] if nulls_last else [nulls, values]


def _fetch(queryset: QuerySet, segments: list[_Segment], cursor: Cursor | None, limit: int):
    rows: list = []
    started = cursor is None
    for segment in segments:
        part = queryset.filter(segment.base_filter())
        if not started:
            if not segment.holds(cursor):
                continue
            part = part.filter(segment.beyond(cursor))
            started = True
        rows.extend(part.order_by(*segment.ordering())[: limit - len(rows)])
        if len(rows) >= limit:
            break
    return rows


def first_pks(queryset: QuerySet, *, key: SortKey, descending: bool, limit: int) -> list:
    """The primary keys of the first ``limit`` rows in page order: one pass over the
    matching rows that both counts a short list and names its first page."""
    pks = queryset.prefetch_related(None).values_list("pk", flat=True)
    return _fetch(pks, _segments(key, descending=descending, nulls_last=True), None, limit)


def encode_cursor(row: Model, key: SortKey) -> str:
    value = row.pk if key.field in ("id", "pk") else getattr(row, key.field)
    if value is not None and not isinstance(value, (int, str)):
        value = str(value)  # dates (ISO 8601) and Decimals round-trip through str()
    raw = json.dumps([value, row.pk], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, model: type[Model], key: SortKey) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        value, pk = json.loads(raw)
        if not isinstance(pk, int):
            raise InvalidCursor(token)
        if value is not None and key.field not in ("id", "pk"):
            value = model._meta.get_field(key.field).to_python(value)
        elif value is None and not key.nullable:
            raise InvalidCursor(token)
    except (binascii.Error, ValueError, TypeError, ValidationError) as exc:
        raise InvalidCursor(token) from exc
    return Cursor(value, pk)


def keyset_paginate(
    queryset: QuerySet,
    *,
    key: SortKey,
    descending: bool,
    size: int,
    after: str | None = None,
    before: str | None = None,
    last: bool = False,
) -> KeysetPage:
    """One page of ``queryset`` ordered by ``key`` then id; ``after``/``before`` are
    cursors from a previous page, ``last`` asks for the final page (read backwards from
    the end, as cheap as the first). Raises :class:`InvalidCursor` for a cursor it cannot
    read.
    """
    model = queryset.model
    if last and not (after or before):
        backward = _segments(key, descending=not descending, nulls_last=False)
        rows = _fetch(queryset, backward, None, size + 1)
        has_previous = len(rows) > size
        rows = rows[:size]
        rows.reverse()
        return KeysetPage(
            rows=rows,
            previous_cursor=encode_cursor(rows[0], key) if has_previous else None,
        )
    if before:
        cursor = decode_cursor(before, model, key)
        backward = _segments(key, descending=not descending, nulls_last=False)
        rows = _fetch(queryset, backward, cursor, size + 1)
        if len(rows) > size:
            rows = rows[:size]
            rows.reverse()
            return KeysetPage(
                rows=rows,
                next_cursor=encode_cursor(rows[-1], key),
                previous_cursor=encode_cursor(rows[0], key),
            )
        # Walked back to the start: show a full first page rather than a short one.
        after = None
    cursor = decode_cursor(after, model, key) if after else None
    forward = _segments(key, descending=descending, nulls_last=True)
    rows = _fetch(queryset, forward, cursor, size + 1)
    has_next = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        rows=rows,
        next_cursor=encode_cursor(rows[-1], key) if has_next else None,
        previous_cursor=encode_cursor(rows[0], key) if cursor and rows else None,
    )


def paginate_request(
    request, queryset: QuerySet, *, key: SortKey, descending: bool, size: int
) -> KeysetPage:
    """The page a list view's URL asks for (``?after=``, ``?before=`` or ``?last=1``).
    A stale or edited cursor gives the first page flagged ``cursor_invalid`` (the shared
    pager says so) instead of an error."""
    params = request.GET
    try:
        return keyset_paginate(
            queryset,
            key=key,
            descending=descending,
            size=size,
            after=params.get("after") or None,
            before=params.get("before") or None,
            last=params.get("last") == "1",
        )
    except InvalidCursor:
        page = keyset_paginate(queryset, key=key, descending=descending, size=size)
        page.cursor_invalid = True
        return page
