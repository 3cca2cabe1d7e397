"""The dashboard's figures for a scope and period, each computed with SQL aggregates."""

from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _

from customers.models import VipLevel
from dashboard.figures import Breakdown, BreakdownRow, DashboardFigures, Figure
from dashboard.periods import Period
from dashboard.scope import DashboardScope


def customer_list_url(scope: DashboardScope, **filters) -> str:
    query = {**scope.list_query(), **{k: v for k, v in filters.items() if v is not None}}
    return reverse("customers:list") + ("?" + urlencode(query) if query else "")


def vip_breakdown(scope: DashboardScope) -> Breakdown:
    counts = dict(scope.customers().order_by().values_list("vip_level").annotate(n=Count("pk")))
    return Breakdown(
        "vip_level",
        _("Customers by VIP level"),
        [
            BreakdownRow(
                level.value,
                level.label,
                counts.get(level.value, 0),
                customer_list_url(scope, vip_level=level.value),
            )
            for level in VipLevel
        ],
    )


def dashboard_figures(scope: DashboardScope, period: Period) -> DashboardFigures:
    vips = vip_breakdown(scope)
    vip_count = vips.total - next(r.count for r in vips.rows if r.code == VipLevel.NORMAL)
    return DashboardFigures(
        scope=scope,
        period=period,
        previous=period.previous(),
        kpis=[Figure("vip_count", _("VIP customers"), vip_count, url=customer_list_url(scope))],
        breakdowns=[vips],
    )
