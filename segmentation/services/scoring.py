# SQL below is assembled only from this module's constants; every value is a bound parameter.
# ruff: noqa: S608
"""The scoring run: RFM scores, value tier, lifecycle, loyalty score and VIP level of every
active customer, computed in one set-based SQL statement and written back in bulk (care
programme §2). No query runs per customer: the scores (with each customer's current values
alongside) go into a temporary table with ``CREATE TEMPORARY TABLE … AS``; tier history is
one ``INSERT … SELECT`` per field; the customers whose figures changed get one
``UPDATE … FROM``. Preview and apply build that table with the same query, so a preview shows
exactly what applying the same policy at the same moment writes.

Where the figures come from
    The run reads the per-customer order summaries (``customers.CustomerOrderSummary``,
    kept by every order writer in its own transaction) instead of every order. Their window
    figures count from stored edges; a run first moves the edges to its own window
    (recomputing only the customers with orders between the old and new edge), and any
    customer whose summary still does not fit the run (orders after ``as_of``, or a preview
    with another window) is computed from their orders — so the result is exactly the
    orders' (tests compare both on random data). Without summaries the first run builds
    them in one statement.

Live scores
    A new, changed or moved order updates its customer's total spend, purchases and first
    and last purchase at once (same transaction), and marks the customer; a re-score queued
    on commit (:func:`scoring_live`, a few seconds of batching) scores the marked customers
    alone with the same rules, placing them by the *cut points* of the last full run
    (:func:`cut_points`: the values where R, F and M scores turn, the spend that reaches the
    top percentage, the mean AOV) under that run's policy. A live score is what the last run
    would have given the customer with their new orders, everyone else as they were; the
    next full run re-ranks everyone (moving cut points may then shift customers who bought
    nothing). Tier and level moves found live are recorded like a run's, in a run of
    trigger "live", and ``tier_changed`` is sent for it.

All rules below read their thresholds from the :class:`~segmentation.models.TierPolicy`
in force; the defaults are given in brackets. "The window" is the last ``window_days``
[365] days before the run (an order at exactly ``as_of - window_days`` is outside it).

Purchases and refunds
    An order with a positive amount is a *purchase*; a negative amount is a *refund*. Refunds
    lower the spend figures (spend is net) but are not purchases. Zero-amount orders count
    for nothing.

Figures written onto ``Customer``
    ``total_spend`` net spend ever; ``spend_12m`` net spend in the window;
    ``purchase_count`` purchases ever; ``purchase_count_12m`` purchases in the window;
    ``first/last_purchase_on`` dates (Asia/Shanghai) of the first and last purchase;
    ``average_order_value`` (AOV) = ``spend_12m / purchase_count_12m`` (0 without purchases
    in the window, never below 0); ``repurchase_rate`` = share of the window's purchases
    that were not the customer's first purchase ever (1 purchase in the window after earlier
    ones = 100 %; 3 purchases, the first ever among them = 2/3; none = 0).

RFM scores (1–5, by quintile; customers who never bought get none)
    R orders by the date of the last purchase, F by purchases in the window, M by spend in
    the window, among the N customers who ever bought. score = 1 + ⌊5 × (rank − 1) / N⌋
    where rank is the 1-based position in ascending order and **ties share the lowest
    rank** (SQL ``RANK()``). So equal values always get equal scores, and a tie straddling
    a quintile edge takes the lower score (many one-purchase customers all get F = 1).

RFM segments (first match wins; R, F, M are the scores)
    champions: R ≥ 4 and F ≥ 4 · loyal: R ≥ 3 and F ≥ 3 · new: R ≥ 4 and F = 1 ·
    potential loyalists: other R ≥ 3 · can't lose: R = 1 and (F ≥ 4 or M ≥ 4) ·
    at risk: other R ≤ 2 with F ≥ 3 · hibernating: other R = 2 · lost: the rest (R = 1).

Loyalty score (0–100, integer, rounded half up)
    7.5 × (R − 1) + 7.5 × (F − 1) + 5 × (M − 1) + 20 × repurchase rate, i.e. recency 30 %,
    frequency 30 %, monetary 20 %, repurchase 20 %; 0 for customers who never bought.

Value tier (first match wins)
    high: among customers with a purchase in the window, spend in the window is in the top
    ``high_spend_top_percent`` [20] % (rank by spend descending, ties share the best rank,
    a customer is in when rank ≤ ⌈P % × their number⌉) AND repurchase rate above
    ``high_repurchase_rate`` [0.5] AND AOV above ``high_aov_multiple`` [1.5] × the mean AOV
    of those customers; medium: at least ``medium_min_purchases`` [2] purchases in the
    window (steady buying with ordinary amounts); potential: exactly one purchase ever
    (first purchase only) or at least ``potential_intent_events`` [2] intent events
    (e.g. add-to-cart without paying) in the last ``potential_intent_days`` [30] days;
    low: everyone else. (the care programme's "occasional purchases with positive feedback" joins
    medium once surveys exist.)

Lifecycle (first match wins; dates in Asia/Shanghai)
    new: the relationship (registration date, else first purchase, else record creation)
    started less than ``new_customer_months`` [6] months ago; lost: no purchase in the last
    ``lost_days`` [365] days, or never bought; churn risk: no purchase in the last
    ``churn_days`` [90] days, or falling activity — purchases in the last ``churn_days``
    fell by at least ``falling_drop_percent`` [50] % against the ``churn_days`` before;
    active: everyone else.

VIP level (the highest level whose criteria match; a level matches when ANY of its filled
in criteria is strictly exceeded; customers who never bought stay normal)
    spend in the window > ``<level>_annual_spend``; monthly average > ``<level>_monthly_spend``
    where monthly average = spend in the window × 30 ÷ days since the first purchase
    (+1, at least 90, at most the window); purchases in the window > ``<level>_purchases``;
    loyalty score > ``<level>_loyalty``. Defaults: silver ¥100,000 / ¥5,000 / 10 / 80,
    gold ¥200,000 / ¥15,000 / 24, diamond ¥500,000 (care programme §2 example rules).

A customer's value tier and VIP level changes are kept as ``TierChange`` rows (with the
figures behind them); ``segmentation.signals.tier_changed`` fires once per run after commit.
"""

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecrm.core.bulk_sql import bulk_statement_settings
from carecrm.core.dispatch import task_by_name
from customers.models import SCORED_FIELDS, LifecycleStage, ValueTier, VipLevel
from customers.services.order_summaries import (
    SUMMARY_TABLE,
    SummaryEdges,
    cents_sum,
    edges_between,
    order_summaries_rebase,
    rescore_pending_take,
    summary_edges,
)
from segmentation.models import (
    DEFAULTS_NOTE,
    VALUE_TIER_RANK,
    VIP_LEVEL_RANK,
    RfmSegment,
    RunTrigger,
    ScoringRun,
    TierChange,
    TierPolicy,
)
from segmentation.signals import tier_changed

