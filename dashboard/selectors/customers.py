"""Customer figures of a scope, each one SQL aggregate whatever the number of customers:
how many by tier, level and stage; VIPs at past moments; VIP repurchase; churn; sales;
referrals; the monthly trend.

Definitions (the dashboard states them next to each figure):

Purchase
    an order with a positive amount (a refund is an order with a negative amount); spend
    is the sum of every order, refunds included.
VIP
    an active customer at silver level or above (care programme §2/§3).
VIPs at a past moment
    today's VIPs with every VIP-level change made since undone (``TierChange`` rows of
    the field ``vip_level``): customers who became VIPs since are taken away, those who
    stopped being VIPs added back. Counted over today's active customers of the scope.
VIP repurchase rate
    of today's VIPs who bought before the period, the share who bought again in it.
Churn rate
    of the customers who were active when the period started — a purchase in the
    tier policy's churn window (``churn_days``) before its first day — the share with no
    purchase in the churn window before its end (or before now, while it runs): they
    crossed the churn line during the period.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from carecrm.money import yuan
from customers.models import LifecycleStage, Order, ValueTier, VipLevel
from dashboard.figures import SeriesPoint
from dashboard.periods import Period
from dashboard.scope import DashboardScope
from segmentation.models import VIP_LEVELS, ChangedField, TierChange, TierPolicy

PURCHASE = Q(amount__gt=0)
ZERO = Decimal("0.00")
Window = tuple[dt.datetime, dt.datetime]


def churn_days() -> int:
    """The tier policy in force's churn window (its default before any policy exists)."""
    days = TierPolicy.objects.order_by("-version").values_list("churn_days", flat=True).first()
    return days or TierPolicy._meta.get_field("churn_days").default


def purchases(start: dt.datetime | None, end: dt.datetime) -> QuerySet[Order]:
    """The outer customer's purchases from ``start`` (None: ever) until ``end``."""
    orders = Order.objects.filter(PURCHASE, customer=OuterRef("pk"), ordered_at__lt=end)
    return orders if start is None else orders.filter(ordered_at__gte=start)


# --- how many customers ---------------------------------------------------------------


@dataclass
class CustomerCounts:
    """Today's active customers of the scope by value tier, VIP level and lifecycle
    stage, and how many were referred in each window."""

    by_tier: Counter = field(default_factory=Counter)
    by_level: Counter = field(default_factory=Counter)
    by_stage: Counter = field(default_factory=Counter)
    referred: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_level.values())

    @property
    def vips(self) -> int:
        return sum(self.by_level[level] for level in VIP_LEVELS)


def customer_counts(scope: DashboardScope, referral_windows: dict[str, Window]) -> CustomerCounts:
    """One grouped pass over the scope's customers (at most 5 × 4 × 5 groups)."""
    referred = {
        f"referred_{key}": Count("pk", filter=Q(referred_at__gte=start, referred_at__lt=end))
        for key, (start, end) in referral_windows.items()
    }
    rows = (
        scope.customers()
        .order_by()
        .values("value_tier", "vip_level", "lifecycle_stage")
        .annotate(n=Count("pk"), **referred)
    )
    counts = CustomerCounts(referred=dict.fromkeys(referral_windows, 0))
    for row in rows:
        counts.by_tier[row["value_tier"]] += row["n"]
        counts.by_level[row["vip_level"]] += row["n"]
        counts.by_stage[row["lifecycle_stage"]] += row["n"]
        for key in referral_windows:
            counts.referred[key] += row[f"referred_{key}"]
    return counts


TIER_ORDER = [
    ValueTier.HIGH,
    ValueTier.MEDIUM,
    ValueTier.POTENTIAL,
    ValueTier.LOW,
    ValueTier.UNSCORED,
]
LEVEL_ORDER = [VipLevel.DIAMOND, VipLevel.GOLD, VipLevel.SILVER, VipLevel.NORMAL]
STAGE_ORDER = [
    LifecycleStage.NEW,
    LifecycleStage.ACTIVE,
    LifecycleStage.CHURN_RISK,
    LifecycleStage.LOST,
    LifecycleStage.UNSCORED,
]


# --- VIPs at past moments -------------------------------------------------------------


