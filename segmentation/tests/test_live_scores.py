"""Scores from the order summaries equal scores from the orders; a customer scored alone
with the last run's cut points gets what that run gave them; the live re-score task is
queued on commit and idempotent."""

import datetime as dt
import random
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from customers.models import SCORED_FIELDS, Customer, IntentEvent, Order, OrderSummaryEdges
from customers.services.order_summaries import order_summaries_rebase, order_summaries_refresh
from customers.services.orders import LineInput, order_record
from customers.tests.factories import CustomerFactory
from segmentation.models import RunTrigger, ScoringRun, TierChange
from segmentation.services.scoring import (
    _scores_table,
    cut_points,
    policy_edges,
    scores_query,
    scoring_live,
    scoring_run,
)
from segmentation.signals import tier_changed
from segmentation.tasks import rescore_live
from segmentation.tests.test_scoring import AS_OF, dataset, make_policy  # noqa: F401

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def score_rows(policy, as_of) -> list[tuple]:
    sql, params = scores_query(policy, as_of)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(cursor.fetchall())


def random_population(rng: random.Random, department, as_of: dt.datetime, policy) -> None:
    """Customers with orders placed on purpose where the rules turn: at every window edge
    exactly and a microsecond either side, on both sides of midnight in Shanghai (16:00
    UTC), after ``as_of``; refunds and zero amounts; and some intent events."""
    edges = policy_edges(policy, as_of).as_tuple()
    customers = [
        CustomerFactory(
            department=department,
            registered_on=rng.choice([None, dt.date(2020, 1, 1), as_of.date()]),
        )
        for _ in range(24)
    ]
    orders = []
    for customer in customers:
        for _ in range(rng.choice([0, 1, 1, 2, 3, 5, 8])):
            kind = rng.random()
            if kind < 0.3:
                when = rng.choice(edges) + dt.timedelta(microseconds=rng.choice([-1, 0, 1]))
            elif kind < 0.45:
                day = as_of - dt.timedelta(days=rng.randint(0, 800))
                when = day.astimezone(dt.UTC).replace(hour=15, minute=59, second=59) + (
                    dt.timedelta(seconds=rng.choice([0, 1]))
                )
            elif kind < 0.5:
                when = as_of + dt.timedelta(minutes=rng.randint(0, 3))
            else:
                when = as_of - dt.timedelta(seconds=rng.randint(0, 800 * 86400))
            amount = rng.choice(
                [Decimal("0"), Decimal("-35.50"), Decimal("100"), Decimal("999.99")]
                + [Decimal(rng.randint(1, 500000)) / 100] * 4
            )
            orders.append(
                Order(
                    customer=customer,
                    order_no=f"R{len(orders)}-{rng.random()}",
                    ordered_at=when,
                    amount=amount,
                )
            )
        if rng.random() < 0.2:
            for _ in range(2):
                IntentEvent.objects.create(
                    customer=customer, occurred_at=as_of - dt.timedelta(days=rng.randint(0, 40))
                )
    Order.objects.bulk_create(orders)
    order_summaries_refresh(c.pk for c in customers)


@pytest.mark.parametrize("seed", range(4))
def test_scores_from_summaries_equal_scores_from_orders(seed, department_a):
    rng = random.Random(seed)
    policy = make_policy(
        window_days=rng.choice([365, 200]), churn_days=rng.choice([90, 30]), lost_days=400
    )
    as_of = timezone.now() - dt.timedelta(days=rng.randint(0, 30), seconds=rng.randint(0, 9999))
    random_population(rng, department_a, as_of, policy)

    stale = score_rows(policy, as_of)  # summaries counted from other edges: fixed up
    order_summaries_rebase(policy_edges(policy, as_of))
    exact = score_rows(policy, as_of)  # summaries counted from this run's edges
    OrderSummaryEdges.objects.all().delete()
    from_orders = score_rows(policy, as_of)  # no summaries: the orders themselves

    assert stale == from_orders
    assert exact == from_orders
    assert len(from_orders) == Customer.objects.count()


def scores(customer_ids) -> dict:
    return {
        c["pk"]: c
        for c in Customer.objects.filter(pk__in=customer_ids).values("pk", *SCORED_FIELDS)
    }