SCORES_TABLE = "segmentation_scores_tmp"
CUTS_TABLE = "segmentation_cuts_tmp"
# The monthly average divides by at least three months, so that one large first order does
# not make a brand-new customer a VIP on its own.
MONTHLY_AVERAGE_MIN_DAYS = 90
# Any constant distinct from other advisory locks in the project.
_RUN_LOCK_KEY = 5_000_501

# Derived columns of customers_customer, all of them produced by the scoring query: the
# list customers keeps of them (nothing else writes them).
DERIVED_COLUMNS = SCORED_FIELDS
MATRIX_FIELDS = {
    "value_tier": ValueTier,
    "vip_level": VipLevel,
    "lifecycle_stage": LifecycleStage,
}


class ScoringBusy(Exception):
    """Another scoring run holds the lock; the caller may simply try later."""


class _Dialect:
    """The few SQL spellings that differ between PostgreSQL and SQLite."""

    def __init__(self, vendor: str, tz_name: str, as_of: dt.datetime) -> None:
        self.postgres = vendor == "postgresql"
        offset = as_of.astimezone(zoneinfo.ZoneInfo(tz_name)).utcoffset() or dt.timedelta()
        self.offset_minutes = int(offset.total_seconds() // 60)
        self.tz_name = tz_name

    def local_date(self, expr: str) -> str:
        if self.postgres:
            return f"(({expr}) AT TIME ZONE %(tz)s)::date"
        return f"date({expr}, '{self.offset_minutes:+d} minutes')"

    def days_since(self, date_expr: str) -> str:
        if self.postgres:
            return f"(CAST(%(as_of_date)s AS date) - {date_expr})"
        return f"CAST(julianday(%(as_of_date)s) - julianday({date_expr}) AS INTEGER)"

    def cents(self, expr: str) -> str:
        """A money column as whole cents: integer sums are exact and much cheaper than
        numeric ones (SQLite stores decimals as floats, hence the rounding there)."""
        if self.postgres:
            return f"CAST({expr} * 100 AS bigint)"
        return f"CAST(ROUND({expr} * 100) AS INTEGER)"

    def scaled(self, expr: str, places: int) -> str:
        """A whole number of hundredths (cents, ``places`` 2) or ten-thousandths as a
        decimal: multiplying by 0.01 is exact in numeric and far cheaper than dividing
        (SQLite rounds its float quotient to the place instead)."""
        if self.postgres:
            return f"(({expr}) * 0.{'0' * (places - 1)}1)"
        return f"ROUND(({expr}) / {10**places}.0, {places})"

    def num(self, name: str) -> str:
        return f"CAST(%({name})s AS {'numeric' if self.postgres else 'REAL'})"

    def date(self, name: str) -> str:
        return f"CAST(%({name})s AS date)" if self.postgres else f"%({name})s"

    @property
    def fence(self) -> str:
        """Ends a CTE that is named once but whose columns the next one names many times.
        PostgreSQL inlines such a CTE and copies each column's expression to every place
        it is named (``changed`` names all sixteen new values, the segment rules the RFM
        scores again and again), computing each several times per customer. ``OFFSET 0``
        keeps it a subquery whose columns are computed once: a quarter of a million-customer
        run."""
        return "OFFSET 0" if self.postgres else ""

    @property
    def greatest(self) -> str:
        return "GREATEST" if self.postgres else "MAX"

    @property
    def least(self) -> str:
        return "LEAST" if self.postgres else "MIN"

    @property
    def distinct(self) -> str:
        return "IS DISTINCT FROM" if self.postgres else "IS NOT"


def _params(policy: TierPolicy, as_of: dt.datetime) -> dict:
    ops = connection.ops
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    as_of_date = as_of.astimezone(tz).date()

    def stamp(value: dt.datetime):
        return ops.adapt_datetimefield_value(value)

    params = {
        "tz": settings.TIME_ZONE,
        "as_of": stamp(as_of),
        "as_of_date": as_of_date.isoformat(),
        "window_start": stamp(as_of - dt.timedelta(days=policy.window_days)),
        "recent_start": stamp(as_of - dt.timedelta(days=policy.churn_days)),
        "previous_start": stamp(as_of - dt.timedelta(days=2 * policy.churn_days)),
        "intent_start": stamp(as_of - dt.timedelta(days=policy.potential_intent_days)),
        "new_since": (as_of_date - relativedelta(months=policy.new_customer_months)).isoformat(),
        "lost_before": (as_of_date - dt.timedelta(days=policy.lost_days)).isoformat(),
        "churn_before": (as_of_date - dt.timedelta(days=policy.churn_days)).isoformat(),
        "window_days": policy.window_days,
        "monthly_min_days": MONTHLY_AVERAGE_MIN_DAYS,
        "top_percent": policy.high_spend_top_percent,
        "high_rr": policy.high_repurchase_rate,
        "aov_multiple": policy.high_aov_multiple,
        "medium_min": policy.medium_min_purchases,
        "intent_min": policy.potential_intent_events,
        "falling_drop": policy.falling_drop_percent,
    }
    for level in ("silver", "gold", "diamond"):
        for criterion in ("annual_spend", "monthly_spend", "purchases", "loyalty"):
            name = f"{level}_{criterion}"
            params[name] = getattr(policy, name)
        for criterion in ("annual_spend", "monthly_spend"):
            value = params[f"{level}_{criterion}"]  # whole cents (the field has 2 places)
            params[f"{level}_{criterion}_cents"] = None if value is None else int(value * 100)
    return params


def _vip_condition(policy: TierPolicy, level: str) -> str:
    """Money compares in whole cents; "monthly average > X" is spend × 30 ÷ days > X,
    i.e. spend × 30 > X × days: exact integers, no division per customer."""
    criteria = []
    if getattr(policy, f"{level}_annual_spend") is not None:
        criteria.append(f"s.window_cents > %({level}_annual_spend_cents)s")
    if getattr(policy, f"{level}_monthly_spend") is not None:
        criteria.append(f"s.window_cents * 30 > %({level}_monthly_spend_cents)s * s.average_days")
    if getattr(policy, f"{level}_purchases") is not None:
        criteria.append(f"s.count_w > %({level}_purchases)s")
    if getattr(policy, f"{level}_loyalty") is not None:
        criteria.append(f"s.loyalty > %({level}_loyalty)s")
    if not criteria:
        return "1 = 0"
    return f"s.buyer = 1 AND ({' OR '.join(criteria)})"


def _orders_aggregate(d: _Dialect, where: str) -> str:
    """The per-customer figures straight from the orders (alias ``o``) matching ``where``."""
    return f"""
    SELECT o.customer_id,
        {cents_sum("o.amount")} AS total_cents,
        COUNT(*) FILTER (WHERE o.amount > 0) AS purchase_count,
        {cents_sum("o.amount", "o.ordered_at > %(window_start)s")} AS window_cents,
        COUNT(*) FILTER (WHERE o.amount > 0 AND o.ordered_at > %(window_start)s) AS count_w,
        COUNT(*) FILTER (WHERE o.amount > 0 AND o.ordered_at > %(recent_start)s)
            AS count_recent,
        COUNT(*) FILTER (WHERE o.amount > 0 AND o.ordered_at > %(previous_start)s
                         AND o.ordered_at <= %(recent_start)s) AS count_previous,
        MIN(o.ordered_at) FILTER (WHERE o.amount > 0) AS first_at,
        MAX(o.ordered_at) FILTER (WHERE o.amount > 0) AS last_at
    FROM customers_order o
    WHERE o.ordered_at <= %(as_of)s AND {where}
    GROUP BY o.customer_id"""


def policy_edges(policy: TierPolicy, as_of: dt.datetime) -> SummaryEdges:
    """The window edges a run under ``policy`` at ``as_of`` counts from."""
    return SummaryEdges(
        window_start=as_of - dt.timedelta(days=policy.window_days),
        recent_start=as_of - dt.timedelta(days=policy.churn_days),
        previous_start=as_of - dt.timedelta(days=2 * policy.churn_days),
    )


def _aggregate_cte(
    d: _Dialect, policy: TierPolicy, as_of: dt.datetime, params: dict, customers: str | None
) -> str:
    """``agg``: one row of order figures per customer who has orders.

    Scoring a few customers (``customers``: an SQL list of ids) reads their orders. Scoring
    everyone reads the order summaries, except for the customers whose summary does not
    fit this run: those with orders between the summaries' window edges and this run's
    (none when the summaries were moved to this run's edges) or after ``as_of``; their
    figures come from their orders, so the result is the orders' to the cent."""
    if customers is not None:
        return f"agg AS ({_orders_aggregate(d, f'o.customer_id IN ({customers})')})"
    stored = summary_edges()
    if stored is None:
        return f"agg AS ({_orders_aggregate(d, '1 = 1')})"
    moved = edges_between(stored, policy_edges(policy, as_of), alias="x")
    condition = "x.ordered_at > %(as_of)s"
    if moved:
        condition += f" OR {moved[0]}"
        params.update(moved[1])
    return f"""dirty AS (
    SELECT DISTINCT x.customer_id FROM customers_order x WHERE {condition}
),
agg AS (
    SELECT s.customer_id, s.net_cents AS total_cents, s.purchases AS purchase_count,
        s.window_cents AS window_cents, s.window_purchases AS count_w,
        s.recent_purchases AS count_recent,
        s.previous_purchases - s.recent_purchases AS count_previous,
        s.first_purchase_at AS first_at, s.last_purchase_at AS last_at
    FROM {SUMMARY_TABLE} s
    WHERE NOT EXISTS (SELECT 1 FROM dirty y WHERE y.customer_id = s.customer_id)
    UNION ALL
    {_orders_aggregate(d, "o.customer_id IN (SELECT y.customer_id FROM dirty y)")}
)"""


def _quintile_cuts(name: str, column: str, source: str) -> str:
    """``<name>``: the four values where a buyer's score on ``column`` turns, the
    ⌈s × N / 5⌉-th smallest for s = 1…4 (a score is at least s + 1 when the value exceeds
    it), and ``top``, the K-th largest (K from ``stats``), from the buyers' distinct values
    and running counts, which sorts only the distinct values."""
    picks = ", ".join(
        f"MIN(g.v) FILTER (WHERE g.cum >= ({step} * g.buyers + 4) / 5) AS c{step}"
        for step in range(1, 5)
    )
    return f"""{name} AS (
    SELECT {picks}, MAX(g.v) FILTER (WHERE g.buyers - g.cum + g.n >= g.top) AS top
    FROM (SELECT v.v, v.n, st.buyers, st.top,
                 CAST(SUM(v.n) OVER (ORDER BY v.v) AS INTEGER) AS cum
          FROM (SELECT {column} AS v, COUNT(*) AS n FROM {source} WHERE m.buyer = 1
                GROUP BY {column}) v
          CROSS JOIN stats st) g
)"""


def _position_cuts(name: str, column: str, source: str) -> str:
    """The same cut points as :func:`_quintile_cuts`, read off positions in one sort of
    the values: the ⌈s × N / 5⌉-th smallest is the value at that position, the K-th
    largest the value at N − K + 1 (the largest when K is 0). For spend, where nearly every
    buyer has a value of their own, grouping the values first costs more than it saves."""
    picks = ", ".join(
        f"MIN(p.v) FILTER (WHERE p.rn = ({step} * p.buyers + 4) / 5) AS c{step}"
        for step in range(1, 5)
    )
    return f"""{name} AS (
    SELECT {picks},
        MIN(p.v) FILTER (WHERE p.rn = CASE WHEN p.top > 0 THEN p.buyers - p.top + 1
                                           ELSE p.buyers END) AS top
    FROM (SELECT {column} AS v, st.buyers, st.top,
                 ROW_NUMBER() OVER (ORDER BY {column}) AS rn
          FROM {source} CROSS JOIN stats st WHERE m.buyer = 1) p
)"""


def _cut_ctes(source: str) -> str:
    """``stats`` (buyers, window buyers, K of the top percentage, mean AOV of window
    buyers) and the cut points ``r_cuts``, ``f_cuts``, ``m_cuts`` of the customers in
    ``source`` (a FROM item aliased ``m`` with ``buyer``, ``window_buyer``, ``aov``,
    ``last_on``, ``count_w`` and ``window_cents``). The full run places everyone by them
    and stores them for live scores (:func:`cut_points`): both read this one definition.

    With N buyers, a score is at least s when at least ⌈(s − 1) × N / 5⌉ buyers have a
    smaller value (the rank rule, ties sharing the lowest rank), i.e. when the value
    exceeds the ⌈(s − 1) × N / 5⌉-th smallest. A buyer is in the top spend percentage when
    fewer than K buyers spend more (K = ⌈P % × window buyers⌉), i.e. when their spend is
    at least the K-th largest."""
    return f"""stats AS (
    SELECT CAST(SUM(m.buyer) AS INTEGER) AS buyers,
        CAST(SUM(m.window_buyer) AS INTEGER) AS window_buyers,
        (%(top_percent)s * CAST(SUM(m.window_buyer) AS INTEGER) + 99) / 100 AS top,
        AVG(CASE WHEN m.window_buyer = 1 THEN m.aov END) AS mean_aov
    FROM {source}
),
{_quintile_cuts("r_cuts", "m.last_on", source)},
{_quintile_cuts("f_cuts", "m.count_w", source)},
{_position_cuts("m_cuts", "m.window_cents", source)}"""


# The row of cut points that :func:`_cut_ctes` defines, as :func:`cut_points` reads it.
CUT_ROW = (
    "SELECT st.buyers, st.window_buyers, st.mean_aov, st.top, "
    "rc.c1, rc.c2, rc.c3, rc.c4, fc.c1, fc.c2, fc.c3, fc.c4, mc.c1, mc.c2, mc.c3, mc.c4, mc.top "
    "FROM stats st CROSS JOIN r_cuts rc CROSS JOIN f_cuts fc CROSS JOIN m_cuts mc"
)
CUTS_TABLE_COLUMNS = (
    "buyers integer, window_buyers integer, mean_aov numeric, top integer, "
    "r1 date, r2 date, r3 date, r4 date, f1 bigint, f2 bigint, f3 bigint, f4 bigint, "
    "m1 bigint, m2 bigint, m3 bigint, m4 bigint, m_top bigint"
)


def _ranking_from_own_cuts() -> str:
    """``ranked`` for a full run: the run's own cut points (one row, from every buyer),
    then each customer placed by comparing with them — the placing a live score does with
    a stored run's cut points, without joining every customer to a table of ranks."""

    def score(name: str, cuts: str, column: str) -> str:
        steps = " + ".join(
            f"CASE WHEN {column} > {cuts}.c{step} THEN 1 ELSE 0 END" for step in range(1, 5)
        )
        return f"CASE WHEN m.buyer = 1 THEN 1 + {steps} END AS {name}_score"

    return f"""{_cut_ctes("metrics m")},
ranked AS (
    SELECT m.*, {score("r", "rc", "m.last_on")}, {score("f", "fc", "m.count_w")},
        {score("m", "mc", "m.window_cents")},
        CASE WHEN m.buyer = 1 AND st.top > 0 AND m.window_cents >= mc.top
             THEN 1 ELSE 0 END AS in_top,
        st.mean_aov AS mean_aov
    FROM metrics m
    CROSS JOIN stats st
    CROSS JOIN r_cuts rc
    CROSS JOIN f_cuts fc
    CROSS JOIN m_cuts mc
)"""


def _ranking_ctes(d: _Dialect, cuts: dict | None, params: dict) -> str:
    """``ranked``: the metrics with RFM scores, ``in_top`` (spend in the top percentage)
    and ``mean_aov``. Without ``cuts`` every buyer is ranked against every other; with the
    cut points of a run (:func:`cut_points`) a few customers are placed among that run's."""
    if cuts is None:
        return _ranking_from_own_cuts()
    scores = []
    for letter, column, cast in (
        ("r", "m.last_on", "date"),
        ("f", "m.count_w", "int"),
        ("m", "m.window_cents", "int"),
    ):
        steps = []
        for step, value in enumerate(cuts[letter]):
            name = f"cut_{letter}{step}"
            params[name] = value
            bound = d.date(name) if cast == "date" else f"%({name})s"
            steps.append(f"CASE WHEN {column} > {bound} THEN 1 ELSE 0 END")
        scores.append(f"CASE WHEN m.buyer = 1 THEN 1 + {' + '.join(steps)} END AS {letter}_score")
    params["cut_top"] = cuts["top_cents"]
    params["cut_mean_aov"] = cuts["mean_aov"]
    return f"""ranked AS (
    SELECT m.*, {", ".join(scores)},
        CASE WHEN m.window_cents >= %(cut_top)s THEN 1 ELSE 0 END AS in_top,
        {d.num("cut_mean_aov")} AS mean_aov
    FROM metrics m
)"""


def scores_query(
    policy: TierPolicy,
    as_of: dt.datetime,
    *,
    customers: list[int] | None = None,
    cuts: dict | None = None,
    keep_cuts: bool = False,
) -> tuple[str, dict]:
    """The SELECT producing one row of derived figures per active customer (columns
    ``customer_id`` + :data:`DERIVED_COLUMNS`). Shared by preview and apply so both see the
    same numbers. With ``customers`` and ``cuts`` only those customers are scored, placed
    by the cut points of a previous run (live scores). With ``keep_cuts`` (PostgreSQL, a
    full run) the statement also writes its own cut points into :data:`CUTS_TABLE`, which
    must exist: computing them again from the scores costs a second of a million-customer
    run."""
    d = _Dialect(connection.vendor, settings.TIME_ZONE, as_of)
    params = _params(policy, as_of)
    only = ", ".join(str(int(pk)) for pk in customers) if customers is not None else None
    changed = " OR ".join(f"cur.{column} {d.distinct} n.{column}" for column in DERIVED_COLUMNS)
    sql = f"""
WITH {_aggregate_cte(d, policy, as_of, params, only)},
intent AS (
    SELECT e.customer_id, COUNT(*) AS intent_count
    FROM customers_intentevent e
    WHERE e.occurred_at > %(intent_start)s AND e.occurred_at <= %(as_of)s
        {f"AND e.customer_id IN ({only})" if only is not None else ""}
    GROUP BY e.customer_id
),
base AS (
    SELECT c.id AS customer_id,
        COALESCE(a.total_cents, 0) AS total_cents,
        COALESCE(a.purchase_count, 0) AS purchase_count,
        COALESCE(a.window_cents, 0) AS window_cents,
        COALESCE(a.count_w, 0) AS count_w,
        COALESCE(a.count_recent, 0) AS count_recent,
        COALESCE(a.count_previous, 0) AS count_previous,
        {d.local_date("a.first_at")} AS first_on,
        {d.local_date("a.last_at")} AS last_on,
        CASE WHEN a.first_at > %(window_start)s THEN 1 ELSE 0 END AS first_in_window,
        COALESCE(c.registered_on, {d.local_date("a.first_at")},
                 {d.local_date("c.created_at")}) AS since_on,
        COALESCE(i.intent_count, 0) AS intent_count,
        CASE WHEN COALESCE(a.purchase_count, 0) > 0 THEN 1 ELSE 0 END AS buyer,
        CASE WHEN COALESCE(a.count_w, 0) > 0 THEN 1 ELSE 0 END AS window_buyer
    FROM customers_customer c
    LEFT JOIN agg a ON a.customer_id = c.id
    LEFT JOIN intent i ON i.customer_id = c.id
    WHERE c.status = 'active' {f"AND c.id IN ({only})" if only is not None else ""}
),
-- Ratios are rounded half up in integers (x / n to whole units is (2x + n) / (2n) for
-- x >= 0): the repurchase rate in ten-thousandths, the AOV in cents.
rates AS (
    SELECT b.*,
        CASE WHEN b.count_w > 0
             THEN (20000 * (b.count_w - b.first_in_window) + b.count_w) / (2 * b.count_w)
             ELSE 0 END AS rate_units,
        CASE WHEN b.count_w > 0 AND b.window_cents > 0
             THEN (2 * b.window_cents + b.count_w) / (2 * b.count_w)
             ELSE 0 END AS aov_cents,
        {d.days_since("b.first_on")} AS days_since_first
    FROM base b
),
metrics AS (
    SELECT r.*,
        {d.scaled("r.rate_units", 4)} AS repurchase_rate,
        {d.scaled("r.aov_cents", 2)} AS aov
    FROM rates r
),
{_ranking_ctes(d, cuts, params)},
{f"kept_cuts AS (INSERT INTO {CUTS_TABLE} {CUT_ROW})," if keep_cuts else ""}
scored AS (
    SELECT r.*,
        CASE WHEN r.buyer = 1
             THEN (75000 * (r.r_score + r.f_score - 2) + 50000 * (r.m_score - 1)
                   + 20 * r.rate_units + 5000) / 10000
             ELSE 0 END AS loyalty,
        {d.greatest}(%(monthly_min_days)s,
                     {d.least}(%(window_days)s, r.days_since_first + 1)) AS average_days
    FROM ranked r
    {d.fence}
),
new_values AS (
SELECT s.customer_id,
    {d.scaled("s.total_cents", 2)} AS total_spend,
    {d.scaled("s.window_cents", 2)} AS spend_12m,
    s.purchase_count AS purchase_count,
    s.count_w AS purchase_count_12m,
    s.first_on AS first_purchase_on,
    s.last_on AS last_purchase_on,
    s.aov AS average_order_value,
    s.repurchase_rate AS repurchase_rate,
    CASE WHEN s.buyer = 1 THEN s.r_score END AS rfm_recency,
    CASE WHEN s.buyer = 1 THEN s.f_score END AS rfm_frequency,
    CASE WHEN s.buyer = 1 THEN s.m_score END AS rfm_monetary,
    CASE
        WHEN s.buyer = 0 THEN ''
        WHEN s.r_score >= 4 AND s.f_score >= 4 THEN '{RfmSegment.CHAMPIONS}'
        WHEN s.r_score >= 3 AND s.f_score >= 3 THEN '{RfmSegment.LOYAL}'
        WHEN s.r_score >= 4 AND s.f_score = 1 THEN '{RfmSegment.NEW}'
        WHEN s.r_score >= 3 THEN '{RfmSegment.POTENTIAL_LOYALISTS}'
        WHEN s.r_score = 1 AND (s.f_score >= 4 OR s.m_score >= 4) THEN '{RfmSegment.CANT_LOSE}'
        WHEN s.f_score >= 3 THEN '{RfmSegment.AT_RISK}'
        WHEN s.r_score = 2 THEN '{RfmSegment.HIBERNATING}'
        ELSE '{RfmSegment.LOST}'
    END AS rfm_segment,
    CASE
        WHEN s.window_buyer = 1 AND s.window_cents > 0
             AND s.in_top = 1
             AND s.repurchase_rate > {d.num("high_rr")}
             AND s.aov > {d.num("aov_multiple")} * s.mean_aov THEN '{ValueTier.HIGH}'
        WHEN s.count_w >= %(medium_min)s THEN '{ValueTier.MEDIUM}'
        WHEN s.purchase_count = 1 OR s.intent_count >= %(intent_min)s
            THEN '{ValueTier.POTENTIAL}'
        ELSE '{ValueTier.LOW}'
    END AS value_tier,
    CASE
        WHEN {_vip_condition(policy, "diamond")} THEN '{VipLevel.DIAMOND}'
        WHEN {_vip_condition(policy, "gold")} THEN '{VipLevel.GOLD}'
        WHEN {_vip_condition(policy, "silver")} THEN '{VipLevel.SILVER}'
        ELSE '{VipLevel.NORMAL}'
    END AS vip_level,
    CASE
        WHEN s.since_on > {d.date("new_since")} THEN '{LifecycleStage.NEW}'
        WHEN s.last_on IS NULL OR s.last_on <= {d.date("lost_before")}
            THEN '{LifecycleStage.LOST}'
        WHEN s.last_on <= {d.date("churn_before")}
             OR (s.count_previous > 0
                 AND s.count_recent * 100 < s.count_previous * (100 - %(falling_drop)s))
            THEN '{LifecycleStage.CHURN_RISK}'
        ELSE '{LifecycleStage.ACTIVE}'
    END AS lifecycle_stage,
    s.loyalty AS loyalty_score,
    s.buyer AS buyer,
    s.window_cents AS window_cents
FROM scored s
{d.fence}
)
-- The current values ride along, so that previews, history and the update need no
-- second pass over the customers table.
SELECT n.*,
    cur.value_tier AS old_value_tier,
    cur.vip_level AS old_vip_level,
    cur.lifecycle_stage AS old_lifecycle_stage,
    CASE WHEN {changed} THEN 1 ELSE 0 END AS changed
FROM new_values n
JOIN customers_customer cur ON cur.id = n.customer_id
"""
    return sql, params


# The run sorts every customer a few times; this much memory keeps a million-customer
# run's sorts off disk.
SCORING_WORK_MEM = "256MB"


@contextmanager
def _scores_table(
    policy: TierPolicy, as_of: dt.datetime, *, keep_cuts: bool = False, **only
) -> Iterator:
    """Materialise the scores of every active customer (or of ``customers`` placed by
    ``cuts``, see :func:`scores_query`) in a temporary table for the duration of the block
    (inside the caller's transaction). ``keep_cuts`` (PostgreSQL): the scoring statement
    also keeps its cut points in :data:`CUTS_TABLE` for :func:`cut_points`."""
    sql, params = scores_query(policy, as_of, keep_cuts=keep_cuts, **only)
    temporary = [SCORES_TABLE, CUTS_TABLE]
    with connection.cursor() as cursor:
        if not only:
            bulk_statement_settings(cursor, work_mem=SCORING_WORK_MEM)
        for table in temporary:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        if keep_cuts:
            cursor.execute(f"CREATE TEMPORARY TABLE {CUTS_TABLE} ({CUTS_TABLE_COLUMNS})")
        cursor.execute(f"CREATE TEMPORARY TABLE {SCORES_TABLE} AS {sql}", params)
        try:
            yield cursor
        finally:
            for table in temporary:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")


@dataclass
class MoveMatrix:
    """How many customers go from each current value (row) to each new value (column)."""

    field: str
    choices: list[tuple[str, str]]
    cells: dict[tuple[str, str], int] = field(default_factory=dict)

    def count(self, old: str, new: str) -> int:
        return self.cells.get((old, new), 0)

    @property
    def moves(self) -> int:
        return sum(n for (old, new), n in self.cells.items() if old != new)

    @property
    def rows(self) -> list[dict]:
        """For templates: one row per current value with its counts per new value."""
        return [
            {
                "value": old,
                "label": label,
                "cells": [
                    {"value": new, "count": self.count(old, new), "changed": old != new}
                    for new, _label in self.choices
                ],
                "total": sum(self.count(old, new) for new, _l in self.choices),
            }
            for old, label in self.choices
        ]


@dataclass
class PreviewResult:
    as_of: dt.datetime
    customers: int
    matrices: dict[str, MoveMatrix]


def stored_matrices(stored: dict) -> dict[str, MoveMatrix]:
    """Matrices saved as ``{field: {"old|new": count}}`` (see ``PolicyPreview``)."""
    return {
        column: MoveMatrix(
            field=column,
            choices=[(str(value), str(label)) for value, label in MATRIX_FIELDS[column].choices],
            cells={
                tuple(key.split("|", 1)): count for key, count in stored.get(column, {}).items()
            },
        )
        for column in MATRIX_FIELDS
    }


def _matrix(cursor, column: str) -> MoveMatrix:
    cursor.execute(
        f"SELECT old_{column}, {column}, COUNT(*) FROM {SCORES_TABLE} "
        f"GROUP BY old_{column}, {column}"
    )
    choices = [(str(value), str(label)) for value, label in MATRIX_FIELDS[column].choices]
    return MoveMatrix(
        field=column,
        choices=choices,
        cells={(old, new): count for old, new, count in cursor.fetchall()},
    )


def scoring_preview(
    *, policy: TierPolicy, as_of: dt.datetime | None = None, keep_moves_for: int | None = None
) -> PreviewResult:
    """What a run under ``policy`` (saved or a draft) would change, without writing any
    customer. With ``keep_moves_for`` (a ``PolicyPreview`` id) the customers who would move
    are stored as ``PolicyPreviewMove`` rows, so each cell of the matrix can be listed."""
    as_of = as_of or timezone.now()
    with transaction.atomic(), _scores_table(policy, as_of) as cursor:
        matrices = {column: _matrix(cursor, column) for column in MATRIX_FIELDS}
        cursor.execute(f"SELECT COUNT(*) FROM {SCORES_TABLE}")
        customers = cursor.fetchone()[0]
        if keep_moves_for is not None:
            for column in MATRIX_FIELDS:
                cursor.execute(
                    "INSERT INTO segmentation_policypreviewmove "
                    "(preview_id, customer_id, field, old_value, new_value) "
                    f"SELECT %s, customer_id, %s, old_{column}, {column} FROM {SCORES_TABLE} "
                    f"WHERE old_{column} <> {column}",
                    [keep_moves_for, column],
                )
    return PreviewResult(as_of=as_of, customers=customers, matrices=matrices)


def _rank_case(column: str, ranks: dict) -> str:
    whens = " ".join(f"WHEN '{value}' THEN {rank}" for value, rank in ranks.items())
    return f"(CASE {column} {whens} ELSE 0 END)"


def _record_changes(cursor, *, run: ScoringRun, now) -> tuple[int, int]:
    """Insert one TierChange per customer whose tier or level moves (a first scoring of an
    unscored customer is not a change)."""
    counts = []
    for column, ranks, extra in (
        ("value_tier", VALUE_TIER_RANK, f"AND s.old_value_tier <> '{ValueTier.UNSCORED}'"),
        ("vip_level", VIP_LEVEL_RANK, ""),
    ):
        cursor.execute(
            f"""
            INSERT INTO segmentation_tierchange (customer_id, run_id, field, old_value,
                new_value, direction, spend_window, purchases_window, loyalty_score,
                repurchase_rate, changed_at)
            SELECT s.customer_id, %(run)s, %(field)s, s.old_{column}, s.{column},
                CASE WHEN {_rank_case("s." + column, ranks)}
                          > {_rank_case("s.old_" + column, ranks)}
                     THEN 'up' ELSE 'down' END,
                s.spend_12m, s.purchase_count_12m, s.loyalty_score, s.repurchase_rate, %(now)s
            FROM {SCORES_TABLE} s
            WHERE s.old_{column} <> s.{column} {extra}
            """,
            {"run": run.pk, "field": column, "now": connection.ops.adapt_datetimefield_value(now)},
        )
        counts.append(cursor.rowcount)
    return counts[0], counts[1]


def _apply(cursor, *, now) -> int:
    """Write the new figures of the customers whose figures changed."""
    assignments = ", ".join(f"{column} = s.{column}" for column in DERIVED_COLUMNS)
    cursor.execute(
        f"UPDATE customers_customer SET {assignments}, scored_at = %(now)s "
        f"FROM {SCORES_TABLE} s WHERE s.changed = 1 AND customers_customer.id = s.customer_id",
        {"now": connection.ops.adapt_datetimefield_value(now)},
    )
    return cursor.rowcount


DISTRIBUTION_COLUMNS = ("value_tier", "vip_level", "lifecycle_stage", "rfm_segment")


def _distribution(cursor) -> dict:
    """How many customers hold each value of the four grouped fields: one pass over the
    scores (a few hundred combinations), summed per field here."""
    columns = ", ".join(DISTRIBUTION_COLUMNS)
    cursor.execute(f"SELECT {columns}, COUNT(*) FROM {SCORES_TABLE} GROUP BY {columns}")
    result: dict[str, dict] = {column: {} for column in DISTRIBUTION_COLUMNS}
    for *values, count in cursor.fetchall():
        for column, value in zip(DISTRIBUTION_COLUMNS, values, strict=True):
            result[column][value] = result[column].get(value, 0) + count
    return result


def current_policy() -> TierPolicy:
    """The policy in force: the highest version (version 1 holds the care programme's defaults)."""
    policy = TierPolicy.objects.order_by("-version").first()
    if policy is None:
        policy = TierPolicy.objects.create(version=1, note=DEFAULTS_NOTE)
    return policy


def cut_points(cursor, policy: TierPolicy, *, kept: bool = False) -> dict:
    """Where the ranks of the run in the scores table turn (:func:`_cut_ctes`), so that
    one customer can be scored alone exactly as the run would have scored them: ``r``,
    ``f`` and ``m`` hold the values for scores 2…5, ``top_cents`` the spend that reaches
    the top percentage, ``mean_aov`` the run's mean AOV of window buyers. ``kept``: read
    the row the scoring statement kept (``keep_cuts``), else compute them from the scores."""
    if kept:
        cursor.execute(f"SELECT * FROM {CUTS_TABLE}")
    else:
        source = (
            f"(SELECT buyer, CASE WHEN purchase_count_12m > 0 THEN 1 ELSE 0 END "
            f"AS window_buyer, average_order_value AS aov, last_purchase_on AS last_on, "
            f"purchase_count_12m AS count_w, window_cents FROM {SCORES_TABLE}) m"
        )
        cursor.execute(
            f"WITH {_cut_ctes(source)} {CUT_ROW}",
            {"top_percent": policy.high_spend_top_percent},
        )
    buyers, window_buyers, mean_aov, top, *values = cursor.fetchone()
    cuts: dict = {"buyers": buyers or 0, "window_buyers": window_buyers or 0}
    for key, start in (("r", 0), ("f", 4), ("m", 8)):
        cuts[key] = [
            None if v is None else str(v) if key == "r" else int(v)
            for v in values[start : start + 4]
        ]
    cuts["top_cents"] = int(values[12]) if top and values[12] is not None else None
    cuts["mean_aov"] = (
        None
        if mean_aov is None
        else (str(mean_aov) if connection.vendor == "postgresql" else float(mean_aov))
    )
    return cuts


def _take_run_lock(cursor) -> None:
    if connection.vendor == "postgresql":
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_RUN_LOCK_KEY])
        if not cursor.fetchone()[0]:
            raise ScoringBusy(_("A scoring run is already in progress."))


