"""Benchmark suite "segmentation": the full scoring run over 1,000,000 × scale customers and
10,000,000 × scale orders, next to a bare ``GROUP BY customer`` over the same orders
(goal: scoring within 2× of it). Data is generated inside PostgreSQL with
``generate_series`` so that loading is not what is measured.

The orders are loaded behind the order writers' back, so there are no order summaries:
the "first run" row builds them from the orders (one ``INSERT … SELECT … GROUP BY``, as on
a fresh database) before scoring, and is timed as a whole. The nightly run and the preview
then read the summaries (one row per customer) instead of the orders. The live row records
one order through the order service and re-scores its customer as the queued task would,
in process (no broker, and without the task's few seconds of batching)."""

# ruff: noqa: S608  (SQL built from integers computed here)

import datetime as dt
import random
import time
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from carecrm.core.bench import Figure, median_ms, register_suite, timed

BASELINE_SQL = (
    "CREATE TEMPORARY TABLE bench_group_by AS "
    "SELECT customer_id, count(*), sum(amount), max(ordered_at) "
    "FROM customers_order GROUP BY customer_id"
)


def _execute(sql: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _without_indexes(table: str):
    """Drop ``table``'s secondary indexes and unique/foreign-key constraints; return the
    statements that recreate them (bulk loads then build each index once)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
            [table],
        )
        constraints = cursor.fetchall()
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT LIKE '%%_pkey'",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for name, definition in constraints
    ]


def _generate(*, customers: int, orders: int, stdout) -> None:
    """Customers spread over 10 departments; orders over the last two years with a skewed
    number per customer, about 2 % of them refunds; 1 % of customers with intent events."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customers_customer")
        existing = cursor.fetchone()[0]
    if existing == customers:
        stdout.write(f"  reusing {customers:,} customers from --keep-db")
        return
    if existing:
        raise RuntimeError("The kept bench database holds another scale; run without --keep-db.")
    started = time.perf_counter()
    _execute("SELECT setseed(0.42)")
    _execute(
        "INSERT INTO accounts_department (name, code, region, created_at) "
        "SELECT 'Bench ' || g, 'bench-' || g, 'R' || g, now() FROM generate_series(1, 10) g"
    )
    _execute(
        f"""
        INSERT INTO customers_customer (
            name, kind, mobile, mobile_last4, email, province, city, district, street,
            celebrates_lunar_birthday, lunar_birth_leap_month, gender, registered_on, source,
            industry, region, preferred_categories, preferred_channel, wecom_external_id,
            push_token, notes, status, contact_status, total_spend, spend_12m, purchase_count,
            purchase_count_12m, average_order_value, repurchase_rate, rfm_segment, value_tier,
            vip_level, lifecycle_stage, created_at, updated_at, department_id)
        SELECT 'Customer ' || g, 'person', '', '', '', '', '', '', '', false, false, '',
            (now() - (random() * 1500) * interval '1 day')::date, 'import', '', 'R' || (g % 10),
            '[]'::jsonb, '', '', '', '', 'active', 'unverified', 0, 0, 0, 0, 0, 0, '', '',
            'normal', '', now(), now(),
            (SELECT min(id) FROM accounts_department WHERE code LIKE 'bench-%%') + (g % 10)
        FROM generate_series(1, {customers}) g
        """
    )
    recreate = _without_indexes("customers_order")
    _execute(
        f"""
        INSERT INTO customers_order (customer_id, order_no, ordered_at, amount, store, created_at)
        SELECT c.first_id + floor(power(random(), 2) * {customers})::bigint,
            'B' || g,
            now() - random() * interval '730 days',
            CASE WHEN random() < 0.02 THEN -round((random() * 500)::numeric, 2)
                 ELSE round((20 + random() * 2000)::numeric, 2) END,
            '', now()
        FROM generate_series(1, {orders}) g,
             (SELECT min(id) AS first_id FROM customers_customer) c
        """
    )
    for statement in recreate:
        _execute(statement)
    _execute(
        f"""
        INSERT INTO customers_intentevent (customer_id, kind, product, category, occurred_at)
        SELECT c.first_id + floor(random() * {customers})::bigint, 'added_to_cart', '', '',
            now() - random() * interval '40 days'
        FROM generate_series(1, {max(customers // 100, 1) * 3}) g,
             (SELECT min(id) AS first_id FROM customers_customer) c
        """
    )
    for table in ("customers_customer", "customers_order", "customers_intentevent"):
        _execute(f"VACUUM ANALYZE {table}")
    stdout.write(
        f"  generated {customers:,} customers and {orders:,} orders "
        f"in {time.perf_counter() - started:,.0f} s"
    )


