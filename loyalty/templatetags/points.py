"""``{% load points %}``: ``{{ n|points }}`` → 1,234 and ``{{ n|signed_points }}`` → +1,234."""

from django import template

from loyalty.describe import points_text

register = template.Library()


@register.filter
def points(value) -> str:
    return points_text(int(value or 0))


@register.filter
def signed_points(value) -> str:
    return points_text(int(value or 0), signed=True)