def scoring_run(
    *,
    trigger: RunTrigger | str = RunTrigger.MANUAL,
    policy: TierPolicy | None = None,
    user=None,
    as_of: dt.datetime | None = None,
) -> ScoringRun:
    """Score every active customer under ``policy`` (default: the one in force), write the
    changed figures, record tier/level changes, and send ``tier_changed`` after commit.

    The order summaries' window edges are first moved to this run's (in a transaction of
    their own, so order writers wait only for that), then the run reads the summaries.
    Raises :class:`ScoringBusy` when another run is in progress (PostgreSQL)."""
    as_of = as_of or timezone.now()
    policy = policy or current_policy()
    order_summaries_rebase(policy_edges(policy, as_of))
    with transaction.atomic():
        with connection.cursor() as cursor:
            _take_run_lock(cursor)
        run = ScoringRun.objects.create(
            policy=policy,
            trigger=trigger,
            triggered_by=user if getattr(user, "pk", None) else None,
            as_of=as_of,
        )
        now = timezone.now()
        # SQLite has no INSERT inside a query: there the cut points are read off the scores.
        keep_cuts = connection.vendor == "postgresql"
        with _scores_table(policy, as_of, keep_cuts=keep_cuts) as cursor:
            run.tier_changes, run.level_changes = _record_changes(cursor, run=run, now=now)
            run.customers_changed = _apply(cursor, now=now)
            run.distribution = _distribution(cursor)
            run.cut_points = cut_points(cursor, policy, kept=keep_cuts)
            run.customers_scored = sum(run.distribution["value_tier"].values())
        run.finished_at = timezone.now()
        run.save()
        _announce(run)
    return run


