"""Template helpers of the data quality and privacy screens."""

from django import template
from django.urls import NoReverseMatch, reverse

from customers.models import RevealReason

register = template.Library()


@register.simple_tag
def customer_url(customer_id) -> str:
    """The customer page, or "" where it is not installed (the link is then left out)."""
    try:
        return reverse("customers:detail", args=[customer_id])
    except NoReverseMatch:
        return ""


@register.filter
def audit_detail(detail) -> str:
    """An audit entry's detail as "key: value" pairs for the log table."""
    if not isinstance(detail, dict) or not detail:
        return ""
    parts = []
    for key, value in detail.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif key == "reason" and value in RevealReason.values:
            value = RevealReason(value).label
        parts.append(f"{key}: {value}")
    return "; ".join(parts)
