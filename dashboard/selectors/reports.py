"""What a care report contains: the dashboard's figures for a scope and period, ordered
for print (top campaigns and events), with the feedback summary beside them.

The report renders whatever :func:`dashboard_figures` returns — every KPI, breakdown,
campaign, event and month of the series — so a figure added to the dashboard appears
in the PDF, the XLSX and the email without a change here. The feedback summary is read
through the feedback app's own selectors, so its figures agree with the feedback pages.
"""

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dashboard.charts import BarChart, bar_chart
from dashboard.figures import (
    CampaignResult,
    DashboardFigures,
    EventRow,
    SeriesPoint,
    Unit,
)
from dashboard.periods import Period, PeriodKind
from dashboard.scope import DashboardScope
from dashboard.selectors.figures import dashboard_figures
from feedback.models import Answer, FeedbackItem, ItemStatus, Topic
from feedback.selectors.items import OPEN_STATUSES, breached_condition
from feedback.selectors.results import (
    QuarterRow,
    Scores,
    percent,
    previous_quarter,
    quarter_start,
    scores,
    trend,
)
from feedback.selectors.targets import Period as FeedbackPeriod
from feedback.selectors.targets import handled_items

TOP = 5
TREND_QUARTERS = 4

# The series' measures, in print order; a measure the dashboard adds later is shown
# under its field name until it is named here.
SERIES_LABELS = {
    "spend": gettext_lazy("Spend"),
    "orders": gettext_lazy("Orders"),
    "buyers": gettext_lazy("Buying customers"),
    "vips": gettext_lazy("VIP customers at month end"),
}
SERIES_UNITS = {"spend": Unit.YUAN}


@dataclass(frozen=True)
class SeriesColumn:
    key: str
    label: str
    unit: str


@dataclass(frozen=True)
class CategoryRow:
    code: str
    label: str
    opened: int
    resolved: int
    open: int


@dataclass(frozen=True)
class StatusRow:
    code: str
    label: str
    count: int


@dataclass
class FeedbackSummary:
    """Feedback items in scope: opened and resolved in the period, open and overdue when
    the report was made; satisfaction of the period's answers and by quarter."""

    categories: list[CategoryRow]
    statuses: list[StatusRow]
    overdue: int
    scores: Scores
    quarters: list[QuarterRow]

    @property
    def opened(self) -> int:
        return sum(row.opened for row in self.categories)

    @property
    def resolved(self) -> int:
        return sum(row.resolved for row in self.categories)

    @property
    def open_now(self) -> int:
        return sum(row.open for row in self.categories)


@dataclass
class CareReport:
    figures: DashboardFigures
    feedback: FeedbackSummary
    generated_at: dt.datetime
    campaigns: list[CampaignResult] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)

    @property
    def scope(self) -> DashboardScope:
        return self.figures.scope

    @property
    def period(self) -> Period:
        return self.figures.period

    @property
    def title(self) -> str:
        return report_title(self.period)

    @property
    def top_campaigns(self) -> list[CampaignResult]:
        return self.campaigns[:TOP]

    @property
    def top_events(self) -> list[EventRow]:
        return self.events[:TOP]

    @property
    def series_columns(self) -> list[SeriesColumn]:
        return series_columns()

    @property
    def series_rows(self) -> list[tuple[dt.date, list[tuple[object, str]]]]:
        """Each month with its (value, unit) per column, for the tables."""
        columns = self.series_columns
        return [
            (point.month, [(getattr(point, c.key), c.unit) for c in columns])
            for point in self.figures.series
        ]

    @property
    def charts(self) -> list[BarChart]:
        """A bar chart per measure of the monthly series."""
        series = self.figures.series
        return [
            bar_chart(
                column.label,
                [(f"{point.month:%m}", getattr(point, column.key)) for point in series],
                column.unit,
            )
            for column in self.series_columns
        ]


