"""What a dashboard and a report are made of: figures with their previous value, target
and drill-down link; breakdowns; campaign and event rows; monthly series.

The dashboard page, the monthly report (PDF and XLSX) and the API render these same
objects, so a figure cannot say one thing on screen and another in the emailed report.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from dashboard.periods import Period
from dashboard.scope import DashboardScope


class Unit:
    COUNT = "count"
    PERCENT = "percent"  # value is a percentage, 0–100, Decimal with one place
    YUAN = "yuan"
    SMS_PARTS = "sms_parts"
    SCORE = "score"  # NPS: −100 to 100, Decimal with one place
    RATIO = "ratio"  # e.g. referrals per VIP a year, Decimal with two places


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Figure:
    """One KPI tile: this period, the previous one, the target and whether it is met."""

    key: str
    label: str
    value: Decimal | int | None  # None: not measurable yet (no data in the period)
    previous: Decimal | int | None = None
    unit: str = Unit.COUNT
    target: Decimal | None = None
    higher_is_better: bool = True
    url: str = ""  # the filtered list behind the figure
    note: str = ""  # how it is computed, shown as help text
    permission: str = ""  # needed to open ``url``; without it the tile is not a link

    @property
    def change(self) -> Decimal | int | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def meets_target(self) -> bool | None:
        if self.target is None or self.value is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    @property
    def trend(self) -> str:
        """``better``, ``worse`` or ``same`` against the previous period ("" when either
        is unknown), so up is green only where higher is better."""
        change = self.change
        if change is None:
            return ""
        if change == 0:
            return "same"
        return "better" if (change > 0) == self.higher_is_better else "worse"


@dataclass(frozen=True)
class BreakdownRow:
    code: str
    label: str
    count: int
    url: str = ""


@dataclass(frozen=True)
class Breakdown:
    """A distribution such as customers by VIP level, drawn as a chart with links."""

    key: str
    label: str
    rows: list[BreakdownRow]

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows)


@dataclass(frozen=True)
class CampaignResult:
    campaign_id: int
    name: str
    url: str
    sent: int
    delivered: int
    opened: int
    clicked: int
    replied: int
    unsubscribed: int
    converted: int
    sms_parts: int
    # Added for rates: the customers the campaign reached and what went out per channel.
    reached: int = 0
    emails_sent: int = 0
    emails_opened: int = 0
    sms_sent: int = 0
    sms_replied: int = 0
    status: str = ""  # the campaign status's label

    @property
    def delivery_rate(self) -> Decimal | None:
        return _percent(self.delivered, self.sent)

    @property
    def open_rate(self) -> Decimal | None:
        """Emails opened ÷ emails sent: only email carries an open pixel."""
        return _percent(self.emails_opened, self.emails_sent)

    @property
    def click_rate(self) -> Decimal | None:
        return _percent(self.clicked, self.sent)

    @property
    def reply_rate(self) -> Decimal | None:
        """SMS replied ÷ SMS sent: only SMS has replies."""
        return _percent(self.sms_replied, self.sms_sent)

    @property
    def conversion_rate(self) -> Decimal | None:
        return _percent(self.converted, self.reached)


@dataclass(frozen=True)
class EventRow:
    event_id: int
    name: str
    url: str
    starts_on: dt.date
    status: str  # the status's label
    budget_total: Decimal | None
    spent: Decimal
    department: str = ""  # which department runs it: events of two departments may share a name

    @property
    def budget_used(self) -> Decimal | None:
        """Spent as a percentage of the budget (None without a budget)."""
        if not self.budget_total:
            return None
        return (self.spent * 100 / self.budget_total).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class SeriesPoint:
    """One month of a trend: spend, orders, buying customers and VIPs at month end."""

    month: dt.date
    spend: Decimal
    orders: int
    buyers: int
    vips: int


@dataclass(frozen=True)
class Setup:
    """What the scope has at all, so an empty dashboard says what to do first."""

    customers: bool = True
    orders: bool = True
    surveys: bool = True
    campaigns: bool = True
    events: bool = True


@dataclass
class DashboardFigures:
    scope: DashboardScope
    period: Period
    previous: Period
    kpis: list[Figure] = field(default_factory=list)
    breakdowns: list[Breakdown] = field(default_factory=list)
    campaigns: list[CampaignResult] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    series: list[SeriesPoint] = field(default_factory=list)
    # Added: when the figures were computed (they are cached a few minutes), what the
    # scope has at all, the month the contact coverage is of, the days the event list
    # covers (upcoming ones while the period runs, else the period's) and the VIP count
    # the series' growth target starts from.
    computed_at: dt.datetime | None = None
    setup: Setup = field(default_factory=Setup)
    coverage_month: dt.date | None = None
    events_from: dt.date | None = None
    events_until: dt.date | None = None  # exclusive
    vip_target_series: list[Decimal | None] = field(default_factory=list)

    def kpi(self, key: str) -> Figure:
        for figure in self.kpis:
            if figure.key == key:
                return figure
        raise KeyError(key)

    def breakdown(self, key: str) -> Breakdown:
        for breakdown in self.breakdowns:
            if breakdown.key == key:
                return breakdown
        raise KeyError(key)
