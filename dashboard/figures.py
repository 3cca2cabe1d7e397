"""What a dashboard and a report are made of: figures with their previous value, target
and drill-down link; breakdowns; campaign and event rows; monthly series.

The dashboard page, the monthly report (PDF and XLSX) and the API render these same
objects, so a figure cannot say one thing on screen and another in the emailed report.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from dashboard.periods import Period
from dashboard.scope import DashboardScope


class Unit:
    COUNT = "count"
    PERCENT = "percent"  # value is a percentage, 0–100, Decimal with one place
    YUAN = "yuan"
    SMS_PARTS = "sms_parts"


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


@dataclass(frozen=True)
class EventRow:
    event_id: int
    name: str
    url: str
    starts_on: dt.date
    status: str  # the status's label
    budget_total: Decimal | None
    spent: Decimal


@dataclass(frozen=True)
class SeriesPoint:
    """One month of a trend: spend, orders, buying customers and VIPs at month end."""

    month: dt.date
    spend: Decimal
    orders: int
    buyers: int
    vips: int


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