def _announce(run: ScoringRun) -> None:
    changes = TierChange.objects.filter(run=run)
    if run.tier_changes or run.level_changes:
        transaction.on_commit(
            lambda: tier_changed.send(sender=ScoringRun, run=run, changes=changes)
        )


def last_full_run() -> ScoringRun | None:
    """The latest run that ranked everyone (its cut points place live scores)."""
    return (
        ScoringRun.objects.exclude(trigger=RunTrigger.LIVE)
        .exclude(finished_at=None)
        .exclude(cut_points={})
        .select_related("policy")
        .order_by("-started_at", "-pk")
        .first()
    )


LIVE_CHUNK = 2000
LIVE_TASK_NAME = "segmentation.rescore_live"
# Orders committed within this many seconds of each other share one live re-score.
LIVE_DELAY_SECONDS = 5
_LIVE_QUEUED_KEY = "segmentation:live-rescore-queued"


def live_rescore_enqueue() -> None:
    """Queue one live re-score a few seconds after the current transaction commits. While
    one is queued, later commits queue none (the queued one takes every marked customer
    when it runs; the mark expires a second before it does). A failure to queue does not
    fail the order that was already committed: its customer stays marked for the next."""

    def send() -> None:
        from carecrm.celery import app

        if not app.conf.task_always_eager and not cache.add(
            _LIVE_QUEUED_KEY, 1, timeout=LIVE_DELAY_SECONDS - 1
        ):
            return
        task_by_name(LIVE_TASK_NAME).apply_async(countdown=LIVE_DELAY_SECONDS)

    transaction.on_commit(send, robust=True)


