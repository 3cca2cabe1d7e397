"""Figures as text in templates, by their unit (``dashboard.formatting``)."""

from django import template

from dashboard.formatting import absolute_url, format_change, format_value, meets_target_text
from dashboard.selectors import reports

register = template.Library()


@register.filter
def figure_value(figure) -> str:
    return format_value(figure.value, figure.unit)


@register.filter
def figure_previous(figure) -> str:
    return format_value(figure.previous, figure.unit)


@register.filter
def figure_change(figure) -> str:
    return format_change(figure.change, figure.unit)


@register.filter
def figure_target(figure) -> str:
    return "" if figure.target is None else format_value(figure.target, figure.unit)


@register.filter
def figure_met(figure) -> str:
    return meets_target_text(figure.meets_target)


@register.filter
def in_unit(value, unit: str) -> str:
    """``{{ value|in_unit:"yuan" }}``"""
    return format_value(value, unit)


@register.filter
def share_of(count, total) -> str:
    """``count`` as a share of ``total`` for a bar's width in CSS (0–100)."""
    if not total:
        return "0"
    return f"{max(0, min(100, count * 100 / total)):.1f}"


register.filter("absolute", absolute_url)


register.filter("conversion_rate", reports.conversion_rate)
register.filter("budget_use", reports.budget_use)
