"""The period a dashboard or report covers, and the one it is compared with.

Periods are whole local days (``TIME_ZONE``, Asia/Shanghai by default): ``start`` is the
first day, ``end`` the day after the last, so figures filter ``start <= day < end`` and a
month's report never loses the evening of its last day to UTC.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

# Dates a period may start or end on: far enough back for any history a company imports,
# and far enough from the calendar's ends that the previous period, the year before and
# the next period still exist.
FIRST_DAY = dt.date(1970, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)
# A custom period longer than this is a typing mistake, not a report.
MAX_CUSTOM_DAYS = 3660


class PeriodKind:
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    CUSTOM = "custom"
    CHOICES = (MONTH, QUARTER, YEAR, CUSTOM)


def _month_start(day: dt.date, months_back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def _add_months(day: dt.date, months: int) -> dt.date:
    return _month_start(day, -months)


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date  # exclusive

    @classmethod
    def month(cls, day: dt.date) -> "Period":
        start = _month_start(day)
        return cls(PeriodKind.MONTH, start, _add_months(start, 1))

    @classmethod
    def quarter(cls, day: dt.date) -> "Period":
        start = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return cls(PeriodKind.QUARTER, start, _add_months(start, 3))

    @classmethod
    def year(cls, day: dt.date) -> "Period":
        return cls(PeriodKind.YEAR, dt.date(day.year, 1, 1), dt.date(day.year + 1, 1, 1))

    @classmethod
    def custom(cls, first: dt.date, last: dt.date) -> "Period":
        if last < first:
            raise ValueError(_("The period ends before it starts."))
        if (last - first).days >= MAX_CUSTOM_DAYS:
            raise ValueError(_("A custom period may cover at most ten years."))
        return cls(PeriodKind.CUSTOM, first, last + dt.timedelta(days=1))

    @classmethod
    def of_kind(cls, kind: str, day: dt.date) -> "Period":
        builders = {
            PeriodKind.MONTH: cls.month,
            PeriodKind.QUARTER: cls.quarter,
            PeriodKind.YEAR: cls.year,
        }
        if kind not in builders:
            raise ValueError(_("Unknown period: %(kind)s") % {"kind": kind})
        return builders[kind](day)

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> "Period":
        """The period of the same kind just before: the month, quarter or year before, or
        for a custom range the same number of days ending where this one starts."""
        if self.kind == PeriodKind.CUSTOM:
            return Period(self.kind, self.start - dt.timedelta(days=self.days), self.start)
        return Period.of_kind(self.kind, self.start - dt.timedelta(days=1))

    def next(self) -> "Period":
        if self.kind == PeriodKind.CUSTOM:
            return Period(self.kind, self.end, self.end + dt.timedelta(days=self.days))
        return Period.of_kind(self.kind, self.end)

    def year_before(self) -> "Period":
        """The same span a year earlier — for year-on-year growth such as the VIP count."""
        start = (
            _add_months(self.start, -12)
            if self.start.day == 1
            else self.start.replace(year=self.start.year - 1)
        )
        end = (
            _add_months(self.end, -12)
            if self.end.day == 1
            else self.end.replace(year=self.end.year - 1)
        )
        return Period(self.kind, start, end)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Aware datetimes of ``start`` and ``end`` at local midnight."""
        zone = timezone.get_current_timezone()
        return (
            dt.datetime.combine(self.start, dt.time.min, tzinfo=zone),
            dt.datetime.combine(self.end, dt.time.min, tzinfo=zone),
        )

    def contains(self, day: dt.date) -> bool:
        return self.start <= day < self.end

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return date_format(self.start, "YEAR_MONTH_FORMAT")
        if self.kind == PeriodKind.QUARTER:
            return _("Q%(quarter)s %(year)s") % {
                "quarter": (self.start.month - 1) // 3 + 1,
                "year": self.start.year,
            }
        if self.kind == PeriodKind.YEAR:
            return str(self.start.year)
        return f"{date_format(self.start, 'SHORT_DATE_FORMAT')} – " + date_format(
            self.last_day, "SHORT_DATE_FORMAT"
        )

    def as_query(self) -> dict[str, str]:
        """GET parameters that give this period back through :func:`period_from_query`."""
        if self.kind == PeriodKind.CUSTOM:
            return {
                "period": self.kind,
                "from": self.start.isoformat(),
                "to": self.last_day.isoformat(),
            }
        return {"period": self.kind, "on": self.start.isoformat()}


def period_from_query(params, today: dt.date | None = None) -> tuple[Period, list[str]]:
    """The period asked for by ``?period=month|quarter|year&on=YYYY-MM-DD`` or
    ``?period=custom&from=…&to=…``; unreadable input gives this month and an error per
    problem, so the page can say what it ignored instead of failing."""
    today = today or timezone.localdate()
    errors: list[str] = []
    kind = params.get("period") or PeriodKind.MONTH
    if kind not in PeriodKind.CHOICES:
        return Period.month(today), [
            _("Unknown period “%(kind)s”; showing this month.") % {"kind": kind}
        ]

    def read(name: str) -> dt.date | None:
        raw = params.get(name)
        if not raw:
            return None
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            errors.append(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": raw})
            return None
        if not FIRST_DAY <= day <= LAST_DAY:
            errors.append(
                _("%(value)s is outside the dates the dashboard covers (%(first)s to %(last)s).")
                % {"value": raw, "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
            )
            return None
        return day

    if kind == PeriodKind.CUSTOM:
        first, last = read("from"), read("to")
        if first is None or last is None:
            errors.append(_("A custom period needs a first and a last day."))
            return Period.month(today), errors
        try:
            return Period.custom(first, last), errors
        except ValueError as exc:
            return Period.month(today), [*errors, str(exc)]
    return Period.of_kind(kind, read("on") or today), errors
