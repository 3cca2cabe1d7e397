"""``{% load points %}``: ``{{ n|points }}`` → 1,234 and ``{{ n|signed_points }}`` → +1,234."""

from decimal import Decimal

from django import template

from loyalty.describe import points_text

register = template.Library()


@register.filter
def points(value) -> str:
    return points_text(int(value or 0))


@register.filter
def signed_points(value) -> str:
    return points_text(int(value or 0), signed=True)


@register.filter
def rate(value) -> str:
    """A rate as typed: 0.1, not 0.1000."""
    if value in (None, ""):
        return ""
    return format(Decimal(value).normalize(), "f")