def _first_run(policy):
    """Build the summaries from the orders, then score: what a fresh database does. Timed
    as before this suite had summaries: up to the run's end, not counting the receivers of
    ``tier_changed`` after the commit (campaigns records a million first upgrades)."""
    from customers.services.order_summaries import order_summaries_rebuild
    from segmentation.models import RunTrigger
    from segmentation.services.scoring import policy_edges, scoring_run

    started = time.perf_counter()
    rows = order_summaries_rebuild(policy_edges(policy, timezone.now()))
    built = time.perf_counter() - started
    run = scoring_run(trigger=RunTrigger.MANUAL, policy=policy)
    seconds = built + (run.finished_at - run.started_at).total_seconds()
    return run, built, seconds, rows


def _live_latency(*, customers: int, samples: int) -> list[float]:
    """Seconds from recording one order (order service, committed) to its customer's
    re-scored tier and RFM stored (the live re-score, run in process)."""
    from customers.models import Customer
    from customers.services.orders import LineInput, order_record
    from segmentation.services.scoring import scoring_live

    rng = random.Random(42)  # noqa: S311  (which customers buy; nothing secret)
    first = Customer.objects.order_by("pk").values_list("pk", flat=True).first()
    seconds = []
    for number in range(samples):
        customer = Customer.objects.get(pk=first + rng.randrange(customers))
        started = time.perf_counter()
        with transaction.atomic():
            order_record(
                customer=customer,
                order_no=f"LIVE-{number}-{rng.random()}",
                ordered_at=timezone.now(),
                lines=[LineInput(product="bench", unit_price=Decimal("88.00"))],
                user=None,
            )
        scoring_live()
        seconds.append(time.perf_counter() - started)
        scored = Customer.objects.filter(pk=customer.pk).values_list("scored_at", flat=True)[0]
        assert scored is not None and scored >= timezone.now() - dt.timedelta(minutes=1)
    return seconds


def run(*, scale: float, stdout) -> list[Figure]:
    from segmentation.models import RunTrigger
    from segmentation.services.scoring import current_policy, scoring_preview, scoring_run

    customers = max(int(1_000_000 * scale), 100)
    orders = max(int(10_000_000 * scale), 1000)
    _generate(customers=customers, orders=orders, stdout=stdout)

    def baseline() -> None:
        _execute("DROP TABLE IF EXISTS bench_group_by")
        _execute(BASELINE_SQL)

    baseline()  # warm the cache the same way for both
    baseline_seconds = sorted(timed(baseline, repeat=3))[1]
    _execute("DROP TABLE IF EXISTS bench_group_by")
    stdout.write(f"  bare GROUP BY: {baseline_seconds:.2f} s")

    policy = current_policy()
    first, built_seconds, first_seconds, rows = _first_run(policy)
    stdout.write(
        f"  first scoring run: {first_seconds:.2f} s (summaries of {rows:,} customers built "
        f"in {built_seconds:.2f} s), {first.customers_changed:,} customers updated, "
        f"VIP levels {first.distribution.get('vip_level')}"
    )
    _execute("VACUUM ANALYZE customers_customerordersummary")
    _execute("VACUUM ANALYZE customers_customer")
    reruns = timed(lambda: scoring_run(trigger=RunTrigger.NIGHTLY), repeat=2)
    rerun_seconds = min(reruns)
    stdout.write(f"  nightly re-run (nothing changed): {rerun_seconds:.2f} s")
    preview_seconds = timed(lambda: scoring_preview(policy=policy), repeat=1)[0]
    stdout.write(f"  policy preview: {preview_seconds:.2f} s")
    live = _live_latency(customers=customers, samples=20)
    live_ms = median_ms(live)
    stdout.write(f"  one order → its customer re-scored: median {live_ms:.0f} ms")

    goal = "≤ 2× the bare GROUP BY"
    baseline_name = "GROUP BY customer over orders into a temp table"
    return [
        Figure(
            f"nightly scoring run, {customers:,} customers / {orders:,} orders",
            rerun_seconds,
            "s",
            baseline_name,
            baseline_seconds,
            goal=goal,
        ),
        Figure(
            "first scoring run (order summaries built from the orders, every customer's "
            "figures written)",
            first_seconds,
            "s",
            baseline_name,
            baseline_seconds,
            goal=goal,
        ),
        Figure(
            "tier policy preview (no writes)",
            preview_seconds,
            "s",
            baseline_name,
            baseline_seconds,
            goal=goal,
        ),
        Figure(
            "one new order re-scores its customer (order service + live re-score in "
            "process, median of 20; a worker adds the 5 s batching delay)",
            live_ms,
            "ms",
            goal="within a minute",
        ),
    ]


register_suite("segmentation", run)
