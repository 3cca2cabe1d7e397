"""Reads shared by the segmentation views, API, tasks and other apps (campaigns, events
and surveys read audiences through :func:`segment_customers` only)."""

import datetime as dt

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from carecrm.core.keyset import SortKey
from carecrm.core.scoping import visible_to
from customers.models import Customer, CustomerStatus, Interaction, InteractionKind, StaticList
from segmentation.models import (
    VIP_LEVEL_RANK,
    AlertStatus,
    ManagerPolicy,
    RelationshipManager,
    RiskAlert,
    Segment,
    SegmentKind,
    TierChange,
)
from segmentation.rules import compile_rules

# A "real contact" with a VIP (care programme §3/§4): a call or visit that reached the customer.
REAL_CONTACT_KINDS = (InteractionKind.CALL, InteractionKind.VISIT)


def _active_customers() -> QuerySet[Customer]:
    return Customer.objects.filter(status=CustomerStatus.ACTIVE)


def rules_customers(
    rules: dict, *, user=None, department_id: int | None = None
) -> QuerySet[Customer]:
    """Active customers matching validated ``rules``, limited to a department if given and
    to what ``user`` may see if given."""
    queryset = _active_customers().filter(compile_rules(rules, today=timezone.localdate()))
    if department_id:
        queryset = queryset.filter(department_id=department_id)
    return visible_to(user, queryset) if user is not None else queryset


def segment_customers(segment: Segment, *, user=None) -> QuerySet[Customer]:
    """The members of a segment now: active customers matching its rules (or on its static
    list), from its department (all departments if none), and — when ``user`` is given —
    only those that user may see. Background jobs acting for the segment's owner pass no
    user. Evaluated lazily, so callers add ``order_by``/``iterator`` as they need."""
    if segment.kind == SegmentKind.STATIC:
        queryset = _active_customers().filter(
            pk__in=StaticList.customers.through.objects.filter(
                staticlist_id=segment.static_list_id
            ).values("customer_id")
        )
        if segment.department_id:
            queryset = queryset.filter(department_id=segment.department_id)
        return visible_to(user, queryset) if user is not None else queryset
    return rules_customers(segment.rules, user=user, department_id=segment.department_id)


SUGGESTED_FIELDS = ("region", "province", "city", "industry")


# Segment members are shown biggest spenders first, a keyset page at a time along the
# customer index on (spend_12m, id).
MEMBER_ORDER = SortKey("spend_12m")


# A policy preview cell's customers, by customer id along the cell's index.
MOVE_ORDER = SortKey("customer_id")


def segment_member_rows(segment: Segment, *, user) -> QuerySet[Customer]:
    """The members a segment's page lists, with what a row shows."""
    return segment_customers(segment, user=user).select_related(
        "department", "relationship_manager"
    )


def place_values(user, field: str, *, limit: int = 500) -> list[str]:
    """The distinct non-empty values of a text field (region, city, …) among the active
    customers ``user`` may see: the suggestions of the builder's pickers. One grouped
    query per field, kept ten minutes (it reads every customer in scope)."""
    if field not in SUGGESTED_FIELDS:
        raise ValueError(field)
    key = f"segmentation:suggest:{field}:{user.pk}:{limit}"
    values = cache.get(key)
    if values is None:
        queryset = visible_to(user, _active_customers()).exclude(**{field: ""})
        values = list(queryset.order_by(field).values_list(field, flat=True).distinct()[:limit])
        cache.set(key, values, timeout=600)
    return values


def visible_segments(user) -> QuerySet[Segment]:
    return visible_to(user, Segment.objects.select_related("department", "static_list"))


def visible_static_lists(user) -> QuerySet[StaticList]:
    return visible_to(user, StaticList.objects.all())


def tier_history(customer: Customer) -> QuerySet[TierChange]:
    return TierChange.objects.filter(customer=customer).select_related("run__policy")


def manager_policy() -> ManagerPolicy:
    policy, _ = ManagerPolicy.objects.get_or_create(pk=1)
    return policy


def vip_levels_from(level: str) -> list[str]:
    return [value for value, rank in VIP_LEVEL_RANK.items() if rank >= VIP_LEVEL_RANK[level]]