def test_each_customer_scored_alone_gets_what_the_run_gave(dataset):  # noqa: F811
    """The hand-computed dataset (ten buyers: quintile edges fall inside ties)."""
    scoring_run(policy=make_policy(), as_of=AS_OF)
    ids = [c.pk for c in dataset.values()]
    before = scores(ids)

    for pk in ids:
        assert scoring_live(customer_ids=[pk], as_of=AS_OF)["changed"] == 0

    assert scores(ids) == before
    assert not ScoringRun.objects.filter(trigger=RunTrigger.LIVE).exists()


@pytest.mark.parametrize("seed", range(3))
def test_random_customers_scored_alone_get_what_the_run_gave(seed, department_a):
    rng = random.Random(seed)
    policy = make_policy(silver_purchases=3, silver_loyalty=50)
    as_of = timezone.now()
    random_population(rng, department_a, as_of, policy)
    Order.objects.filter(ordered_at__gt=as_of).delete()
    scoring_run(policy=policy, as_of=as_of)
    ids = list(Customer.objects.values_list("pk", flat=True))
    before = scores(ids)

    result = scoring_live(customer_ids=ids, as_of=as_of)

    assert result == {"scored": len(ids), "changed": 0, "run": None}
    assert scores(ids) == before


@pytest.mark.parametrize("seed", range(2))
def test_the_stored_cut_points_are_those_of_the_scores_written(seed, department_a):
    """On PostgreSQL a run keeps the cut points its scoring statement computed; they equal
    the cut points computed again from the scores the run wrote."""
    rng = random.Random(seed)
    policy = make_policy(silver_purchases=3, silver_loyalty=50)
    as_of = timezone.now()
    random_population(rng, department_a, as_of, policy)
    Order.objects.filter(ordered_at__gt=as_of).delete()
    run = scoring_run(policy=policy, as_of=as_of)
    run.refresh_from_db()

    with _scores_table(policy, as_of) as cursor:
        again = cut_points(cursor, policy)

    assert run.cut_points == again
    assert run.cut_points["buyers"] > 0 and None not in run.cut_points["m"]


def buy(customer, user, amount, when=None):
    return order_record(
        customer=customer,
        order_no="",
        generate_number=True,
        ordered_at=when or timezone.now(),
        lines=[LineInput(product="咖啡豆", unit_price=Decimal(amount))],
        user=user,
    )


def test_a_new_order_scored_live_matches_the_next_nightly_run(
    staff_a, department_a, eager_celery, django_capture_on_commit_callbacks
):
    """The biggest customer buys again at their own average: no cut point and not the
    mean AOV move, so the next full run must agree with the live score to the field."""
    rng = random.Random(7)
    policy = make_policy()
    now = timezone.now()
    random_population(rng, department_a, now, policy)
    Order.objects.filter(ordered_at__gt=now).delete()
    order_summaries_refresh(Customer.objects.values_list("pk", flat=True))
    whale = CustomerFactory(department=department_a, registered_on=dt.date(2020, 1, 1))
    for days in (400, 200, 100, 50, 20, 5):
        Order.objects.create(
            customer=whale,
            order_no=f"W{days}",
            ordered_at=now - dt.timedelta(days=days),
            amount=Decimal("60000"),
        )
    scoring_run(policy=policy, as_of=timezone.now())
    whale.refresh_from_db()
    assert whale.purchase_count_12m == 5

    with django_capture_on_commit_callbacks(execute=True):
        buy(whale, staff_a, "60000")

    whale.refresh_from_db()
    assert whale.purchase_count_12m == 6  # re-scored by the task queued on commit
    assert whale.spend_12m == Decimal("360000.00")
    assert whale.total_spend == Decimal("420000.00")
    assert whale.scored_at is not None
    live = scores([whale.pk])
    nightly = scoring_run(policy=policy, as_of=timezone.now())
    assert nightly.customers_changed == 0
    assert scores([whale.pk]) == live


