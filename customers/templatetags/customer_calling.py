"""``{% phone_reveal customer %}``: a customer's phone number where someone may call
them — in full as a ``tel:`` link for users who see personal data, otherwise masked with
a "show number" button for users who may contact the customer (the reveal itself checks
scope and the hourly limit: ``customers.services.calling``)."""

from django import template

from customers.forms import PhoneRevealForm
from customers.models import CustomerStatus
from customers.privacy import can_see_pii, display_phone, mask_phone
from customers.services.calling import CONTACT_PERMISSION

register = template.Library()


@register.inclusion_tag("customers/_phone_reveal.html", takes_context=True)
def phone_reveal(context, customer, compact=False, log_link=True):
    user = context["request"].user
    mobile = customer.mobile or ""
    shown = bool(mobile) and can_see_pii(user)
    return {
        "customer": customer,
        "mobile": mobile,
        "shown": shown,
        "display": display_phone(mobile) if shown else mask_phone(mobile),
        "can_reveal": bool(mobile)
        and not shown
        and customer.status == CustomerStatus.ACTIVE
        and user.has_perm(CONTACT_PERMISSION),
        "can_log": user.has_perm(CONTACT_PERMISSION) and customer.status == CustomerStatus.ACTIVE,
        "form": PhoneRevealForm(auto_id=f"id_reveal_{customer.pk}_%s"),
        "compact": compact,
        "log_link": log_link,
    }
