"""What delivery adds to the lower layer's registries: its entry in the navigation (the
operations page for those who may see it, the message log for everyone else who may see
messages)."""

from django.utils.translation import gettext_lazy as _

from carecrm.core.registry import NavItem, register_nav

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
