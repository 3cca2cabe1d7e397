"""A segment's trends (care programme §9: spend, frequency and preference trends): month
by month over a range, for the segment's members today as the reader may see them.

Spend
    net order amounts in the month: a refund (a negative order) lowers it, as scoring
    computes spend.
Purchases, buyers, orders per buyer
    a purchase is an order above zero; buyers are the members with at least one purchase
    in the month; orders per buyer = purchases ÷ buyers.
Category preferences
    of the line values (quantity × unit price) of the month's purchases, the share of each
    category: the :data:`TOP_CATEGORIES` largest over the range by name, the rest together
    as "other categories", lines without a category as "uncategorised". A line picked
    from the catalogue counts under its product's category today (a product re-filed
    counts as one), a typed line under its own. Orders recorded without lines count in
    spend but in no category.

Months are local (``TIME_ZONE``). Two grouped SQL aggregates over the members' orders
(by month, and by month and category); pandas pivots the categories into columns and
fills the months without purchases with zeros.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from django.db.models import Count, DecimalField, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from carecrm.money import yuan
from customers.models import Order, OrderLine
from segmentation.models import Segment
from segmentation.selectors import segment_customers

RANGE_CHOICES = (12, 24)
DEFAULT_MONTHS = 12
MAX_MONTHS = 60
TOP_CATEGORIES = 8
OTHER = "\x00other"  # the key of "other categories" (no real category starts with NUL)
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
MONEY = DecimalField(max_digits=18, decimal_places=2)


def month_start(day: dt.date, months_back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class MonthRange:
    """Whole local months, ``first`` to ``last`` (first days of the months), both included."""

    first: dt.date
    last: dt.date
    preset: int | None = None  # 12 or 24: the last months up to this one

    @property
    def months(self) -> list[dt.date]:
        count = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        return [month_start(self.first, -n) for n in range(count)]

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        zone = timezone.get_current_timezone()
        return (
            dt.datetime.combine(self.first, dt.time.min, tzinfo=zone),
            dt.datetime.combine(month_start(self.last, -1), dt.time.min, tzinfo=zone),
        )

    def as_query(self) -> dict[str, str]:
        if self.preset:
            return {"months": str(self.preset)}
        return {"from": self.first.strftime("%Y-%m"), "to": self.last.strftime("%Y-%m")}

    @classmethod
    def last_months(cls, count: int, today: dt.date) -> "MonthRange":
        return cls(month_start(today, count - 1), month_start(today), preset=count)


def _read_month(raw: str) -> dt.date:
    year, month = raw.split("-")
    if len(year) != 4 or len(month) != 2:
        raise ValueError(raw)
    return dt.date(int(year), int(month), 1)


def trend_range(params, today: dt.date | None = None) -> tuple[MonthRange, list[str]]:
    """The range asked for by ``?months=12|24`` or ``?from=YYYY-MM&to=YYYY-MM``; what
    cannot be read gives the last 12 months and says why, rather than failing."""
    today = today or timezone.localdate()
    fallback = MonthRange.last_months(DEFAULT_MONTHS, today)
    first_raw, last_raw = params.get("from", "").strip(), params.get("to", "").strip()
    if first_raw or last_raw:
        try:
            first, last = _read_month(first_raw), _read_month(last_raw)
        except ValueError:
            return fallback, [
                _("Give both months as YYYY-MM (e.g. 2026-01); showing the last 12 months.")
            ]
        if last < first:
            return fallback, [_("The range ends before it starts; showing the last 12 months.")]
        chosen = MonthRange(first, last)
        if len(chosen.months) > MAX_MONTHS:
            return fallback, [
                _("A range covers at most %(count)s months; showing the last 12 months.")
                % {"count": MAX_MONTHS}
            ]
        return chosen, []
    raw = params.get("months", "").strip()
    if not raw:
        return fallback, []
    if raw not in {str(n) for n in RANGE_CHOICES}:
        return fallback, [
            _("“%(value)s” months is not offered (12 or 24); showing the last 12 months.")
            % {"value": raw}
        ]
    return MonthRange.last_months(int(raw), today), []


@dataclass(frozen=True)
class TrendMonth:
    month: dt.date
    spend: Decimal
    purchases: int
    buyers: int

    @property
    def label(self) -> str:
        return self.month.strftime("%Y-%m")

    @property
    def orders_per_buyer(self) -> Decimal | None:
        if not self.buyers:
            return None
        return (Decimal(self.purchases) / self.buyers).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class CategoryTrend:
    key: str
    label: str
    total: Decimal  # line value over the range
    values: list[Decimal]  # per month
    shares: list[Decimal | None]  # per month, percent with one place; None: no lines


@dataclass(frozen=True)
class SegmentTrends:
    segment: Segment
    range: MonthRange
    months: list[TrendMonth]
    categories: list[CategoryTrend]

    @property
    def has_purchases(self) -> bool:
        return any(m.purchases or m.spend for m in self.months)

    @property
    def total_spend(self) -> Decimal:
        return sum((m.spend for m in self.months), ZERO)

    @property
    def total_purchases(self) -> int:
        return sum(m.purchases for m in self.months)

    @property
    def category_rows(self) -> list[tuple[CategoryTrend, list[tuple[str, Decimal | None]]]]:
        """Each category with its (month label, share) pairs, for the table."""
        labels = [m.label for m in self.months]
        return [(c, list(zip(labels, c.shares, strict=True))) for c in self.categories]

    def chart_data(self) -> dict:
        """What static/js/segment-trends.js draws; amounts as text (Decimal stays exact)."""
        return {
            "months": [m.label for m in self.months],
            "spend": [str(m.spend) for m in self.months],
            "purchases": [m.purchases for m in self.months],
            "buyers": [m.buyers for m in self.months],
            "per_buyer": [
                None if m.orders_per_buyer is None else str(m.orders_per_buyer) for m in self.months
            ],
            "categories": [
                {
                    "label": c.label,
                    "shares": [None if s is None else str(s) for s in c.shares],
                }
                for c in self.categories
            ],
            "labels": {
                "spend": _("Spend (CNY)"),
                "purchases": _("Purchases"),
                "buyers": _("Buyers"),
                "per_buyer": _("Orders per buyer"),
                "share": _("Share of spend (percent)"),
            },
        }

    def table(self) -> tuple[list[str], list[list]]:
        """The export's one table: a row per month, spend, purchases, buyers, orders per
        buyer and each category's share."""
        headers = [
            _("Month"),
            _("Spend (CNY)"),
            _("Purchases"),
            _("Buyers"),
            _("Orders per buyer"),
            *[_("%(category)s (share, percent)") % {"category": c.label} for c in self.categories],
        ]
        rows = [
            [
                m.label,
                m.spend,
                m.purchases,
                m.buyers,
                m.orders_per_buyer,
                *[c.shares[index] for c in self.categories],
            ]
            for index, m in enumerate(self.months)
        ]
        return headers, rows