def scoring_live(
    *, customer_ids: list[int] | None = None, as_of: dt.datetime | None = None
) -> dict:
    """Re-score customers alone: those given, else those whose orders changed since they
    were last re-scored (the order summaries' pending mark, taken here). Scores are placed
    by the last full run's cut points under that run's policy; changed figures are written
    and tier/level moves recorded as the nightly run does, in a live run (one per call that
    moves anyone) whose ``tier_changed`` follows the commit. Running it again changes
    nothing. Raises :class:`ScoringBusy` while a full run holds the lock (the marks stay)."""
    as_of = as_of or timezone.now()
    result = {"scored": 0, "changed": 0, "run": None}
    with transaction.atomic():
        with connection.cursor() as cursor:
            _take_run_lock(cursor)
        ids = sorted(set(customer_ids)) if customer_ids is not None else rescore_pending_take()
        last = last_full_run()
        if not ids or last is None:
            return result
        run = None
        now = timezone.now()
        for start in range(0, len(ids), LIVE_CHUNK):
            chunk = ids[start : start + LIVE_CHUNK]
            with _scores_table(last.policy, as_of, customers=chunk, cuts=last.cut_points) as cursor:
                if run is None and _has_moves(cursor):
                    run = ScoringRun.objects.create(
                        policy=last.policy, trigger=RunTrigger.LIVE, as_of=as_of
                    )
                if run is not None:
                    tiers, levels = _record_changes(cursor, run=run, now=now)
                    run.tier_changes += tiers
                    run.level_changes += levels
                changed = _apply(cursor, now=now)
                cursor.execute(f"SELECT COUNT(*) FROM {SCORES_TABLE}")
                scored = cursor.fetchone()[0]
            result["scored"] += scored
            result["changed"] += changed
            if run is not None:
                run.customers_scored += scored
                run.customers_changed += changed
        if run is not None:
            run.finished_at = timezone.now()
            run.save()
            result["run"] = run.pk
            _announce(run)
    return result


def _has_moves(cursor) -> bool:
    cursor.execute(
        f"SELECT 1 FROM {SCORES_TABLE} WHERE old_vip_level <> vip_level OR "
        f"(old_value_tier <> value_tier AND old_value_tier <> '{ValueTier.UNSCORED}') LIMIT 1"
    )
    return cursor.fetchone() is not None
