"""The shared pieces of every long list: the last page of a keyset walk, the request
helper's answer to a bad cursor, and the count helper (exact for short lists, bounded or
estimated for long ones — never an unbounded ``COUNT(*)``)."""

import pytest
from django.db import connection
from django.db.models.functions import Mod
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from carecrm.core.audit import audit_record
from carecrm.core.counts import CountEstimate, list_count, paginated_list, round_estimate
from carecrm.core.keyset import SortKey, keyset_paginate, paginate_request
from carecrm.core.models import AuditAction, AuditEntry
from carecrm.core.testing import unbounded_counts

pytestmark = pytest.mark.django_db
NEWEST = SortKey("id")
TABLE = AuditEntry._meta.db_table
ALL = AuditEntry.objects.all


@pytest.fixture
def entries(staff_a):
    return [audit_record(actor=staff_a, action=AuditAction.VIEW, customer_id=n) for n in range(23)]


def _ids(page) -> list[int]:
    return [row.pk for row in page.rows]


def test_the_last_page_is_the_final_full_page_with_a_way_back(entries):
    ids = sorted(entry.pk for entry in entries)

    last = keyset_paginate(
        AuditEntry.objects.all(), key=NEWEST, descending=False, size=10, last=True
    )
    before = keyset_paginate(
        AuditEntry.objects.all(),
        key=NEWEST,
        descending=False,
        size=10,
        before=last.previous_cursor,
    )

    assert _ids(last) == ids[-10:]
    assert not last.has_next
    assert _ids(before) == ids[3:13]
    assert before.has_next and before.has_previous


def test_a_short_list_s_last_page_is_its_first(entries):
    page = keyset_paginate(
        AuditEntry.objects.all(), key=NEWEST, descending=True, size=50, last=True
    )

    assert len(page.rows) == 23
    assert not page.has_previous and not page.has_next


@pytest.mark.parametrize("param", ["after", "before"])
@pytest.mark.parametrize("token", ["garbage!", "W251bGwsMV0", "WzEsInkiXQ"])
def test_an_edited_or_stale_cursor_gives_the_first_page_flagged(entries, param, token):
    request = RequestFactory().get("/", {param: token})

    page = paginate_request(request, AuditEntry.objects.all(), key=NEWEST, descending=True, size=10)

    assert page.cursor_invalid
    assert _ids(page) == sorted((e.pk for e in entries), reverse=True)[:10]


def test_a_single_page_is_its_own_exact_count_without_a_query(entries):
    request = RequestFactory().get("/")
    queryset = AuditEntry.objects.all()
    page = paginate_request(request, queryset, key=NEWEST, descending=True, size=50)

    with CaptureQueriesContext(connection) as queries:
        count = list_count(queryset, page=page, first_page=True)

    assert count == CountEstimate(23, exact=True)
    assert len(queries) == 0


def test_a_short_list_over_several_pages_is_counted_exactly_with_a_bounded_count(entries):
    request = RequestFactory().get("/")

    with CaptureQueriesContext(connection) as queries:
        _page, count = paginated_list(
            request, AuditEntry.objects.all(), key=NEWEST, descending=True, size=10
        )

    assert count == CountEstimate(23, exact=True)
    assert unbounded_counts(queries.captured_queries, TABLE) == []


def test_a_long_list_is_never_counted_in_full(entries, settings):
    """Thresholds lowered so 23 rows are "long": PostgreSQL shows the planner's estimate
    and counts nothing; SQLite counts at most the cap and says "more than"."""
    settings.LIST_EXACT_COUNT_BELOW = 5
    settings.LIST_COUNT_CAP = 5
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{TABLE}"')
    request = RequestFactory().get("/")

    with CaptureQueriesContext(connection) as queries:
        _page, count = paginated_list(
            request, AuditEntry.objects.all(), key=NEWEST, descending=True, size=10
        )

    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert unbounded_counts(queries.captured_queries, TABLE) == []
    assert not count.exact
    if connection.vendor == "postgresql":
        assert counts == []
        assert count.value >= 11
    else:
        assert count == CountEstimate(5, exact=False, capped=True)
        assert len(counts) == 1 and "LIMIT" in counts[0]


def test_a_figure_the_app_keeps_stands_in_for_a_long_list_s_estimate(entries, settings):
    settings.LIST_EXACT_COUNT_BELOW = 5
    settings.LIST_COUNT_CAP = 5
    request = RequestFactory().get("/")
    queryset = AuditEntry.objects.all()
    page = paginate_request(request, queryset, key=NEWEST, descending=True, size=10)

    assert list_count(queryset, page=page, first_page=True, cached=12_345) == CountEstimate(
        12_345, exact=False
    )


@pytest.mark.parametrize(
    ("value", "shown"), [(999, 999), (1_234, 1_230), (12_345, 12_300), (9_996_000, 10_000_000)]
)
def test_estimates_are_rounded_to_three_figures(value, shown):
    assert round_estimate(value) == shown


def test_labels_say_which_kind_of_figure_it_is():
    with translation.override("en"):
        assert CountEstimate(1_234, exact=True).label() == "1,234 in all"
        assert CountEstimate(12_345, exact=False).label() == "about 12,300"
        assert CountEstimate(10_000, exact=False, capped=True).label() == "more than 10,000"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's estimate")
def test_a_short_list_s_first_page_and_count_come_from_one_read_of_its_rows(entries):
    """The matches are read once (their first ids, in page order): no COUNT query, and
    the page is those rows fetched by id."""
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{TABLE}"')
    request = RequestFactory().get("/")
    expected = sorted((entry.pk for entry in entries), reverse=True)

    with CaptureQueriesContext(connection) as queries:
        page, count = paginated_list(
            request, AuditEntry.objects.all(), key=NEWEST, descending=True, size=10
        )

    over_table = [q["sql"] for q in queries.captured_queries if TABLE in q["sql"]]
    assert _ids(page) == expected[:10]
    assert page.has_next and not page.has_previous
    assert count == CountEstimate(23, exact=True)
    assert not [sql for sql in over_table if "COUNT(" in sql.upper()]
    assert len([sql for sql in over_table if not sql.startswith("EXPLAIN")]) == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's estimate")
def test_a_list_the_planner_thought_short_but_is_not_shows_about_what_was_read(staff_a, settings):
    """The planner guesses 0.5 % of rows for a condition on an expression; all 300 match.
    The read stops after ``LIST_EXACT_COUNT_BELOW + 1`` ids, and the heading says "about"
    instead of claiming an exact figure."""
    settings.LIST_EXACT_COUNT_BELOW = 50
    AuditEntry.objects.bulk_create(
        AuditEntry(actor=staff_a, action=AuditAction.VIEW, customer_id=n) for n in range(300)
    )
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{TABLE}"')
    queryset = AuditEntry.objects.alias(parity=Mod("id", 1)).filter(parity=0)
    request = RequestFactory().get("/")

    page, count = paginated_list(request, queryset, key=NEWEST, descending=True, size=10)

    newest = list(AuditEntry.objects.order_by("-pk").values_list("pk", flat=True)[:10])
    assert _ids(page) == newest
    assert page.has_next
    assert count == CountEstimate(51, exact=False)