def _local_month(value) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date().replace(day=1)
    return value.replace(day=1)


def _monthly(orders, months: list[dt.date]) -> list[TrendMonth]:
    zone = timezone.get_current_timezone()
    purchase = Q(amount__gt=0)
    rows = (
        orders.annotate(month=TruncMonth("ordered_at", tzinfo=zone))
        .values("month")
        .order_by()
        .annotate(
            spend=Sum("amount"),
            purchases=Count("pk", filter=purchase),
            buyers=Count("customer", distinct=True, filter=purchase),
        )
    )
    by_month = {_local_month(row["month"]): row for row in rows}
    result = []
    for month in months:
        row = by_month.get(month, {})
        result.append(
            TrendMonth(
                month=month,
                spend=yuan(row.get("spend") or ZERO),
                purchases=row.get("purchases", 0),
                buyers=row.get("buyers", 0),
            )
        )
    return result


def _categories(lines, months: list[dt.date]) -> list[CategoryTrend]:
    zone = timezone.get_current_timezone()
    rows = (
        lines.annotate(
            month=TruncMonth("order__ordered_at", tzinfo=zone),
            # The catalogue product's category when the line was picked from it (so a
            # product moved or renamed is one category across months), else as typed.
            group=Coalesce("catalogue_product__category", "category"),
        )
        .values("month", "group")
        .order_by()
        .annotate(value=Sum(F("quantity") * F("unit_price"), output_field=MONEY))
        .values_list("month", "group", "value")
    )
    frame = pd.DataFrame.from_records(list(rows), columns=["month", "category", "value"])
    if frame.empty:
        return []
    frame["month"] = frame["month"].map(_local_month)
    frame["value"] = frame["value"].map(yuan).astype(object)
    totals = frame.groupby("category")["value"].sum()
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    top = [category for category, _total in ranked[:TOP_CATEGORIES]]
    frame["key"] = frame["category"].where(frame["category"].isin(top), OTHER)
    wide = (
        frame.groupby(["month", "key"])["value"]
        .sum()
        .unstack("key")
        .reindex(index=months)
        .map(lambda value: ZERO if pd.isna(value) else value)
    )
    month_totals = [sum(row, ZERO) for row in wide.itertuples(index=False)]
    keys = top + ([OTHER] if OTHER in wide.columns else [])
    result = []
    for key in keys:
        values = list(wide[key])
        shares = [
            (value * HUNDRED / whole).quantize(Decimal("0.1"), ROUND_HALF_UP) if whole else None
            for value, whole in zip(values, month_totals, strict=True)
        ]
        label = _("Other categories") if key == OTHER else key or _("Uncategorised")
        result.append(CategoryTrend(key, label, sum(values, ZERO), values, shares))
    return result


def segment_trends(segment: Segment, *, user, month_range: MonthRange) -> SegmentTrends:
    """The segment's monthly spend, purchases, buyers and category shares over
    ``month_range``, for the members ``user`` may see."""
    start, end = month_range.bounds()
    members = segment_customers(segment, user=user).values("pk")
    orders = Order.objects.filter(customer__in=members, ordered_at__gte=start, ordered_at__lt=end)
    lines = OrderLine.objects.filter(
        order__customer__in=members,
        order__amount__gt=0,
        order__ordered_at__gte=start,
        order__ordered_at__lt=end,
    )
    months = month_range.months
    return SegmentTrends(segment, month_range, _monthly(orders, months), _categories(lines, months))
