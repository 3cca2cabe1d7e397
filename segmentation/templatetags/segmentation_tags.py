from django import template
from django.urls import NoReverseMatch, reverse

from customers.privacy import customer_contact_view

register = template.Library()


@register.simple_tag
def customer_url(customer_id) -> str:
    """The customer's page, once the customers app provides one (else no link)."""
    try:
        return reverse("customers:detail", args=[customer_id])
    except NoReverseMatch:
        return ""


@register.simple_tag(takes_context=True)
def contact_of(context, customer) -> dict:
    return customer_contact_view(customer, context["request"].user)


@register.filter
def lookup(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def rfm_label(value: str) -> str:
    from segmentation.models import RfmSegment

    return dict(RfmSegment.choices).get(value, value)
