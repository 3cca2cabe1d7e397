"""Preparing a day: coupons and care tasks; recommendations; trigger events; care tasks."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from campaigns.models import (
    CampaignKind,
    CareTask,
    Coupon,
    ProductAffinity,
    TaskStatus,
    TouchChannel,
    TriggerEvent,
    TriggerKind,
)
from campaigns.selectors.due import Occurrence, due_touches
from campaigns.selectors.personalise import message_values, render_for
from campaigns.selectors.recommendations import recommendations_for
from campaigns.services.care_tasks import care_task_cancel, care_task_complete
from campaigns.services.recommendations import affinity_rebuild
from campaigns.services.touches import touches_prepare
from campaigns.services.triggers import churn_risk_entries_record, tier_upgrades_record
from campaigns.tests.factories import SMS_TEXT, CampaignFactory, ContentFactory, CouponBatchFactory
from campaigns.tests.helpers import approve
from carecrm.accounts.tests.factories import UserFactory
from customers.models import Interaction, InteractionKind, InteractionOutcome
from customers.services.products import product_update
from customers.tests.factories import (
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db

D = dt.date
DUE_DAY = D(2027, 3, 7)


def _buy(customer, *products, amount=Decimal("50")):
    order = OrderFactory(customer=customer, amount=amount)
    for product in products:
        OrderLineFactory(order=order, product=product, unit_price=Decimal("25"))
    return order


def test_bought_coffee_is_recommended_a_cup(department_a):
    """Hand-built co-purchase table:
    A: coffee, cup     B: coffee, cup, beans     C: coffee, filter     D: coffee (new)
    E: tea (refunded order with a cup does not count)
    coffee→cup 2, coffee→beans 1, coffee→filter 1, cup→beans 1 …
    D bought only coffee: cup (2) beats beans (1) and filter (1).
    B bought coffee, cup and beans: nothing left but filter (coffee→filter 1).
    """
    a, b, c, d, e = (CustomerFactory(department=department_a) for _ in range(5))
    _buy(a, "咖啡", "马克杯")
    _buy(b, "咖啡", "马克杯")
    _buy(b, "咖啡豆")
    _buy(c, "咖啡", "滤纸")
    _buy(d, "咖啡")
    _buy(e, "茶叶")
    _buy(e, "马克杯", amount=Decimal("-25"))

    affinity_rebuild()

    pairs = {(p.product, p.also_bought): p.customers for p in ProductAffinity.objects.all()}
    assert pairs[("咖啡", "马克杯")] == 2
    assert pairs[("马克杯", "咖啡")] == 2
    assert pairs[("咖啡", "滤纸")] == 1
    assert ("茶叶", "马克杯") not in pairs
    recommended = recommendations_for([a.pk, b.pk, c.pk, d.pk, e.pk])
    assert recommended[d.pk] == "马克杯"
    assert recommended[b.pk] == "滤纸"
    # A bought coffee and cup: beans via coffee (1) + cup (1) = 2 beats filter (1).
    assert recommended[a.pk] == "咖啡豆"
    assert e.pk not in recommended


def test_a_customer_without_history_gets_the_best_seller_they_do_not_own(department_a):
    from campaigns.selectors.recommendations import recommendations_with_fallback

    a, b, c = (CustomerFactory(department=department_a) for _ in range(3))
    _buy(a, "咖啡")
    _buy(b, "咖啡")
    _buy(c, "咖啡")
    _buy(a, "马克杯")
    newcomer = CustomerFactory(department=department_a)
    affinity_rebuild()

    recommended = recommendations_with_fallback([newcomer.pk, b.pk])
    # Coffee is bought by 3 customers, the cup by 1: the newcomer is offered coffee; b,
    # who has coffee, is offered the cup by co-purchase.
    assert recommended == {newcomer.pk: "咖啡", b.pk: "马克杯"}


def test_a_renamed_product_is_one_product_for_recommendations(department_a, manager_a):
    """a and b bought coffee and the mug — a under its old name, b after the rename — and c
    coffee only. Counted by the product, coffee→mug is 2 customers (not 1 + 1 under two
    names), c is offered the mug by its name today, and it is one best-seller."""
    from campaigns.selectors.recommendations import best_sellers

    mug = ProductFactory(name="马克杯", category="杯具")
    a, b, c = (CustomerFactory(department=department_a) for _ in range(3))

    def buy(customer, mug_name=None):
        order = OrderFactory(customer=customer, amount=Decimal("50"))
        OrderLineFactory(order=order, product="咖啡", unit_price=Decimal("25"))
        if mug_name:
            OrderLineFactory(
                order=order, catalogue_product=mug, product=mug_name, unit_price=Decimal("25")
            )

    buy(a, "马克杯")
    product_update(product=mug, name="陶瓷马克杯", user=manager_a)
    buy(b, "陶瓷马克杯")
    buy(c)

    affinity_rebuild()

    pairs = {(p.product, p.also_bought): p.customers for p in ProductAffinity.objects.all()}
    assert pairs == {("咖啡", "陶瓷马克杯"): 2, ("陶瓷马克杯", "咖啡"): 2}
    assert recommendations_for([c.pk]) == {c.pk: "陶瓷马克杯"}
    assert best_sellers() == ["咖啡", "陶瓷马克杯"]


def test_rebuilding_twice_gives_the_same_table(department_a):
    _buy(CustomerFactory(department=department_a), "咖啡", "马克杯")
    first = affinity_rebuild()
    assert affinity_rebuild() == first == 2
    assert ProductAffinity.objects.count() == 2


@pytest.fixture
def coupon_campaign(department_a, staff_a, manager_a):
    campaign = CampaignFactory(department=department_a, kind=CampaignKind.BIRTHDAY)
    ContentFactory(campaign=campaign, body=SMS_TEXT)
    CouponBatchFactory(campaign=campaign, value=Decimal("20.00"))
    return approve(campaign, author=staff_a, manager=manager_a)


def test_preparing_a_day_issues_each_recipient_one_coupon_idempotently(
    coupon_campaign, department_a
):
    born = [CustomerFactory(department=department_a, birthday=D(1990, 3, 10)) for _ in range(3)]
    CustomerFactory(department=department_a, birthday=D(1990, 3, 11))

    first = touches_prepare(on=DUE_DAY)
    second = touches_prepare(on=DUE_DAY)

    assert (first.campaigns, first.coupons) == (1, 3)
    assert second.coupons == 0
    assert set(Coupon.objects.values_list("customer_id", "occurrence")) == {
        (c.pk, D(2027, 3, 10)) for c in born
    }


def test_the_message_carries_the_customers_own_coupon(coupon_campaign, department_a):
    customer = CustomerFactory(
        department=department_a, name="韩梅梅", gender="female", birthday=D(1990, 3, 10)
    )
    touches_prepare(on=DUE_DAY)
    (touch,) = list(due_touches(on=DUE_DAY))

    values = message_values(touch.campaign, touch.occurrence, [touch.customer])[customer.pk]
    text = render_for(touch.campaign.contents.get(), values).body

    code = Coupon.objects.get(customer=customer).code
    assert text == f"【悦享生活】韩梅梅女士，生日快乐！送您¥20无门槛券，券码{code}。回T退订"


def test_phone_channel_creates_a_task_for_the_relationship_manager(
    department_a, staff_a, manager_a
):
    rm = UserFactory(username="rm1", role="staff", department=department_a, phone="021-5555")
    with_rm = CustomerFactory(
        department=department_a, birthday=D(1990, 3, 10), relationship_manager=rm
    )
    without_rm = CustomerFactory(department=department_a, birthday=D(1990, 3, 10))
    campaign = CampaignFactory(department=department_a, owner=staff_a, channel_strategy="all")
    ContentFactory(
        campaign=campaign,
        channel=TouchChannel.PHONE,
        body="致电{name}，祝生日快乐，介绍{recommendation}。",
    )
    approve(campaign, author=staff_a, manager=manager_a)

    touches_prepare(on=DUE_DAY)
    touches_prepare(on=DUE_DAY)

    tasks = {t.customer_id: t for t in CareTask.objects.all()}
    assert set(tasks) == {with_rm.pk, without_rm.pk}
    assert tasks[with_rm.pk].assigned_to == rm
    assert tasks[without_rm.pk].assigned_to == staff_a
    assert tasks[with_rm.pk].due_on == D(2027, 3, 10)
    assert tasks[with_rm.pk].instructions.startswith(f"致电{with_rm.name}，祝生日快乐")


@pytest.fixture
def task(department_a, staff_a):
    customer = CustomerFactory(department=department_a, relationship_manager=staff_a)
    campaign = CampaignFactory(department=department_a)
    return CareTask.objects.create(
        campaign=campaign,
        customer=customer,
        channel=TouchChannel.VISIT,
        occurrence=D(2027, 3, 10),
        due_on=D(2027, 3, 10),
        assigned_to=staff_a,
    )


def test_completing_a_task_logs_an_interaction(task, staff_a):
    care_task_complete(task=task, user=staff_a, outcome="reached", note="送上生日礼盒，客户满意")

    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    interaction = Interaction.objects.get(customer=task.customer)
    assert interaction == task.interaction
    assert interaction.kind == InteractionKind.VISIT
    assert interaction.staff == staff_a
    assert interaction.outcome == InteractionOutcome.RESOLVED
    assert "送上生日礼盒" in interaction.summary
    with pytest.raises(ValidationError):
        care_task_complete(task=task, user=staff_a, outcome="reached", note="again")


def test_follow_up_needs_a_date(task, staff_a):
    with pytest.raises(ValidationError):
        care_task_complete(task=task, user=staff_a, outcome="follow_up", note="改天再约")
    care_task_complete(
        task=task,
        user=staff_a,
        outcome="follow_up",
        note="改天再约",
        follow_up_due=D(2027, 3, 20),
    )
    assert Interaction.objects.get().follow_up_due == D(2027, 3, 20)


def test_staff_of_another_department_cannot_complete_the_task(task, staff_b):
    with pytest.raises(PermissionDenied):
        care_task_complete(task=task, user=staff_b, outcome="reached", note="x")


def test_cancelling_needs_a_reason(task, staff_a):
    with pytest.raises(ValidationError):
        care_task_cancel(task=task, user=staff_a, reason="")
    care_task_cancel(task=task, user=staff_a, reason="客户已退订")
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED


def test_tier_upgrades_from_a_scoring_run_become_trigger_events(department_a):
    from segmentation.models import ScoringRun, TierChange
    from segmentation.services.scoring import current_policy

    customer = CustomerFactory(department=department_a)
    run = ScoringRun.objects.create(policy=current_policy(), trigger="manual", as_of=timezone.now())
    changed_at = dt.datetime(2026, 11, 20, 18, 0, tzinfo=dt.UTC)  # 21 Nov 02:00 in Shanghai
    common = {
        "customer": customer,
        "run": run,
        "spend_window": Decimal("1"),
        "purchases_window": 1,
        "loyalty_score": 1,
        "repurchase_rate": Decimal("0"),
        "changed_at": changed_at,
    }
    TierChange.objects.create(
        field="vip_level", old_value="normal", new_value="silver", direction="up", **common
    )
    TierChange.objects.create(
        field="value_tier", old_value="high", new_value="medium", direction="down", **common
    )

    tier_upgrades_record(changes=TierChange.objects.filter(run=run))
    tier_upgrades_record(changes=TierChange.objects.filter(run=run))

    event = TriggerEvent.objects.get()
    assert (event.kind, event.occurred_on) == (TriggerKind.TIER_UPGRADE, D(2026, 11, 21))
    assert event.detail == {"field": "vip_level", "from": "normal", "to": "silver"}


def test_the_tier_changed_signal_records_upgrades(department_a):
    from segmentation.models import ScoringRun, TierChange
    from segmentation.services.scoring import current_policy
    from segmentation.signals import tier_changed

    customer = CustomerFactory(department=department_a)
    run = ScoringRun.objects.create(policy=current_policy(), trigger="manual", as_of=timezone.now())
    TierChange.objects.create(
        customer=customer,
        run=run,
        field="vip_level",
        old_value="silver",
        new_value="gold",
        direction="up",
        spend_window=Decimal("1"),
        purchases_window=1,
        loyalty_score=1,
        repurchase_rate=Decimal("0"),
        changed_at=timezone.now(),
    )

    tier_changed.send(sender=ScoringRun, run=run, changes=TierChange.objects.filter(run=run))

    assert TriggerEvent.objects.filter(customer=customer, kind="tier_upgrade").exists()


def test_entering_churn_risk_is_recorded_once_until_the_customer_buys_again(department_a):
    slipping = CustomerFactory(
        department=department_a, lifecycle_stage="churn_risk", last_purchase_on=D(2026, 6, 1)
    )
    CustomerFactory(department=department_a, lifecycle_stage="active")

    assert churn_risk_entries_record(on=D(2026, 10, 1)) == 1
    assert churn_risk_entries_record(on=D(2026, 10, 2)) == 0

    slipping.last_purchase_on = D(2026, 10, 15)  # bought again, later slipped back
    slipping.save()
    assert churn_risk_entries_record(on=D(2027, 2, 1)) == 1
    assert list(
        TriggerEvent.objects.order_by("occurred_on").values_list("occurred_on", flat=True)
    ) == [
        D(2026, 10, 1),
        D(2027, 2, 1),
    ]


def _tier_change(customer, run, *, changed_at, field, old, new, direction="up"):
    from segmentation.models import TierChange

    return TierChange.objects.create(
        customer=customer,
        run=run,
        field=field,
        old_value=old,
        new_value=new,
        direction=direction,
        spend_window=Decimal("1"),
        purchases_window=1,
        loyalty_score=1,
        repurchase_rate=Decimal("0"),
        changed_at=changed_at,
    )


def test_trigger_events_carry_the_local_day_source_and_detail(department_a):
    """Campaigns read these columns: the day is Shanghai's, the detail plain JSON."""
    from segmentation.models import ScoringRun, TierChange
    from segmentation.services.scoring import current_policy

    run = ScoringRun.objects.create(policy=current_policy(), trigger="manual", as_of=timezone.now())
    shanghai = dt.timezone(dt.timedelta(hours=8))
    late = _tier_change(
        CustomerFactory(department=department_a),
        run,
        changed_at=dt.datetime(2026, 11, 20, 23, 30, tzinfo=shanghai),  # 15:30 UTC
        field="value_tier",
        old="medium",
        new="high",
    )
    early = _tier_change(
        CustomerFactory(department=department_a),
        run,
        changed_at=dt.datetime(2026, 11, 21, 0, 30, tzinfo=shanghai),  # 20 Nov 16:30 UTC
        field="vip_level",
        old="normal",
        new="silver",
    )
    lapsed = CustomerFactory(
        department=department_a, lifecycle_stage="churn_risk", last_purchase_on=D(2026, 6, 1)
    )
    never_bought = CustomerFactory(
        department=department_a, lifecycle_stage="churn_risk", last_purchase_on=None
    )

    changes = TierChange.objects.filter(run=run)
    assert tier_upgrades_record(changes=changes) == 2
    assert churn_risk_entries_record(on=D(2026, 11, 21)) == 2
    assert tier_upgrades_record(changes=changes) == 0
    assert churn_risk_entries_record(on=D(2026, 11, 21)) == 0

    events = {
        event.source: (event.customer_id, event.kind, event.occurred_on, event.detail)
        for event in TriggerEvent.objects.all()
    }
    assert events == {
        f"tierchange:{late.pk}": (
            late.customer_id,
            TriggerKind.TIER_UPGRADE,
            D(2026, 11, 20),
            {"field": "value_tier", "from": "medium", "to": "high"},
        ),
        f"tierchange:{early.pk}": (
            early.customer_id,
            TriggerKind.TIER_UPGRADE,
            D(2026, 11, 21),
            {"field": "vip_level", "from": "normal", "to": "silver"},
        ),
        f"churn:{lapsed.pk}:2026-11-21": (
            lapsed.pk,
            TriggerKind.CHURN_RISK,
            D(2026, 11, 21),
            {"last_purchase_on": "2026-06-01"},
        ),
        f"churn:{never_bought.pk}:2026-11-21": (
            never_bought.pk,
            TriggerKind.CHURN_RISK,
            D(2026, 11, 21),
            {"last_purchase_on": None},
        ),
    }
    # Stored as JSON objects, not strings: key lookups find them.
    assert TriggerEvent.objects.filter(detail__to="silver").get().source == f"tierchange:{early.pk}"
    assert (
        TriggerEvent.objects.filter(detail__last_purchase_on="2026-06-01").get().customer_id
        == lapsed.pk
    )


def test_message_values_read_in_bulk(coupon_campaign, department_a, django_assert_max_num_queries):
    customers = [CustomerFactory(department=department_a) for _ in range(20)]
    occurrence = Occurrence(coupon_campaign.pk, DUE_DAY, D(2027, 3, 10), "生日")
    for customer in customers:
        customer.relationship_manager = None

    with django_assert_max_num_queries(4):
        values = message_values(coupon_campaign, occurrence, customers, preview=True)
    assert len(values) == 20
    assert values[customers[0].pk]["coupon_value"] == "¥20"