def vips_at(
    scope: DashboardScope, vips_now: int, moments: dict[str, dt.datetime], *, now: dt.datetime
) -> dict[str, int]:
    """The scope's VIP count at each moment (one query for all of them): ``vips_now``
    with the VIP-level changes made at or after the moment undone. A moment from ``now``
    on is today's count."""
    past = {key: moment for key, moment in moments.items() if moment < now}
    result = dict.fromkeys(moments, vips_now)
    if not past:
        return result
    entering = Q(new_value__in=VIP_LEVELS) & ~Q(old_value__in=VIP_LEVELS)
    leaving = Q(old_value__in=VIP_LEVELS) & ~Q(new_value__in=VIP_LEVELS)
    aggregates = {}
    for index, moment in enumerate(past.values()):
        since = Q(changed_at__gte=moment)
        aggregates[f"in_{index}"] = Count("pk", filter=entering & since)
        aggregates[f"out_{index}"] = Count("pk", filter=leaving & since)
    changes = scope.restrict(
        TierChange.objects.filter(
            field=ChangedField.VIP_LEVEL,
            changed_at__gte=min(past.values()),
            customer__status="active",
        )
    )
    row = changes.aggregate(**aggregates)
    for index, key in enumerate(past):
        result[key] = vips_now - row[f"in_{index}"] + row[f"out_{index}"]
    return result


# --- repurchase and churn --------------------------------------------------------------


def vip_repurchase(scope: DashboardScope, windows: dict[str, Window]) -> dict[str, tuple[int, int]]:
    """Per window: (today's VIPs who bought before it, those of them who bought in it)."""
    aggregates = {}
    for key, (start, end) in windows.items():
        before = Q(Exists(purchases(None, start)))
        within = Q(Exists(purchases(start, end)))
        aggregates[f"base_{key}"] = Count("pk", filter=before)
        aggregates[f"again_{key}"] = Count("pk", filter=before & within)
    row = scope.customers().filter(vip_level__in=VIP_LEVELS).aggregate(**aggregates)
    return {key: (row[f"base_{key}"], row[f"again_{key}"]) for key in windows}


def churn(
    scope: DashboardScope, start: dt.datetime, end: dt.datetime, days: int
) -> tuple[int, int]:
    """(customers active at ``start``, those of them without a purchase in the ``days``
    before ``end``)."""
    window = dt.timedelta(days=days)
    active = scope.customers().filter(Exists(purchases(start - window, start)))
    row = active.aggregate(
        active=Count("pk"),
        churned=Count("pk", filter=~Q(Exists(purchases(end - window, end)))),
    )
    return row["active"], row["churned"]


# --- sales and the monthly trend -------------------------------------------------------


@dataclass(frozen=True)
class Sales:
    spend: Decimal
    orders: int
    buyers: int


def sales(scope: DashboardScope, windows: dict[str, Window]) -> dict[str, Sales]:
    """Spend (refunds included), purchases and buying customers in each window, one
    query over the orders between the earliest start and the latest end."""
    aggregates = {}
    for key, (start, end) in windows.items():
        within = Q(ordered_at__gte=start, ordered_at__lt=end)
        aggregates[f"spend_{key}"] = Sum("amount", filter=within)
        aggregates[f"orders_{key}"] = Count("pk", filter=within & PURCHASE)
        aggregates[f"buyers_{key}"] = Count("customer", distinct=True, filter=within & PURCHASE)
    orders = scope.restrict(
        Order.objects.filter(
            ordered_at__gte=min(start for start, _ in windows.values()),
            ordered_at__lt=max(end for _, end in windows.values()),
        )
    )
    row = orders.aggregate(**aggregates)
    return {
        key: Sales(yuan(row[f"spend_{key}"] or ZERO), row[f"orders_{key}"], row[f"buyers_{key}"])
        for key in windows
    }


def month_starts(last: dt.date, months: int = 12) -> list[dt.date]:
    """The first days of ``months`` months ending with the one containing ``last``."""
    index = last.year * 12 + last.month - 1
    return [
        dt.date((index - back) // 12, (index - back) % 12 + 1, 1)
        for back in range(months - 1, -1, -1)
    ]


def monthly_sales(scope: DashboardScope, months: list[dt.date]) -> list[SeriesPoint]:
    """Spend, purchases and buying customers per local calendar month, one grouped query;
    ``vips`` is filled in by the caller."""
    zone = timezone.get_current_timezone()
    first = Period.month(months[0]).bounds()[0]
    end = Period.month(months[-1]).bounds()[1]
    rows = (
        scope.restrict(Order.objects.filter(ordered_at__gte=first, ordered_at__lt=end))
        .annotate(month=TruncMonth("ordered_at", tzinfo=zone))
        .order_by()
        .values("month")
        .annotate(
            spend=Sum("amount"),
            orders=Count("pk", filter=PURCHASE),
            buyers=Count("customer", distinct=True, filter=PURCHASE),
        )
    )
    by_month = {}
    for row in rows:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = (
                timezone.localtime(month, zone).date() if timezone.is_aware(month) else month.date()
            )
        by_month[month.replace(day=1)] = row
    return [
        SeriesPoint(
            month=month,
            spend=yuan((by_month.get(month) or {}).get("spend") or ZERO),
            orders=(by_month.get(month) or {}).get("orders", 0),
            buyers=(by_month.get(month) or {}).get("buyers", 0),
            vips=0,
        )
        for month in months
    ]
