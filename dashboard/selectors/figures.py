"""The dashboard's figures for a scope and period, each computed with SQL aggregates: a
bounded number of queries whatever the number of customers, orders, answers, alerts,
messages or events (the running campaigns' touch calendar adds a few per campaign).

The definitions are in the modules that compute them (``customers``, ``care``,
``satisfaction``, ``campaigns``, ``events``) and, shortened, in each figure's ``note``.
"""

import dataclasses
import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import LifecycleStage, Order, ValueTier, VipLevel
from dashboard.figures import (
    Breakdown,
    BreakdownRow,
    DashboardFigures,
    Figure,
    Setup,
    Unit,
)
from dashboard.models import ProgrammeTargets
from dashboard.periods import Period
from dashboard.scope import DashboardScope
from dashboard.selectors import care, customers, events
from dashboard.selectors.campaigns import campaign_results, has_campaigns
from dashboard.selectors.satisfaction import has_surveys, satisfaction

TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")
DAYS_A_YEAR = Decimal(365)
UPCOMING_EVENT_DAYS = 60

CUSTOMERS_PERMISSION = "customers.view_customer"


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` × 100, one place; None without a whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, ROUND_HALF_UP)


def growth(now: int, before: int) -> Decimal | None:
    """The change from ``before`` to ``now`` in percent of ``before``, one place."""
    if not before:
        return None
    return (Decimal(now - before) * 100 / Decimal(before)).quantize(TENTH, ROUND_HALF_UP)


def _url(name: str, **query) -> str:
    query = {key: value for key, value in query.items() if value not in (None, "")}
    return reverse(name) + ("?" + urlencode(query) if query else "")


def customer_list_url(scope: DashboardScope, **filters) -> str:
    query = {**scope.list_query(), **{k: v for k, v in filters.items() if v is not None}}
    return reverse("customers:list") + ("?" + urlencode(query) if query else "")


def _breakdown(scope, key: str, label: str, choices, order, counts, param: str) -> Breakdown:
    labels = dict(choices.choices)
    return Breakdown(
        key,
        label,
        [
            BreakdownRow(
                str(code),
                str(labels[code]),
                counts.get(code, 0),
                customer_list_url(scope, **{param: code or "none"}),
            )
            for code in order
        ],
    )


def customer_breakdowns(scope: DashboardScope, counts: customers.CustomerCounts) -> list[Breakdown]:
    return [
        _breakdown(
            scope,
            "value_tier",
            _("Customers by value tier"),
            ValueTier,
            customers.TIER_ORDER,
            counts.by_tier,
            "value_tier",
        ),
        _breakdown(
            scope,
            "vip_level",
            _("Customers by VIP level"),
            VipLevel,
            customers.LEVEL_ORDER,
            counts.by_level,
            "vip_level",
        ),
        _breakdown(
            scope,
            "lifecycle",
            _("Customers by lifecycle stage"),
            LifecycleStage,
            customers.STAGE_ORDER,
            counts.by_stage,
            "lifecycle",
        ),
    ]


def vip_breakdown(scope: DashboardScope) -> Breakdown:
    """Today's customers of the scope by VIP level (one grouped query)."""
    counts = customers.customer_counts(scope, {})
    return customer_breakdowns(scope, counts)[1]


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _days_begun(start: dt.datetime, until: dt.datetime) -> int:
    """Days of a period measured so far, the day under way counting as one."""
    return math.ceil((until - start).total_seconds() / 86400)


def _per_year(count: int, per: int, days: int) -> Decimal | None:
    """``count`` per ``per`` over ``days`` days, as a yearly rate with two places."""
    if not per or days <= 0:
        return None
    return (Decimal(count) * DAYS_A_YEAR / Decimal(days) / Decimal(per)).quantize(
        HUNDREDTH, ROUND_HALF_UP
    )


def dashboard_figures(
    scope: DashboardScope, period: Period, *, now: dt.datetime | None = None
) -> DashboardFigures:
    """Everything the dashboard, the monthly report and the API show for ``scope`` in
    ``period``, with the previous period's values to compare. ``now`` (default: the
    current time) ends a period that is still running."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    previous = period.previous()
    targets = ProgrammeTargets.current()
    start, end = period.bounds()
    previous_start, previous_end = previous.bounds()
    # A running period is measured up to now; a future one has not started.
    until = max(start, min(end, now))
    previous_until = max(previous_start, min(previous_end, now))

    windows = {"current": (start, end), "previous": (previous_start, previous_end)}
    counts = customers.customer_counts(scope, windows)
    year = relativedelta(years=1)
    moments = {
        "current": until,
        "previous": previous_until,
        "current_year_before": until - year,
        "previous_year_before": previous_until - year,
    }
    last_month = _month(min(period.last_day, today))
    months = customers.month_starts(last_month)
    month_ends = {
        f"month_{index}": min(Period.month(month).bounds()[1], now)
        for index, month in enumerate(months)
    }
    first_month_start = Period.month(months[0]).bounds()[0]
    moments.update(month_ends)
    moments["series_base"] = first_month_start
    vips = customers.vips_at(scope, counts.vips, moments, now=now)

    repurchase = customers.vip_repurchase(scope, windows)
    days = customers.churn_days()
    churn_now = customers.churn(scope, start, until, days)
    churn_before = customers.churn(scope, previous_start, previous_until, days)
    sales = customers.sales(scope, windows)
    series = customers.monthly_sales(scope, months)
    series = [
        dataclasses.replace(point, vips=vips[f"month_{index}"])
        for index, point in enumerate(series)
    ]

    csat_now = satisfaction(scope, start, end)
    csat_before = satisfaction(scope, previous_start, previous_end)

    coverage_month = _month(min(period.last_day, today))
    coverage_previous = _month(min(previous.last_day, today))
    if coverage_previous == coverage_month:
        coverage_previous = _month(coverage_month - dt.timedelta(days=1))
    coverage_vips, contacted = care.vip_contact_coverage(
        scope, {"current": coverage_month, "previous": coverage_previous}
    )
    alerts = care.alert_counts(scope, {"current": until, "previous": previous_until})
    week_end = today + dt.timedelta(days=6 - today.weekday())
    touches = care.touches_due(scope, today, week_end)

    if start <= now < end:
        events_from, events_until = today, today + dt.timedelta(days=UPCOMING_EVENT_DAYS)
    else:
        events_from, events_until = period.start, period.end
    event_list = events.event_rows(scope, events_from, events_until)
    campaigns = campaign_results(scope, period, now=now)

    list_scope = scope.list_query()
    coverage_url = _url("segmentation:coverage", month=coverage_month.strftime("%Y-%m"))
    alerts_url = _url("segmentation:alerts", scope="all", status="unresolved")
    satisfaction_url = _url("feedback:satisfaction", **list_scope)
    vips_url = reverse("segmentation:vips")
    churn_window = dt.timedelta(days=days)
    elapsed = _days_begun(start, until)
    previous_elapsed = _days_begun(previous_start, previous_until)

    kpis = [
        Figure(
            "vip_count",
            _("VIP customers"),
            vips["current"],
            vips["previous"],
            unit=Unit.COUNT,
            url=vips_url,
            permission=CUSTOMERS_PERMISSION,
            note=_("Silver level and up, at the end of the period (now, while it runs)."),
        ),
        Figure(
            "vip_growth",
            _("VIP growth in a year"),
            growth(vips["current"], vips["current_year_before"]),
            growth(vips["previous"], vips["previous_year_before"]),
            unit=Unit.PERCENT,
            target=targets.vip_growth_percent,
            url=vips_url,
            permission=CUSTOMERS_PERMISSION,
            note=_(
                "VIPs at the end of the period against the same day a year before, from the "
                "history of VIP level changes."
            ),
        ),
        Figure(
            "vip_repurchase",
            _("VIP repurchase rate"),
            percent(repurchase["current"][1], repurchase["current"][0]),
            percent(repurchase["previous"][1], repurchase["previous"][0]),
            unit=Unit.PERCENT,
            target=targets.vip_repurchase_percent,
            url=vips_url,
            permission=CUSTOMERS_PERMISSION,
            note=_("Of today's VIPs who had bought before the period, the share who bought in it."),
        ),
        Figure(
            "churn_rate",
            _("Churn rate"),
            percent(churn_now[1], churn_now[0]),
            percent(churn_before[1], churn_before[0]),
            unit=Unit.PERCENT,
            target=targets.churn_percent,
            higher_is_better=False,
            url=customer_list_url(
                scope,
                last_purchase_from=(timezone.localtime(start - churn_window).date()).isoformat(),
                last_purchase_to=(
                    timezone.localtime(until - churn_window).date() - dt.timedelta(days=1)
                ).isoformat(),
            ),
            permission=CUSTOMERS_PERMISSION,
            note=_(
                "Of the customers with a purchase in the %(days)d days before the period, the "
                "share with none in the %(days)d days before its end."
            )
            % {"days": days},
        ),
        Figure(
            "satisfaction",
            _("Satisfaction (CSAT)"),
            csat_now.csat,
            csat_before.csat,
            unit=Unit.PERCENT,
            target=targets.satisfaction_percent,
            url=satisfaction_url,
            permission="feedback.view_survey",
            note=_("Answers of 4 or 5 ÷ all answers to 1–5 rating questions, in the period."),
        ),
        Figure(
            "nps",
            _("NPS"),
            csat_now.nps,
            csat_before.nps,
            unit=Unit.SCORE,
            target=targets.nps,
            url=satisfaction_url,
            permission="feedback.view_survey",
            note=_("(Answers of 9–10 − answers of 0–6) ÷ all answers to 0–10 questions × 100."),
        ),
        Figure(
            "vip_contact",
            _("VIPs contacted this month"),
            percent(contacted["current"], coverage_vips),
            percent(contacted["previous"], coverage_vips),
            unit=Unit.PERCENT,
            target=targets.vip_contact_percent,
            url=coverage_url,
            permission=CUSTOMERS_PERMISSION,
            note=_(
                "Share of today's VIPs with a call or visit that reached them in %(month)s "
                "(compared with the month before)."
            )
            % {"month": coverage_month.strftime("%Y-%m")},
        ),
        Figure(
            "referral_rate",
            _("Referrals per VIP a year"),
            _per_year(counts.referred["current"], vips["current"], elapsed),
            _per_year(counts.referred["previous"], vips["previous"], previous_elapsed),
            unit=Unit.RATIO,
            target=targets.referrals_per_vip,
            note=_(
                "Customers referred in the period ÷ VIPs at its end, scaled to a year "
                "(%(count)d referred)."
            )
            % {"count": counts.referred["current"]},
        ),
        Figure(
            "spend",
            _("Spend"),
            sales["current"].spend,
            sales["previous"].spend,
            unit=Unit.YUAN,
            note=_("All orders in the period, refunds deducted."),
        ),
        Figure(
            "buyers",
            _("Buying customers"),
            sales["current"].buyers,
            sales["previous"].buyers,
            unit=Unit.COUNT,
            note=_("Customers with a purchase in the period (%(orders)d purchases).")
            % {"orders": sales["current"].orders},
        ),
        Figure(
            "alerts_open",
            _("Open risk alerts"),
            alerts["current"][0],
            alerts["previous"][0],
            unit=Unit.COUNT,
            higher_is_better=False,
            url=alerts_url,
            permission="segmentation.view_riskalert",
            note=_("Raised and not resolved, at the end of the period (now, while it runs)."),
        ),
        Figure(
            "alerts_overdue",
            _("Overdue risk alerts"),
            alerts["current"][1],
            alerts["previous"][1],
            unit=Unit.COUNT,
            target=Decimal(0),
            higher_is_better=False,
            url=_url("segmentation:alerts", scope="all", status="open"),
            permission="segmentation.view_riskalert",
            note=_("Open alerts past their response deadline and not acknowledged."),
        ),
        Figure(
            "touches_due",
            _("Touches due this week"),
            touches,
            unit=Unit.COUNT,
            url=reverse("campaigns:calendar"),
            permission="campaigns.view_carecampaign",
            note=_(
                "Customers the approved and active campaigns reach from today to Sunday "
                "(%(first)s – %(last)s)."
            )
            % {"first": today.isoformat(), "last": week_end.isoformat()},
        ),
    ]

    growth_target = targets.vip_growth_percent
    base = vips["series_base"]
    vip_target_series = [
        None
        if not base
        else Decimal(base * (1 + float(growth_target) / 100) ** ((index + 1) / 12)).quantize(
            TENTH, ROUND_HALF_UP
        )
        for index in range(len(months))
    ]

    return DashboardFigures(
        scope=scope,
        period=period,
        previous=previous,
        kpis=kpis,
        breakdowns=customer_breakdowns(scope, counts),
        campaigns=campaigns,
        events=event_list,
        series=series,
        computed_at=now,
        setup=Setup(
            customers=counts.total > 0,
            orders=scope.restrict(Order.objects.all()).exists(),
            surveys=has_surveys(scope),
            campaigns=has_campaigns(scope),
            events=events.has_events(scope),
        ),
        coverage_month=coverage_month,
        events_from=events_from,
        events_until=events_until,
        vip_target_series=vip_target_series,
    )
