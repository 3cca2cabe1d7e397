"""The manager's morning dashboard at ``/``: the period's figures against the previous
period and the programme targets, the trends, the campaigns and events, and the user's
own work for today."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from carecrm.accounts.models import Department
from carecrm.core.registry import home_cards
from dashboard.figures import DashboardFigures, Unit
from dashboard.periods import PeriodKind, period_from_query
from dashboard.scope import DashboardScope
from dashboard.selectors.cache import cached_dashboard_figures, cached_dashboard_goals

# The figures drawn against their target on the targets chart (all in percent).
TARGET_CHART_KEYS = ("vip_repurchase", "vip_contact", "satisfaction", "churn_rate", "vip_growth")


def my_work_today(user, *, counted: bool = True) -> list[dict]:
    """The registered home cards (alerts, tasks, approvals waiting for this user), with
    their counts unless ``counted`` is false (the page asks for them after it loads)."""
    cards = []
    for card in sorted(home_cards, key=lambda c: c.order):
        try:
            url = reverse(card.url_name) if card.url_name else None
        except NoReverseMatch:
            url = None
        value = card.value(user) if counted else None
        cards.append({"label": card.label, "value": value, "url": url, "icon": card.icon})
    return cards


@login_required
@require_GET
def work_today(request: HttpRequest) -> HttpResponse:
    """The counts of "my work today": the user's own, so never cached with the figures,
    and fetched after the page so they never hold it up."""
    return render(request, "dashboard/_work_today.html", {"cards": my_work_today(request.user)})


def _query(base: dict, **changes) -> str:
    merged = {**base, **changes}
    return "?" + urlencode({key: value for key, value in merged.items() if value})


def _tiles(user, figures: DashboardFigures) -> list[dict]:
    return [
        {
            "figure": figure,
            "url": figure.url
            if figure.url and (not figure.permission or user.has_perm(figure.permission))
            else "",
        }
        for figure in figures.kpis
    ]


def _number(value):
    return None if value is None else float(value)


def chart_data(figures: DashboardFigures) -> dict:
    """What static/js/dashboard.js draws; labels in the reader's language."""
    kpis = {figure.key: figure for figure in figures.kpis}
    target_figures = [kpis[key] for key in TARGET_CHART_KEYS if key in kpis]
    return {
        "trend": {
            "months": [point.month.strftime("%Y-%m") for point in figures.series],
            "spend": [_number(point.spend) for point in figures.series],
            "orders": [point.orders for point in figures.series],
            "buyers": [point.buyers for point in figures.series],
            "vips": [point.vips for point in figures.series],
            "vipTarget": [_number(value) for value in figures.vip_target_series],
            "labels": {
                "spend": _("Spend (¥)"),
                "orders": _("Purchases"),
                "buyers": _("Buying customers"),
                "vips": _("VIP customers"),
                "vipTarget": _("VIP growth target"),
            },
        },
        "targets": {
            "labels": [str(figure.label) for figure in target_figures],
            "values": [_number(figure.value) for figure in target_figures],
            "targets": [_number(figure.target) for figure in target_figures],
            "ceiling": [not figure.higher_is_better for figure in target_figures],
            "labelValue": _("This period, percent"),
            "labelTarget": _("Target, percent"),
        },
        "breakdowns": [
            {
                "key": breakdown.key,
                "label": breakdown.label,
                "labels": [row.label for row in breakdown.rows],
                "counts": [row.count for row in breakdown.rows],
            }
            for breakdown in figures.breakdowns
        ],
    }


def setup_steps(user, figures: DashboardFigures) -> list[dict]:
    """What to do first when the scope has nothing to measure yet, with a link where the
    user may act."""
    setup = figures.setup
    steps = []

    def step(done: bool, text: str, url_name: str, permission: str, query: str = "") -> None:
        if done:
            return
        url = reverse(url_name) + query if user.has_perm(permission) else ""
        steps.append({"text": text, "url": url})

    step(
        setup.customers,
        _("No customers yet: import them from a spreadsheet to start."),
        "customers:import-new",
        "customers.add_importjob",
    )
    step(
        setup.orders or not setup.customers,
        _(
            "No orders yet: import the sales history so spend, repurchase and churn can be "
            "measured."
        ),
        "customers:import-new",
        "customers.add_importjob",
    )
    step(
        setup.surveys,
        _("No surveys yet: create one to measure satisfaction and NPS."),
        "feedback:survey-create",
        "feedback.add_survey",
    )
    step(
        setup.campaigns,
        _("No care campaigns yet: plan one to reach your VIPs."),
        "campaigns:create",
        "campaigns.add_carecampaign",
    )
    step(
        setup.events,
        _("No events yet: plan one for your VIPs."),
        "events:create",
        "events.add_event",
    )
    return steps


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    period, problems = period_from_query(request.GET)
    department_value = request.GET.get("department", "").strip()
    scope = DashboardScope.for_user(user, department_value)
    if user.is_admin_role and department_value and scope.department is None:
        problems.append(
            _("There is no department “%(value)s”; showing all departments.")
            % {"value": department_value}
        )
    figures = cached_dashboard_figures(scope, period, refresh=request.GET.get("refresh") == "1")
    base = {**scope.list_query()}
    return render(
        request,
        "dashboard/home.html",
        {
            "figures": figures,
            "scope": scope,
            "tiles": _tiles(user, figures),
            "problems": problems,
            "setup_steps": setup_steps(user, figures),
            "cards": my_work_today(user, counted=False),
            "charts": chart_data(figures),
            "goals": cached_dashboard_goals(scope),
            "period": period,
            "period_kinds": [
                (PeriodKind.MONTH, _("Month")),
                (PeriodKind.QUARTER, _("Quarter")),
                (PeriodKind.YEAR, _("Year")),
                (PeriodKind.CUSTOM, _("Custom")),
            ],
            "previous_url": _query(base, **period.previous().as_query()),
            "next_url": _query(base, **period.next().as_query()),
            "this_url": _query(base, **period.as_query()),
            "refresh_url": _query(base, **period.as_query(), refresh="1"),
            "departments": Department.objects.order_by("name") if user.is_admin_role else None,
            "can_change_targets": user.has_perm("dashboard.change_programmetargets"),
            "percent_unit": Unit.PERCENT,
        },
    )
