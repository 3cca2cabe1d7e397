"""Recording the events trigger campaigns react to that no other table keeps by date:
tier upgrades (from ``segmentation.signals.tier_changed``) and entering churn risk.
First purchases and resolved complaints are read straight from orders and interactions."""

import datetime as dt

from django.db.models import DateField, Exists, OuterRef, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.models import TriggerEvent, TriggerKind
from customers.models import Customer, CustomerStatus, LifecycleStage

CHUNK = 2000


def _bulk_insert(events: list[TriggerEvent]) -> int:
    """Returns how many rows were offered; duplicates of recorded sources are skipped."""
    return len(TriggerEvent.objects.bulk_create(events, ignore_conflicts=True, batch_size=CHUNK))


def tier_upgrades_record(*, changes) -> int:
    """One event per upward TierChange (value tier or VIP level); idempotent by source."""
    rows = (
        changes.filter(direction="up")
        .order_by("pk")
        .values_list("pk", "customer_id", "changed_at", "field", "old_value", "new_value")
    )
    recorded, chunk = 0, []
    for pk, customer_id, changed_at, field, old, new in rows.iterator(chunk_size=CHUNK):
        chunk.append(
            TriggerEvent(
                customer_id=customer_id,
                kind=TriggerKind.TIER_UPGRADE,
                occurred_on=timezone.localtime(changed_at).date(),
                source=f"tierchange:{pk}",
                detail={"field": field, "from": old, "to": new},
            )
        )
        if len(chunk) >= CHUNK:
            recorded += _bulk_insert(chunk)
            chunk = []
    if chunk:
        recorded += _bulk_insert(chunk)
    return recorded


def churn_risk_entries_record(*, on: dt.date) -> int:
    """An event for each active customer now at churn risk who has not had one since
    their last purchase — a customer who buys again and later slips back re-enters."""
    since_last_purchase = TriggerEvent.objects.filter(
        customer=OuterRef("pk"),
        kind=TriggerKind.CHURN_RISK,
        occurred_on__gte=OuterRef("last_purchase_or_start"),
    )
    entering = (
        Customer.objects.filter(
            status=CustomerStatus.ACTIVE, lifecycle_stage=LifecycleStage.CHURN_RISK
        )
        .annotate(
            last_purchase_or_start=Coalesce(
                "last_purchase_on", Value(dt.date(1900, 1, 1)), output_field=DateField()
            )
        )
        .exclude(Exists(since_last_purchase))
        .order_by("pk")
        .values_list("pk", "last_purchase_on")
    )
    recorded, chunk = 0, []
    for customer_id, last_purchase in entering.iterator(chunk_size=CHUNK):
        chunk.append(
            TriggerEvent(
                customer_id=customer_id,
                kind=TriggerKind.CHURN_RISK,
                occurred_on=on,
                source=f"churn:{customer_id}:{on.isoformat()}",
                detail={"last_purchase_on": last_purchase.isoformat() if last_purchase else None},
            )
        )
        if len(chunk) >= CHUNK:
            recorded += _bulk_insert(chunk)
            chunk = []
    if chunk:
        recorded += _bulk_insert(chunk)
    return recorded


def on_tier_changed(sender, *, run, changes, **kwargs) -> None:
    """Receiver of ``segmentation.signals.tier_changed`` (sent after a scoring run
    commits): record upgrades and the customers the run put at churn risk."""
    tier_upgrades_record(changes=changes)
    churn_risk_entries_record(on=timezone.localdate(run.as_of))
