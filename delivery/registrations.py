"""What the delivery engine adds to the shared registries: its models' permissions per
role and the customer page's "record opt-out" link (its navigation, timeline and public
prefixes are registered by campaigns, its first sender, for now)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from carecrm.core.registry import (
    ALL_ACTIONS,
    READ_ACTIONS,
    CustomerAction,
    model_permissions,
    register_customer_action,
    register_role_permissions,
)

# Staff: the messages of customers they see; opt-outs from a call.
register_role_permissions(
    "staff",
    model_permissions(
        "delivery",
        {
            "outboxmessage": READ_ACTIONS,
            "messageevent": READ_ACTIONS,
            "messagesource": READ_ACTIONS,
            "unsubscribe": ("view", "add"),
        },
    ),
)
# Managers: also the operations page ("change" = retry now); caps and quiet hours are
# read-only, admins change them.
register_role_permissions(
    "manager",
    model_permissions(
        "delivery",
        {
            "outboxmessage": ("view", "change"),
            "messageevent": READ_ACTIONS,
            "messagesource": READ_ACTIONS,
            "dispatchrun": READ_ACTIONS,
            "frequencycap": READ_ACTIONS,
            "quiethours": READ_ACTIONS,
            "unsubscribe": ALL_ACTIONS,
        },
    ),
)

register_customer_action(
    CustomerAction(
        key="optout",
        label=_("Record opt-out"),
        url=lambda customer: reverse("delivery_ops:optout", args=[customer.pk]),
        icon="bell-slash",
        order=10,
        place="consents",
        permission="customers.change_customer",
    )
)