def test_live_moves_are_recorded_and_announced(
    staff_a, department_a, django_capture_on_commit_callbacks, eager_celery
):
    policy = make_policy(silver_purchases=2, silver_loyalty=None, silver_monthly_spend=None)
    regular = CustomerFactory(department=department_a, registered_on=dt.date(2020, 1, 1))
    other = CustomerFactory(department=department_a, registered_on=dt.date(2020, 1, 1))
    buy(regular, staff_a, "100", when=timezone.now() - dt.timedelta(days=30))
    buy(other, staff_a, "100", when=timezone.now() - dt.timedelta(days=30))
    scoring_run(policy=policy)
    assert scoring_live()["changed"] == 0  # the marks left from before the run
    assert Customer.objects.get(pk=regular.pk).vip_level == "normal"
    received = []
    tier_changed.connect(lambda sender, **kw: received.append(kw), weak=False, dispatch_uid="t")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            buy(regular, staff_a, "100")
            buy(regular, staff_a, "100")
            result = scoring_live()
    finally:
        tier_changed.disconnect(dispatch_uid="t")

    regular.refresh_from_db()
    assert (regular.purchase_count_12m, regular.vip_level) == (3, "silver")
    assert result["scored"] == 1
    change = TierChange.objects.get(customer=regular, field="vip_level")
    assert (change.old_value, change.new_value, change.direction) == ("normal", "silver", "up")
    assert change.run.trigger == RunTrigger.LIVE
    assert change.run.pk == result["run"]
    assert [kw["run"].pk for kw in received] == [result["run"]]
    assert set(received[0]["changes"]) == set(TierChange.objects.filter(customer=regular))


def test_the_live_task_is_idempotent(staff_a, department_a):
    customer = CustomerFactory(department=department_a)
    buy(customer, staff_a, "10", when=timezone.now() - dt.timedelta(days=3))
    scoring_run()
    buy(customer, staff_a, "25")

    first = rescore_live.apply().get()
    customer.refresh_from_db()
    after_first = scores([customer.pk])
    second = rescore_live.apply().get()

    assert first["scored"] == 1 and first["changed"] == 1
    assert second == {"scored": 0, "changed": 0, "run": None}
    assert scores([customer.pk]) == after_first
    assert customer.spend_12m == Decimal("35.00")
    assert scoring_live(customer_ids=[customer.pk])["changed"] == 0


def test_without_a_full_run_only_the_value_card_figures_follow(staff_a, department_a):
    customer = CustomerFactory(department=department_a)
    buy(customer, staff_a, "10")

    assert scoring_live() == {"scored": 0, "changed": 0, "run": None}
    customer.refresh_from_db()
    assert (customer.total_spend, customer.purchase_count) == (Decimal("10.00"), 1)
    assert customer.rfm_recency is None


def _rank_scores(values: dict[int, object]) -> dict[int, int]:
    """The documented rule, by hand: score = 1 + ⌊5 × (rank − 1) / N⌋ over the N buyers,
    rank the 1-based ascending position with ties sharing the lowest rank."""
    ordered = sorted(values.values())
    return {pk: 1 + 5 * ordered.index(value) // len(ordered) for pk, value in values.items()}


@pytest.mark.parametrize("seed", range(4))
def test_a_run_places_every_buyer_by_rank_as_the_rules_say(seed, department_a):
    """A full run places customers by its own cut points; on random customers (many ties,
    at the quintile edges too) that gives exactly the rank rule, and the top-spend rule of
    the high tier: in the top P % of window buyers by spend, ties sharing the best rank."""
    rng = random.Random(seed)
    policy = make_policy(high_spend_top_percent=rng.choice([10, 20, 50]))
    as_of = timezone.now()
    random_population(rng, department_a, as_of, policy)
    sources = list(Order.objects.all())
    for n in range(rng.randint(10, 30)):  # customers with another's orders: more ties
        twin = CustomerFactory(department=department_a)
        source = rng.choice(sources).customer_id
        Order.objects.bulk_create(
            Order(customer=twin, order_no=f"T{n}-{o.pk}", ordered_at=o.ordered_at, amount=o.amount)
            for o in sources
            if o.customer_id == source
        )
    Order.objects.filter(ordered_at__gt=as_of).delete()
    order_summaries_refresh(Customer.objects.values_list("pk", flat=True))

    scoring_run(policy=policy, as_of=as_of)

    buyers = list(Customer.objects.filter(purchase_count__gt=0))
    assert len(buyers) > 10
    got = {c.pk: (c.rfm_recency, c.rfm_frequency, c.rfm_monetary) for c in buyers}
    r = _rank_scores({c.pk: c.last_purchase_on for c in buyers})
    f = _rank_scores({c.pk: c.purchase_count_12m for c in buyers})
    m = _rank_scores({c.pk: c.spend_12m for c in buyers})
    assert got == {pk: (r[pk], f[pk], m[pk]) for pk in got}
    window = sorted((c.spend_12m for c in buyers if c.purchase_count_12m > 0), reverse=True)
    places = -(-policy.high_spend_top_percent * len(window) // 100)
    for c in buyers:
        if c.value_tier == "high":
            assert c.purchase_count_12m > 0
            assert sum(1 for other in buyers if other.spend_12m > c.spend_12m) < places
