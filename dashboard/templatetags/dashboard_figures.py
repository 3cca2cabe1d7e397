"""How a dashboard figure reads: its value, its change and its target in its unit."""

from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import gettext as _

from carecrm.money import format_yuan
from dashboard.figures import Unit

register = template.Library()
DASH = "—"


def _number(value, unit: str, *, signed: bool = False) -> str:
    if value is None:
        return DASH
    sign = "+" if signed and value > 0 else ""
    if unit == Unit.YUAN:
        text = format_yuan(value)
        return f"+{text}" if sign else text
    if unit == Unit.COUNT or unit == Unit.SMS_PARTS:
        return f"{sign}{intcomma(int(value))}"
    if unit == Unit.RATIO:
        return f"{sign}{Decimal(value):.2f}"
    return f"{sign}{Decimal(value):.1f}"


def unit_value(value, unit: str) -> str:
    """A value with its unit: 87.5 %, ¥1,234.00, 1,024."""
    text = _number(value, unit)
    if value is not None and unit == Unit.PERCENT:
        return f"{text} %"
    return text


@register.filter
def figure_value(figure) -> str:
    return unit_value(figure.value, figure.unit)


@register.filter
def figure_previous(figure) -> str:
    return unit_value(figure.previous, figure.unit)


@register.filter
def figure_target(figure) -> str:
    return unit_value(figure.target, figure.unit)


@register.filter
def figure_change(figure) -> str:
    """The change against the previous period; percentages change by points."""
    change = figure.change
    if change is None:
        return DASH
    text = _number(change, figure.unit, signed=True)
    if figure.unit == Unit.PERCENT:
        return _("%(change)s pts") % {"change": text}
    return text
