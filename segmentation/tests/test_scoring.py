"""The scoring run against a hand-built dataset whose every figure was computed by hand.

as_of = 2026-06-30 12:00 Asia/Shanghai; window 365 days; churn 90 days (recent period
Apr 1 – Jun 30, previous Jan 1 – Apr 1); new customers registered after 2025-12-30.
Ten customers ever bought (N = 10), so score = 1 + ⌊(rank − 1) / 2⌋, ties sharing the
lowest rank.
"""

import datetime as dt
import zoneinfo
from collections import Counter
from decimal import Decimal

import pytest

from customers.models import SCORED_FIELDS, Customer, IntentEvent
from customers.tests.factories import CustomerFactory, OrderFactory
from segmentation.models import RunTrigger, ScoringRun, TierChange, TierPolicy
from segmentation.services import scoring
from segmentation.services.scoring import scoring_preview, scoring_run
from segmentation.signals import tier_changed

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
AS_OF = dt.datetime(2026, 6, 30, 12, 0, tzinfo=SHANGHAI)


def days_ago(days: int) -> dt.datetime:
    return AS_OF - dt.timedelta(days=days)


def on(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 12, 0, tzinfo=SHANGHAI)


def make_policy(**overrides) -> TierPolicy:
    """Explicit VIP thresholds so the expected table reads on its own."""
    values = {
        "silver_annual_spend": Decimal("100000"),
        "silver_monthly_spend": None,
        "silver_purchases": 10,
        "silver_loyalty": 80,
        "gold_annual_spend": Decimal("200000"),
        "gold_monthly_spend": Decimal("15000"),
        "gold_purchases": None,
        "gold_loyalty": None,
        "diamond_annual_spend": Decimal("500000"),
        "diamond_monthly_spend": None,
        "diamond_purchases": None,
        "diamond_loyalty": None,
    }
    values.update(overrides)
    version = TierPolicy.objects.order_by("-version").values_list("version", flat=True)[:1]
    return TierPolicy.objects.create(version=(version[0] if version else 0) + 1, **values)


def buy(customer, when, amount):
    OrderFactory(customer=customer, ordered_at=when, amount=Decimal(amount))


@pytest.fixture
def dataset(department_a):
    def customer(name, registered=dt.date(2024, 1, 1)):
        return CustomerFactory(name=name, department=department_a, registered_on=registered)

    people = {name: customer(name) for name in "ABCDEGHIJ"}
    people["F"] = customer("F", registered=dt.date(2026, 3, 1))
    people["L"] = customer("L", registered=dt.date(2026, 2, 1))
    people["M"] = customer("M", registered=dt.date(2026, 5, 15))

    # A: monthly buyer since 2024, 12 × ¥10,000 in the window (10, 40, ..., 340 days ago).
    buy(people["A"], on(2024, 6, 1), "1000")
    for k in range(12):
        buy(people["A"], days_ago(10 + 30 * k), "10000")
    # B: three ¥200,000 orders in the window, an older first purchase.
    buy(people["B"], on(2024, 5, 1), "1000")
    for days in (20, 100, 200):
        buy(people["B"], days_ago(days), "200000")
    # C: two purchases, then a refund of one (net ¥5,000, still 2 purchases).
    buy(people["C"], on(2026, 3, 2), "5000")
    buy(people["C"], on(2026, 5, 31), "5000")
    buy(people["C"], on(2026, 6, 5), "-5000")
    # D: a single order.
    buy(people["D"], on(2026, 5, 1), "800")
    # E: no orders at all. F: new, no orders, two add-to-cart events this month.
    for days in (3, 12):
        IntentEvent.objects.create(customer=people["F"], occurred_at=days_ago(days))
    # G exactly on the silver spend threshold, H one cent pair above it.
    for name, amount in (("G", "50000"), ("H", "50000.01")):
        buy(people[name], on(2024, 3, 1), "1000")
        buy(people[name], on(2025, 12, 1), amount)
        buy(people[name], on(2026, 3, 22), amount)
    # I: bought twice, last 400 days ago.
    buy(people["I"], on(2024, 12, 1), "700")
    buy(people["I"], days_ago(400), "700")
    # J: four purchases in Feb–Mar, one in June: falling activity.
    buy(people["J"], on(2024, 5, 1), "1000")
    for when in (on(2026, 2, 5), on(2026, 2, 20), on(2026, 3, 5), on(2026, 3, 20)):
        buy(people["J"], when, "1000")
    buy(people["J"], on(2026, 6, 20), "1000")
    # L: new customer, two purchases.
    buy(people["L"], on(2026, 2, 10), "3000")
    buy(people["L"], on(2026, 6, 25), "3000")
    # M: new customer buying fast: ¥50,000 in 40 days → monthly average ¥50,000 × 30 / 90
    # (the divisor is at least 90 days) = ¥16,667 > gold's ¥15,000.
    buy(people["M"], on(2026, 5, 21), "25000")
    buy(people["M"], on(2026, 6, 28), "25000")
    return people


