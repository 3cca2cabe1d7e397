"""Recording the events trigger campaigns react to that no other table keeps by date:
tier upgrades (from ``segmentation.signals.tier_changed``) and entering churn risk.
First purchases and resolved complaints are read straight from orders and interactions.

Each is one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` built from a queryset: a first
nightly run puts half a million customers in, and none of them passes through Python."""

import datetime as dt

from django.db import connection, transaction
from django.db.models import CharField, DateField, Exists, F, OuterRef, Value
from django.db.models.functions import Cast, Coalesce, Concat, JSONObject, TruncDate
from django.utils import timezone

from campaigns.models import TriggerEvent, TriggerKind
from campaigns.selectors.due import local_zone
from carecrm.core.bulk_sql import bulk_statement_settings
from customers.models import Customer, CustomerStatus, LifecycleStage

# TriggerEvent column → the row source's annotation for it, named apart from any model
# field so the statement reads it by name, whatever order Django selects in.
_COLUMNS = {
    "customer_id": "ev_customer",
    "kind": "ev_kind",
    "occurred_on": "ev_on",
    "source": "ev_source",
    "detail": "ev_detail",
}


def _insert(rows) -> int:
    """Insert ``rows`` (a queryset annotated with ``_COLUMNS``); returns how many were new —
    a source already recorded is skipped by ``triggerevent_unique_source``."""
    select_sql, params = rows.order_by().values(*_COLUMNS.values()).query.sql_with_params()
    quote = connection.ops.quote_name
    targets = ", ".join(quote(column) for column in _COLUMNS)
    values = ", ".join(f"s.{quote(alias)}" for alias in _COLUMNS.values())
    # ``WHERE 1 = 1`` before ``ON CONFLICT`` is SQLite's way to tell an upsert from a join.
    sql = f"""
        INSERT INTO {quote(TriggerEvent._meta.db_table)} ({targets})
        SELECT {values} FROM ({select_sql}) s
        WHERE 1 = 1
        ON CONFLICT (kind, source) DO NOTHING"""  # noqa: S608 (names and a compiled query)
    with transaction.atomic(), connection.cursor() as cursor:
        bulk_statement_settings(cursor)
        cursor.execute(sql, params)
        return cursor.rowcount


def _text(expression):
    return Cast(expression, output_field=CharField())


def tier_upgrades_record(*, changes) -> int:
    """One event per upward TierChange (value tier or VIP level), dated by the local day of
    the change; idempotent by source. Returns how many were recorded now."""
    rows = changes.filter(direction="up").annotate(
        ev_customer=F("customer_id"),
        ev_kind=Value(TriggerKind.TIER_UPGRADE, output_field=CharField()),
        ev_on=TruncDate("changed_at", tzinfo=local_zone()),
        ev_source=Concat(Value("tierchange:"), _text("pk"), output_field=CharField()),
        ev_detail=JSONObject(field="field", **{"from": "old_value"}, to="new_value"),
    )
    return _insert(rows)


def churn_risk_entries_record(*, on: dt.date) -> int:
    """An event for each active customer now at churn risk who has not had one since
    their last purchase — a customer who buys again and later slips back re-enters.
    Returns how many were recorded now."""
    since_last_purchase = TriggerEvent.objects.filter(
        customer=OuterRef("pk"),
        kind=TriggerKind.CHURN_RISK,
        occurred_on__gte=OuterRef("last_purchase_or_start"),
    )
    rows = (
        Customer.objects.filter(
            status=CustomerStatus.ACTIVE, lifecycle_stage=LifecycleStage.CHURN_RISK
        )
        .annotate(
            last_purchase_or_start=Coalesce(
                "last_purchase_on", Value(dt.date(1900, 1, 1)), output_field=DateField()
            )
        )
        .exclude(Exists(since_last_purchase))
        .annotate(
            ev_customer=F("pk"),
            ev_kind=Value(TriggerKind.CHURN_RISK, output_field=CharField()),
            ev_on=Value(on, output_field=DateField()),
            ev_source=Concat(
                Value("churn:"), _text("pk"), Value(f":{on.isoformat()}"), output_field=CharField()
            ),
            ev_detail=JSONObject(last_purchase_on="last_purchase_on"),
        )
    )
    return _insert(rows)


def on_tier_changed(sender, *, run, changes, **kwargs) -> None:
    """Receiver of ``segmentation.signals.tier_changed`` (sent after a scoring run
    commits): record upgrades and the customers the run put at churn risk."""
    tier_upgrades_record(changes=changes)
    churn_risk_entries_record(on=timezone.localdate(run.as_of))
