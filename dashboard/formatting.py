"""A figure's value as text, by its unit — the same text on the dashboard, in the PDF
and in the email — and its number format in a spreadsheet, where it stays a number."""

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from carecrm.money import format_yuan
from dashboard.figures import Unit

DASH = "—"

# Excel/WPS number formats: money is CNY with two places, a percentage stays 0–100.
NUMBER_FORMATS = {
    Unit.COUNT: "#,##0",
    Unit.PERCENT: '0.0" %"',
    Unit.YUAN: "¥#,##0.00",
    Unit.SMS_PARTS: "#,##0",
}
CHANGE_FORMATS = {
    Unit.COUNT: "+#,##0;-#,##0;0",
    Unit.PERCENT: '+0.0" pp";-0.0" pp";0.0" pp"',
    Unit.YUAN: "+¥#,##0.00;-¥#,##0.00;¥0.00",
    Unit.SMS_PARTS: "+#,##0;-#,##0;0",
}


def _fractional(value) -> bool:
    return isinstance(value, Decimal) and value != value.to_integral_value()


def number_format(unit: str, value=None) -> str:
    """The cell format of ``value`` in ``unit``; a count that is a rate (referrals per
    VIP, 0.35) keeps its places."""
    if unit in (Unit.COUNT, Unit.SMS_PARTS) and _fractional(value):
        return "#,##0.00"
    return NUMBER_FORMATS.get(unit, "General")


def change_format(unit: str, value=None) -> str:
    if unit in (Unit.COUNT, Unit.SMS_PARTS) and _fractional(value):
        return "+#,##0.00;-#,##0.00;0"
    return CHANGE_FORMATS.get(unit, "General")


def _count(value) -> str:
    if _fractional(value):
        return f"{value.normalize():,f}"
    return f"{int(value):,}"


def format_value(value, unit: str) -> str:
    """``value`` in ``unit`` as text; ``None`` (not measurable) as a dash, never 0."""
    if value is None:
        return DASH
    if unit == Unit.YUAN:
        return format_yuan(value)
    if unit == Unit.PERCENT:
        return f"{Decimal(value):.1f} %"
    return _count(value)


def format_change(value, unit: str) -> str:
    """A difference with its sign: percentages change by percentage points."""
    if value is None:
        return DASH
    if unit == Unit.YUAN:
        text = format_yuan(value)
        return text if value < 0 else "+" + text
    if unit == Unit.PERCENT:
        return _("%(points)s pp") % {"points": f"{Decimal(value):+.1f}"}
    text = _count(abs(value))
    return ("-" if value < 0 else "+") + text if value else "0"


def meets_target_text(met: bool | None) -> str:
    if met is None:
        return ""
    return _("Met") if met else _("Missed")


def absolute_url(url: str) -> str:
    """A site path as a full address: the PDF, the XLSX and the email are read away
    from the site."""
    if url and url.startswith("/"):
        return settings.SITE_URL.rstrip("/") + url
    return url or ""