# name: (R, F, M, segment, loyalty, repurchase, AOV, tier, VIP level, lifecycle)
EXPECTED = {
    "A": (4, 5, 5, "champions", 93, "1.0000", "10000.00", "medium", "silver", "active"),
    "B": (3, 4, 5, "loyal", 78, "1.0000", "200000.00", "high", "diamond", "active"),
    "C": (3, 2, 2, "potential_loyalists", 38, "0.5000", "2500.00", "medium", "normal", "active"),
    "D": (2, 1, 1, "hibernating", 8, "0.0000", "800.00", "potential", "normal", "active"),
    "E": (None, None, None, "", 0, "0.0000", "0.00", "low", "normal", "lost"),
    "F": (None, None, None, "", 0, "0.0000", "0.00", "potential", "normal", "new"),
    "G": (1, 2, 4, "cant_lose", 43, "1.0000", "50000.00", "medium", "normal", "churn_risk"),
    "H": (1, 2, 4, "cant_lose", 43, "1.0000", "50000.01", "medium", "silver", "churn_risk"),
    "I": (1, 1, 1, "lost", 0, "0.0000", "0.00", "low", "normal", "lost"),
    "J": (4, 5, 2, "champions", 78, "1.0000", "1000.00", "medium", "normal", "churn_risk"),
    "L": (5, 2, 3, "potential_loyalists", 58, "0.5000", "3000.00", "medium", "normal", "new"),
    "M": (5, 2, 3, "potential_loyalists", 58, "0.5000", "25000.00", "medium", "gold", "new"),
}

# name: (total spend, spend in window, purchases, purchases in window, first, last)
EXPECTED_FIGURES = {
    "A": ("121000.00", "120000.00", 13, 12, dt.date(2024, 6, 1), dt.date(2026, 6, 20)),
    "C": ("5000.00", "5000.00", 2, 2, dt.date(2026, 3, 2), dt.date(2026, 5, 31)),
    "E": ("0.00", "0.00", 0, 0, None, None),
    "G": ("101000.00", "100000.00", 3, 2, dt.date(2024, 3, 1), dt.date(2026, 3, 22)),
    "H": ("101000.02", "100000.02", 3, 2, dt.date(2024, 3, 1), dt.date(2026, 3, 22)),
    "I": ("1400.00", "0.00", 2, 0, dt.date(2024, 12, 1), dt.date(2025, 5, 26)),
}


def scored(people) -> dict[str, Customer]:
    return {name: Customer.objects.get(pk=c.pk) for name, c in people.items()}


def test_scores_equal_the_hand_computed_table(dataset):
    run = scoring_run(policy=make_policy(), as_of=AS_OF)

    customers = scored(dataset)
    actual = {
        name: (
            c.rfm_recency,
            c.rfm_frequency,
            c.rfm_monetary,
            c.rfm_segment,
            c.loyalty_score,
            str(c.repurchase_rate),
            str(c.average_order_value),
            c.value_tier,
            c.vip_level,
            c.lifecycle_stage,
        )
        for name, c in customers.items()
    }
    assert actual == EXPECTED
    assert run.customers_scored == 12
    assert run.customers_changed == 12
    for column in ("value_tier", "vip_level", "lifecycle_stage", "rfm_segment"):
        held = Counter(getattr(c, column) for c in customers.values())
        assert run.distribution[column] == held, column
    assert all(c.scored_at is not None for c in customers.values())


def test_spend_counts_and_dates_net_refunds_and_ignore_them_as_purchases(dataset):
    scoring_run(policy=make_policy(), as_of=AS_OF)

    customers = scored(dataset)
    actual = {
        name: (
            str(customers[name].total_spend),
            str(customers[name].spend_12m),
            customers[name].purchase_count,
            customers[name].purchase_count_12m,
            customers[name].first_purchase_on,
            customers[name].last_purchase_on,
        )
        for name in EXPECTED_FIGURES
    }
    assert actual == EXPECTED_FIGURES


def test_ratios_round_half_up_and_a_monthly_average_at_its_threshold_is_not_above_it(
    department_a,
):
    """AOV to the cent and the repurchase rate to 1/10,000 round half up; the monthly
    average (spend × 30 ÷ days) is compared exactly, so a customer exactly on the
    threshold stays below the level and one cent more reaches it."""
    people = {name: CustomerFactory(name=name, department=department_a) for name in "PQRS"}
    buy(people["P"], on(2024, 1, 1), "10")  # the first purchase ever, outside the window
    buy(people["P"], days_ago(30), "50.00")
    buy(people["P"], days_ago(20), "50.01")  # AOV 100.01 / 2 = 50.005 → 50.01
    for days in (60, 50, 40):  # three purchases, the first ever among them: 2/3 → 0.6667
        buy(people["Q"], days_ago(days), "10")
    # First purchase 119 days ago: the monthly average divides by 120 days.
    # R: ¥40,000.00 × 30 / 120 = ¥10,000.00, on the threshold; S: ¥10,000.01, above it.
    for name, second in (("R", "20000.00"), ("S", "20000.04")):
        buy(people[name], days_ago(119), "20000")
        buy(people[name], days_ago(10), second)

    scoring_run(
        policy=make_policy(silver_loyalty=None, gold_monthly_spend=Decimal("10000")), as_of=AS_OF
    )

    customers = scored(people)
    assert str(customers["P"].average_order_value) == "50.01"
    assert str(customers["Q"].repurchase_rate) == "0.6667"
    assert (customers["R"].vip_level, customers["S"].vip_level) == ("normal", "gold")


