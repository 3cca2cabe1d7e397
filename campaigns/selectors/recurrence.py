"""Repeating schedules as people say them. The campaign keeps an RFC 5545 rule (what the
scheduler reads); people choose "every 2 weeks on Monday and Thursday" and read it back
the same way, never ``FREQ=WEEKLY;BYDAY=MO,TH``."""

import dataclasses
import datetime as dt
import re

from django.utils import translation
from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FREQUENCIES = (
    ("WEEKLY", gettext_lazy("Weekly")),
    ("MONTHLY", gettext_lazy("Monthly")),
    ("YEARLY", gettext_lazy("Yearly")),
    ("DAILY", gettext_lazy("Daily")),
)
ORDINALS = (
    (1, gettext_lazy("first")),
    (2, gettext_lazy("second")),
    (3, gettext_lazy("third")),
    (4, gettext_lazy("fourth")),
    (-1, gettext_lazy("last")),
)
# Parts a person sets with the pickers; any other part of a stored rule is kept as it is.
_KNOWN = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH"}
_NTH_DAY = re.compile(r"^([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)$")


@dataclasses.dataclass
class RuleParts:
    frequency: str = "WEEKLY"
    interval: int = 1
    weekdays: list[str] = dataclasses.field(default_factory=list)
    month_day: int | None = None
    ordinal: int | None = None
    ordinal_weekday: str | None = None
    month: int | None = None
    extra: str = ""

    @property
    def monthly_by_weekday(self) -> bool:
        return self.ordinal is not None and self.ordinal_weekday is not None


def split_rule(text: str) -> RuleParts:
    """The pickers' values for a stored rule. Parts the pickers do not offer (COUNT,
    UNTIL, BYSETPOS…) are kept in ``extra`` so saving the form does not drop them."""
    parts = RuleParts(frequency="")
    extra = []
    text = (text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    for item in filter(None, text.split(";")):
        key, _sep, value = item.partition("=")
        key, value = key.strip().upper(), value.strip().upper()
        if key not in _KNOWN:
            extra.append(f"{key}={value}")
        elif key == "FREQ":
            parts.frequency = value
        elif key == "INTERVAL" and value.isdigit():
            parts.interval = max(1, int(value))
        elif key == "BYMONTH" and value.isdigit():
            parts.month = int(value)
        elif key == "BYMONTHDAY" and re.fullmatch(r"-?\d+", value):
            parts.month_day = int(value)
        elif key == "BYDAY":
            for day in value.split(","):
                match = _NTH_DAY.match(day.strip())
                if not match:
                    continue
                if match.group(1) and parts.frequency in ("MONTHLY", "YEARLY"):
                    parts.ordinal, parts.ordinal_weekday = int(match.group(1)), match.group(2)
                else:
                    parts.weekdays.append(match.group(2))
        else:
            extra.append(f"{key}={value}")
    parts.extra = ";".join(extra)
    return parts


def compose_rule(parts: RuleParts) -> str:
    """The stored rule for the pickers' values."""
    items = [f"FREQ={parts.frequency}"]
    if parts.interval and parts.interval > 1:
        items.append(f"INTERVAL={parts.interval}")
    if parts.frequency == "WEEKLY" and parts.weekdays:
        ordered = [code for code in WEEKDAY_CODES if code in parts.weekdays]
        items.append("BYDAY=" + ",".join(ordered))
    elif parts.frequency == "MONTHLY":
        if parts.monthly_by_weekday:
            items.append(f"BYDAY={parts.ordinal}{parts.ordinal_weekday}")
        elif parts.month_day:
            items.append(f"BYMONTHDAY={parts.month_day}")
    elif parts.frequency == "YEARLY":
        if parts.month:
            items.append(f"BYMONTH={parts.month}")
        if parts.month_day:
            items.append(f"BYMONTHDAY={parts.month_day}")
    if parts.extra:
        items.append(parts.extra)
    return ";".join(items)


def _join(words: list[str]) -> str:
    separator = "、" if (translation.get_language() or "").startswith("zh") else ", "
    return separator.join(words)


def _weekday(code: str) -> str:
    return str(WEEKDAYS[WEEKDAY_CODES.index(code)])


def _ordinal(number: int) -> str:
    return str(dict(ORDINALS).get(number, number))


def describe_rule(text: str) -> str:
    """The rule in a sentence of the user's language ("Every 2 weeks on Monday, Thursday")."""
    parts = split_rule(text)
    n = parts.interval
    if parts.frequency == "DAILY":
        sentence = _("Every day") if n == 1 else _("Every %(n)d days") % {"n": n}
    elif parts.frequency == "WEEKLY":
        if parts.weekdays:
            days = _join([_weekday(code) for code in WEEKDAY_CODES if code in parts.weekdays])
            sentence = (
                _("Every week on %(days)s") % {"days": days}
                if n == 1
                else _("Every %(n)d weeks on %(days)s") % {"n": n, "days": days}
            )
        else:
            sentence = _("Every week") if n == 1 else _("Every %(n)d weeks") % {"n": n}
    elif parts.frequency == "MONTHLY":
        values = {"n": n, "day": parts.month_day}
        if parts.monthly_by_weekday:
            values["ordinal"] = _ordinal(parts.ordinal)
            values["weekday"] = _weekday(parts.ordinal_weekday)
            sentence = (
                _("Every month on the %(ordinal)s %(weekday)s") % values
                if n == 1
                else _("Every %(n)d months on the %(ordinal)s %(weekday)s") % values
            )
        elif parts.month_day == -1:
            sentence = (
                _("Every month on its last day")
                if n == 1
                else _("Every %(n)d months on the last day") % values
            )
        elif parts.month_day:
            sentence = (
                _("Every month on day %(day)d") % values
                if n == 1
                else _("Every %(n)d months on day %(day)d") % values
            )
        else:
            sentence = _("Every month") if n == 1 else _("Every %(n)d months") % values
    elif parts.frequency == "YEARLY":
        if parts.month and parts.month_day:
            values = {"n": n, "month": MONTHS[parts.month], "day": parts.month_day}
            sentence = (
                _("Every year on %(month)s %(day)d") % values
                if n == 1
                else _("Every %(n)d years on %(month)s %(day)d") % values
            )
        else:
            sentence = _("Every year") if n == 1 else _("Every %(n)d years") % {"n": n}
    else:
        return _("On a custom schedule")
    extra = dict(item.partition("=")[::2] for item in filter(None, parts.extra.split(";")))
    if extra.get("COUNT", "").isdigit():
        count = int(extra["COUNT"])
        sentence += ngettext(", %(count)d time in all", ", %(count)d times in all", count) % {
            "count": count
        }
    until = re.match(r"(\d{4})(\d{2})(\d{2})", extra.get("UNTIL", ""))
    if until:
        day = dt.date(*map(int, until.groups()))
        sentence += _(", until %(date)s") % {"date": day.isoformat()}
    return sentence
