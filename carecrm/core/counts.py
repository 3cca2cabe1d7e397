"""How many rows a long list holds, without ``COUNT(*)`` over millions of rows on every
page view.

PostgreSQL's planner estimate costs no row reads. A list the planner thinks small
(under ``LIST_EXACT_COUNT_BELOW``) is counted exactly, but the count is bounded with a
LIMIT so a wrong estimate can never turn into a full scan. Other databases (SQLite, the
embedded default) have no estimate: they count up to ``LIST_COUNT_CAP`` rows and show
"more than" beyond it. A figure the app already keeps (a segment's last count) may stand
in for the estimate of a large list.
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from carecrm.core.keyset import KeysetPage, SortKey, paginate_request

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
    plan = json.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def _bounded_count(queryset: QuerySet, limit: int) -> int:
    """``COUNT(*)`` over at most ``limit`` rows (a LIMIT subquery)."""
    return queryset.order_by()[:limit].count()


def list_count(
    queryset: QuerySet,
    *,
    page: KeysetPage | None = None,
    first_page: bool = False,
    cached: int | None = None,
) -> CountEstimate:
    """The size of a filtered list for its heading. A first page with no next page is its
    own exact count (no query at all)."""
    if page is not None and first_page and not page.has_next:
        return CountEstimate(len(page.rows), exact=True)
    seen = 0 if page is None else len(page.rows) + (1 if page.has_next else 0)
    estimate = planner_row_estimate(queryset)
    if estimate is not None:
        exact_below = getattr(settings, "LIST_EXACT_COUNT_BELOW", EXACT_COUNT_BELOW)
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
    page = paginate_request(request, queryset, key=key, descending=descending, size=size)
    count = list_count(queryset, page=page, first_page=not page.has_previous, cached=cached)
    return page, count