def series_columns() -> list[SeriesColumn]:
    names = [f.name for f in dataclasses.fields(SeriesPoint) if f.name != "month"]
    return [
        SeriesColumn(
            name,
            str(SERIES_LABELS.get(name, name.replace("_", " "))),
            SERIES_UNITS.get(name, Unit.COUNT),
        )
        for name in names
    ]


def conversion_rate(campaign: CampaignResult) -> Decimal | None:
    """Converted ÷ delivered × 100 (None when nothing was delivered)."""
    return percent(campaign.converted, campaign.delivered)


def budget_use(event: EventRow) -> Decimal | None:
    """Spent ÷ budget × 100 (None without a budget)."""
    if not event.budget_total:
        return None
    return (event.spent * 100 / event.budget_total).quantize(Decimal("0.1"))


def ranked_campaigns(campaigns: list[CampaignResult]) -> list[CampaignResult]:
    """Most conversions first, then most delivered: what the care programme counts."""
    return sorted(campaigns, key=lambda c: (-c.converted, -c.delivered, -c.sent, c.name))


def ranked_events(events: list[EventRow]) -> list[EventRow]:
    """Largest spend first, then the latest: the events that carried the period."""
    return sorted(events, key=lambda e: (-e.spent, -e.starts_on.toordinal(), e.name))


def feedback_summary(
    scope: DashboardScope, period: Period, *, now: dt.datetime | None = None
) -> FeedbackSummary:
    now = now or timezone.now()
    start, end = period.bounds()
    items = scope.restrict(FeedbackItem.objects.all())
    handled = scope.restrict(handled_items(None, FeedbackPeriod(start, end, period.label)))
    opened = Q(created_at__gte=start, created_at__lt=end)
    by_category = {
        row["category"]: row
        for row in items.order_by()
        .values("category")
        .annotate(
            opened=Count("pk", filter=opened),
            resolved=Count("pk", filter=Q(pk__in=handled.values("pk"))),
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        )
    }
    by_status = dict(items.filter(opened).order_by().values_list("status").annotate(n=Count("pk")))
    answers = scope.restrict(Answer.objects.all())
    first_quarter = quarter_start(period.last_day)
    for _step in range(TREND_QUARTERS - 1):
        first_quarter = previous_quarter(first_quarter)
    window_start = dt.datetime.combine(
        first_quarter, dt.time.min, tzinfo=timezone.get_current_timezone()
    )
    return FeedbackSummary(
        categories=[
            CategoryRow(
                topic.value,
                str(topic.label),
                by_category.get(topic.value, {}).get("opened", 0),
                by_category.get(topic.value, {}).get("resolved", 0),
                by_category.get(topic.value, {}).get("open", 0),
            )
            for topic in Topic
        ],
        statuses=[
            StatusRow(status.value, str(status.label), by_status.get(status.value, 0))
            for status in ItemStatus
        ],
        overdue=items.filter(breached_condition(now)).count(),
        scores=scores(
            answers.filter(response__submitted_at__gte=start, response__submitted_at__lt=end)
        ),
        quarters=trend(
            answers.filter(response__submitted_at__gte=window_start, response__submitted_at__lt=end)
        ),
    )


def care_report(
    scope: DashboardScope, period: Period, *, now: dt.datetime | None = None
) -> CareReport:
    """Everything the PDF, the XLSX and the email of one report show."""
    return report_of(dashboard_figures(scope, period), now=now)


def report_of(figures: DashboardFigures, *, now: dt.datetime | None = None) -> CareReport:
    """The report of figures already computed: the feedback summary of their scope and
    period beside them, campaigns and events in the order they are printed."""
    now = now or timezone.now()
    return CareReport(
        figures=figures,
        feedback=feedback_summary(figures.scope, figures.period, now=now),
        generated_at=now,
        campaigns=ranked_campaigns(figures.campaigns),
        events=ranked_events(figures.events),
    )


def report_title(period: Period) -> str:
    titles = {
        PeriodKind.MONTH: _("Monthly care report"),
        PeriodKind.QUARTER: _("Quarterly care report"),
        PeriodKind.YEAR: _("Annual care report"),
    }
    return titles.get(period.kind, _("Care report"))
