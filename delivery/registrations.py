"""What the delivery engine adds to the shared registries: its navigation entry (the
operations page for those who may see it, the message log for everyone else who may see
messages), its models' permissions per role and the customer page's "record opt-out"
link (its timeline and public prefixes are registered by campaigns, its first sender, for
now)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from carecrm.core.registry import (
    ALL_ACTIONS,
    READ_ACTIONS,
    CustomerAction,
    NavItem,
    model_permissions,
    register_customer_action,
    register_nav,
    register_role_permissions,
)

register_nav(
    NavItem(
        "delivery",
        _("Delivery"),
        "delivery_ops:operations",
        "send-check",
        43,
        "delivery.view_outboxmessage",
    )
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
# Managers: also the operations page ("change" = retry now) and pausing, resuming or
# cancelling a sender; caps, quiet hours and which senders count against caps are
# read-only, admins change them.
register_role_permissions(
    "manager",
    model_permissions(
        "delivery",
        {
            "outboxmessage": ("view", "change"),
            "messageevent": READ_ACTIONS,
            "messagesource": ("view", "change"),
            "dispatchrun": READ_ACTIONS,
            "frequencycap": READ_ACTIONS,
            "quiethours": READ_ACTIONS,
            "sourcekindclass": READ_ACTIONS,
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