def test_merged_customers_are_not_scored(dataset, department_a):
    merged = CustomerFactory(department=department_a, status="merged")
    OrderFactory(customer=merged, ordered_at=days_ago(5), amount=Decimal("999999"))

    run = scoring_run(policy=make_policy(), as_of=AS_OF)

    assert run.customers_scored == 12
    assert Customer.objects.get(pk=merged.pk).scored_at is None


def test_second_run_with_nothing_new_changes_nothing(dataset):
    policy = make_policy()
    scoring_run(policy=policy, as_of=AS_OF)

    run = scoring_run(policy=policy, as_of=AS_OF)

    assert run.customers_changed == 0
    assert run.tier_changes == run.level_changes == 0


def test_a_first_scoring_records_no_tier_history_but_level_upgrades(dataset):
    run = scoring_run(policy=make_policy(), as_of=AS_OF)

    changes = {
        (c.customer.name, c.field, c.old_value, c.new_value, c.direction)
        for c in TierChange.objects.filter(run=run).select_related("customer")
    }
    assert changes == {
        ("A", "vip_level", "normal", "silver", "up"),
        ("B", "vip_level", "normal", "diamond", "up"),
        ("H", "vip_level", "normal", "silver", "up"),
        ("M", "vip_level", "normal", "gold", "up"),
    }


def test_crossing_a_threshold_records_the_change_with_its_reason_and_sends_one_signal(
    dataset, django_capture_on_commit_callbacks
):
    policy = make_policy()
    scoring_run(policy=policy, as_of=AS_OF)
    buy(dataset["G"], days_ago(1), "0.01")  # G: ¥100,000.01 in the window, 3 purchases
    received = []

    def receiver(sender, run, changes, **kwargs):
        received.append((run.pk, sorted(changes.values_list("customer__name", "field"))))

    tier_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = scoring_run(policy=policy, as_of=AS_OF, trigger=RunTrigger.MANUAL)
    finally:
        tier_changed.disconnect(receiver)

    change = TierChange.objects.get(run=run, customer=dataset["G"], field="vip_level")
    assert (change.old_value, change.new_value, change.direction) == ("normal", "silver", "up")
    assert change.spend_window == Decimal("100000.01")
    assert change.purchases_window == 3
    assert received == [(run.pk, [("G", "vip_level")])]


def test_a_downgrade_is_recorded_as_down(dataset):
    policy = make_policy()
    scoring_run(policy=policy, as_of=AS_OF)
    buy(dataset["B"], days_ago(1), "-300000")  # B's spend in the window → ¥300,000

    run = scoring_run(policy=policy, as_of=AS_OF)

    change = TierChange.objects.get(run=run, customer=dataset["B"], field="vip_level")
    assert (change.old_value, change.new_value, change.direction) == ("diamond", "gold", "down")


def test_preview_counts_equal_what_applying_the_policy_does(dataset):
    scoring_run(policy=make_policy(), as_of=AS_OF)
    draft = make_policy(silver_annual_spend=Decimal("4000"), medium_min_purchases=3)
    before = dict(Customer.objects.values_list("pk", "vip_level"))

    preview = scoring_preview(policy=draft, as_of=AS_OF)

    assert dict(Customer.objects.values_list("pk", "vip_level")) == before  # nothing written
    run = scoring_run(policy=draft, as_of=AS_OF, trigger=RunTrigger.POLICY)
    for field in ("vip_level", "value_tier"):
        matrix = preview.matrices[field]
        applied = {}
        for old, new in TierChange.objects.filter(run=run, field=field).values_list(
            "old_value", "new_value"
        ):
            applied[(old, new)] = applied.get((old, new), 0) + 1
        expected = {key: n for key, n in matrix.cells.items() if key[0] != key[1]}
        assert applied == expected
    # Silver now needs only ¥4,000: C, J (¥5,000), L (¥6,000) and G (¥100,000) move up.
    assert preview.matrices["vip_level"].count("normal", "silver") == 4
    # Medium now needs 3 purchases: C, G, H, L and M (2 each) fall to low/potential.
    assert preview.matrices["value_tier"].count("medium", "low") == 5
    assert ScoringRun.objects.get(pk=run.pk).trigger == RunTrigger.POLICY


def test_scoring_writes_the_columns_customers_lists_and_nothing_else():
    """customers.models.SCORED_FIELDS is the one list: the import, forms and API keep out
    of exactly what scoring writes."""
    assert scoring.DERIVED_COLUMNS is SCORED_FIELDS
