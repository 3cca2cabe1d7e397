"""How many rows a long list holds, without ``COUNT(*)`` over millions of rows on every
page view.

PostgreSQL's planner estimate costs no row reads. A list the planner thinks small
(under ``LIST_EXACT_COUNT_BELOW``) is counted exactly, but the count is bounded with a
LIMIT so a wrong estimate can never turn into a full scan. On its first page such a list
is read once, not twice: the ids of its first ``LIST_EXACT_COUNT_BELOW + 1`` rows in page
order give both the count and the page (``first_page_with_count``), which halves the cost
of a search whose matches the database must all visit anyway. Other databases (SQLite, the
embedded default) have no estimate: they count up to ``LIST_COUNT_CAP`` rows and show
"more than" beyond it. A figure the app already keeps (a segment's last count) may stand
in for the estimate of a large list.
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from carecrm.core.keyset import KeysetPage, SortKey, first_pks, keyset_paginate, paginate_request

EXACT_COUNT_BELOW = 1_000
COUNT_CAP = 10_000


@dataclass(frozen=True)
class CountEstimate:
    """How many rows match: exact, capped (``more than``) or an estimate (``about``)."""

    value: int
    exact: bool
    capped: bool = False

    @property
    def shown(self) -> int:
        """The figure as displayed: estimates rounded to what they can honestly claim."""
        return self.value if self.exact or self.capped else round_estimate(self.value)

    def label(self) -> str:
        number = number_format(self.shown, force_grouping=True)
        if self.exact:
            return _("%(count)s in all") % {"count": number}
        if self.capped:
            return _("more than %(count)s") % {"count": number}
        return _("about %(count)s") % {"count": number}

    def __str__(self) -> str:
        return self.label()


def round_estimate(value: int) -> int:
    """Three significant figures (12,345 → 12,300): an estimate claims no more."""
    if value < 1_000:
        return value
    step = 10 ** (len(str(value)) - 3)
    return round(value / step) * step


def planner_row_estimate(queryset: QuerySet) -> int | None:
    """The PostgreSQL planner's row estimate for ``queryset`` (no rows read), or ``None``
    on a database without one."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    explained = queryset.order_by().explain(format="json")
    if not explained:  # Django proved the condition empty (``.none()``, ``IN ()``)
        return 0
    plan = json.loads(explained)
    return int(plan[0]["Plan"]["Plan Rows"])


def _bounded_count(queryset: QuerySet, limit: int) -> int:
    """``COUNT(*)`` over at most ``limit`` rows (a LIMIT subquery)."""
    return queryset.order_by()[:limit].count()


def _exact_below() -> int:
    return getattr(settings, "LIST_EXACT_COUNT_BELOW", EXACT_COUNT_BELOW)


_NOT_ESTIMATED = object()


def list_count(
    queryset: QuerySet,
    *,
    page: KeysetPage | None = None,
    first_page: bool = False,
    cached: int | None = None,
    estimate=_NOT_ESTIMATED,
) -> CountEstimate:
    """The size of a filtered list for its heading. A first page with no next page is its
    own exact count (no query at all). ``estimate`` is the planner's, when already asked."""
    if page is not None and first_page and not page.has_next:
        return CountEstimate(len(page.rows), exact=True)
    seen = 0 if page is None else len(page.rows) + (1 if page.has_next else 0)
    if estimate is _NOT_ESTIMATED:
        estimate = planner_row_estimate(queryset)
    if estimate is not None:
        exact_below = _exact_below()
        if estimate < exact_below:
            counted = _bounded_count(queryset, exact_below + 1)
            if counted <= exact_below:
                return CountEstimate(counted, exact=True)
            estimate = counted
        figure = cached if cached is not None else estimate
        return CountEstimate(max(figure, seen), exact=False)
    cap = getattr(settings, "LIST_COUNT_CAP", COUNT_CAP)
    counted = _bounded_count(queryset, cap + 1)
    if counted > cap:
        if cached is not None and cached > cap:
            return CountEstimate(cached, exact=False)
        return CountEstimate(cap, exact=False, capped=True)
    return CountEstimate(counted, exact=True)


def first_page_with_count(
    queryset: QuerySet,
    *,
    key: SortKey,
    descending: bool,
    size: int,
    cached: int | None = None,
) -> tuple[KeysetPage, CountEstimate]:
    """The first page of a list and its size. A list the planner thinks short is read
    once for its first ``LIST_EXACT_COUNT_BELOW + 1`` ids; the page is then those rows
    fetched by primary key (still through ``queryset``, so its scope and filters hold)."""
    estimate = planner_row_estimate(queryset)
    exact_below = _exact_below()
    if estimate is None or estimate >= exact_below:
        page = keyset_paginate(queryset, key=key, descending=descending, size=size)
        count = list_count(queryset, page=page, first_page=True, cached=cached, estimate=estimate)
        return page, count
    limit = max(exact_below, size) + 1  # enough for the count and for a full page
    pks = first_pks(queryset, key=key, descending=descending, limit=limit)
    page = keyset_paginate(
        queryset.filter(pk__in=pks[: size + 1]), key=key, descending=descending, size=size
    )
    if len(pks) < limit:
        return page, CountEstimate(len(pks), exact=True)
    return page, CountEstimate(cached if cached is not None else len(pks), exact=False)


def _is_first_page_request(request) -> bool:
    return not any(request.GET.get(name) for name in ("after", "before", "last"))


def paginated_list(
    request,
    queryset: QuerySet,
    *,
    key: SortKey,
    descending: bool,
    size: int,
    cached: int | None = None,
) -> tuple[KeysetPage, CountEstimate]:
    """The page the URL asks for and the list's size, what every long list shows with
    ``_keyset_pager.html``."""
    if _is_first_page_request(request):
        return first_page_with_count(
            queryset, key=key, descending=descending, size=size, cached=cached
        )
    page = paginate_request(request, queryset, key=key, descending=descending, size=size)
    count = list_count(queryset, page=page, first_page=not page.has_previous, cached=cached)
    return page, count


class KnownCountPaginator(Paginator):
    """A numbered paginator told its count (a figure the page computed anyway), so that it
    runs no ``COUNT(*)`` of its own."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count