def vip_customers(user=None, *, from_level: str | None = None) -> QuerySet[Customer]:
    from_level = from_level or manager_policy().coverage_min_level
    queryset = _active_customers().filter(vip_level__in=vip_levels_from(from_level))
    return visible_to(user, queryset) if user is not None else queryset


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Aware start and end (exclusive) of the month containing ``month``, local time."""
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(first, dt.time.min, tzinfo=tz),
        dt.datetime.combine(following, dt.time.min, tzinfo=tz),
    )


def real_contacts(start: dt.datetime | None = None, end: dt.datetime | None = None):
    queryset = Interaction.objects.filter(kind__in=REAL_CONTACT_KINDS).exclude(outcome="no_answer")
    if start:
        queryset = queryset.filter(occurred_at__gte=start)
    if end:
        queryset = queryset.filter(occurred_at__lt=end)
    return queryset


def coverage_vips(user, *, month: dt.date) -> QuerySet[Customer]:
    """VIPs in scope (from the coverage level up) annotated with ``contacted``: a real
    contact within the month."""
    start, end = month_bounds(month)
    return vip_customers(user).annotate(
        contacted=Exists(real_contacts(start, end).filter(customer=OuterRef("pk")))
    )


def coverage_customers(user, *, month: dt.date) -> QuerySet[Customer]:
    """:func:`coverage_vips` plus ``last_contact_at`` (latest real contact ever)."""
    latest = real_contacts().filter(customer=OuterRef("pk")).order_by("-occurred_at")
    return (
        coverage_vips(user, month=month)
        .annotate(last_contact_at=Subquery(latest.values("occurred_at")[:1]))
        .select_related("relationship_manager", "department")
    )


def coverage_by_manager(user, *, month: dt.date) -> list[dict]:
    """Per manager (None = unassigned): VIPs, contacted this month, overdue."""
    rows = (
        coverage_vips(user, month=month)
        .values("relationship_manager")
        .annotate(
            vips=Count("pk"),
            contacted_count=Count("pk", filter=Q(contacted=True)),
        )
        .order_by("relationship_manager")
    )
    from carecrm.accounts.models import User

    names = {u.pk: u for u in User.objects.filter(pk__in=[r["relationship_manager"] for r in rows])}
    return [
        {
            "manager": names.get(row["relationship_manager"]),
            "manager_id": row["relationship_manager"],
            "vips": row["vips"],
            "contacted": row["contacted_count"],
            "overdue": row["vips"] - row["contacted_count"],
            "percent": round(100 * row["contacted_count"] / row["vips"]) if row["vips"] else 100,
        }
        for row in rows
    ]


def visible_managers(user) -> QuerySet[RelationshipManager]:
    return visible_to(user, RelationshipManager.objects.select_related("user__department"))


def manager_loads(user) -> QuerySet[RelationshipManager]:
    """Managers in scope with their current VIP count (silver and up, active customers)."""
    vip_filter = Q(
        user__managed_customers__status=CustomerStatus.ACTIVE,
        user__managed_customers__vip_level__in=vip_levels_from("silver"),
    )
    return visible_managers(user).annotate(
        vip_count=Count("user__managed_customers", filter=vip_filter)
    )


def unlisted_vip_holders(user) -> list[dict]:
    """People in scope whom VIP customers name as their manager but who are not set up as
    relationship managers: they hold VIPs yet take no part in auto-assignment."""
    from carecrm.accounts.models import User

    rows = (
        visible_to(user, Customer.objects.all())
        .filter(status=CustomerStatus.ACTIVE, vip_level__in=vip_levels_from("silver"))
        .exclude(relationship_manager=None)
        .exclude(relationship_manager__relationship_manager_profile__isnull=False)
        .values("relationship_manager")
        .annotate(vips=Count("pk"))
        .order_by("-vips")
    )
    people = User.objects.select_related("department").in_bulk(
        [row["relationship_manager"] for row in rows]
    )
    return [{"user": people[row["relationship_manager"]], "vips": row["vips"]} for row in rows]


# The inbox is read soonest due first along the index on (due_at, id).
ALERT_ORDER = SortKey("due_at")


def alerts_inbox(user, *, scope: str = "mine") -> QuerySet[RiskAlert]:
    """``mine``: assigned or escalated to the user; ``all``: every alert the user may see."""
    queryset = RiskAlert.objects.select_related("customer", "rule", "assigned_to", "escalated_to")
    if scope == "mine":
        queryset = queryset.filter(Q(assigned_to=user) | Q(escalated_to=user))
    return visible_to(user, queryset)


def open_alerts(user) -> QuerySet[RiskAlert]:
    return alerts_inbox(user).exclude(status=AlertStatus.RESOLVED)


def alert_figures(alert: RiskAlert) -> list[tuple[str, str]]:
    """The figures that raised an alert, labelled and formatted for the reader (the stored
    ``detail`` keeps plain keys and numbers)."""
    from carecrm.money import format_yuan

    days = alert.rule.period_days if alert.rule_id else None
    labels = {
        "current": (_("Spent in the last %(days)s days"), "money"),
        "previous": (_("Spent in the %(days)s days before"), "money"),
        "drop_percent": (_("Drop"), "percent"),
        "complaints": (_("Complaints in the last %(days)s days"), "number"),
        "days_without_contact": (_("Days without a real contact, at least"), "number"),
        "score": (_("Lowest survey score"), "number"),
    }
    figures = []
    for key, value in (alert.detail or {}).items():
        label, kind = labels.get(key, (key.replace("_", " "), "number"))
        label = label % {"days": days} if "%(days)s" in str(label) else str(label)
        if kind == "money":
            value = format_yuan(value)
        elif kind == "percent":
            value = f"{value} %"
        figures.append((label, str(value)))
    return figures
