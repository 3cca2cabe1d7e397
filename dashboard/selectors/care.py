"""Care figures of a scope: VIP contact coverage, risk alerts and the touches due.

Definitions (the dashboard states them next to each figure):

Monthly VIP contact coverage
    segmentation's: today's VIPs from the coverage level of the relationship-manager
    policy up, and the share of them with at least one real contact — a call or visit
    that reached the customer — in the calendar month (``segmentation.selectors``).
Open and overdue risk alerts
    alerts raised before the moment and not resolved by then; overdue ones were also
    past their response deadline (``due_at``) without being acknowledged — the alert
    inbox's red. Counted at the end of the period, or now while it runs.
Touches due
    the campaigns' touch calendar: customers due per day of the approved and active
    campaigns in scope (``campaigns.selectors.due``).
"""

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q

from campaigns.models import DUE_STATUSES, CareCampaign
from campaigns.selectors.due import touch_counts
from dashboard.scope import DashboardScope
from segmentation.models import AlertStatus, RiskAlert
from segmentation.selectors import manager_policy, month_bounds, real_contacts, vip_levels_from


def vip_contact_coverage(
    scope: DashboardScope, months: dict[str, dt.date]
) -> tuple[int, dict[str, int]]:
    """(VIPs needing a monthly contact, {key: those contacted in that month}), one query."""
    levels = vip_levels_from(manager_policy().coverage_min_level)
    aggregates = {"vips": Count("pk")}
    for key, month in months.items():
        start, end = month_bounds(month)
        contacted = real_contacts(start, end).filter(customer=OuterRef("pk"))
        aggregates[f"contacted_{key}"] = Count("pk", filter=Q(Exists(contacted)))
    row = scope.customers().filter(vip_level__in=levels).aggregate(**aggregates)
    return row["vips"], {key: row[f"contacted_{key}"] for key in months}


def alert_counts(
    scope: DashboardScope, moments: dict[str, dt.datetime]
) -> dict[str, tuple[int, int]]:
    """Per moment: (alerts open then, those of them overdue then), one query."""
    aggregates = {}
    for key, at in moments.items():
        unresolved = Q(created_at__lt=at) & (
            ~Q(status=AlertStatus.RESOLVED) | Q(resolved_at__gte=at)
        )
        overdue = (
            unresolved
            & Q(due_at__lt=at)
            & (Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gte=at))
        )
        aggregates[f"open_{key}"] = Count("pk", filter=unresolved)
        aggregates[f"overdue_{key}"] = Count("pk", filter=overdue)
    alerts = scope.restrict(RiskAlert.objects.filter(created_at__lt=max(moments.values())))
    row = alerts.aggregate(**aggregates)
    return {key: (row[f"open_{key}"], row[f"overdue_{key}"]) for key in moments}


def touches_due(scope: DashboardScope, first: dt.date, last: dt.date) -> int:
    """Customers due a touch between two days (both included) of the approved and active
    campaigns in scope: the calendar's grouped queries, a few per running campaign."""
    campaigns = (
        scope.restrict(CareCampaign.objects.filter(status__in=DUE_STATUSES))
        .select_related("company_day")
        .prefetch_related("include_segments", "exclude_segments")
        .order_by("pk")
    )
    return sum(sum(touch_counts(campaign, first, last).values()) for campaign in campaigns)
