"""What the delivery engine adds to the shared registries: its navigation entry (the
operations page for those who may see it, the message log for everyone else who may see
messages), its models' permissions per role, the customer page's "record opt-out" link,
the customer's messages on the 360° timeline and the URL prefixes of its customer pages."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from carecrm.core.registry import (
    ALL_ACTIONS,
    READ_ACTIONS,
    CustomerAction,
    NavItem,
    TimelineEntry,
    model_permissions,
    register_customer_action,
    register_nav,
    register_public_prefix,
    register_role_permissions,
    register_timeline_kind,
    register_timeline_provider,
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


def _message_timeline(customer, user):
    """The customer's latest care messages, each linking to its history."""
    if not user.has_perm("delivery.view_outboxmessage"):
        return []
    from delivery.selectors.messages import customer_messages
    from delivery.templatetags.delivery_tags import channel_icon

    entries = []
    for message in customer_messages(user, customer, limit=50):
        detail = [str(message.get_status_display())]
        if message.reason:
            detail.append(str(message.get_reason_display()))
        for stamp, label in (
            (message.opened_at, _("opened")),
            (message.clicked_at, _("clicked")),
            (message.replied_at, _("replied")),
            (message.unsubscribed_at, _("unsubscribed")),
        ):
            if stamp:
                detail.append(str(label))
        entries.append(
            TimelineEntry(
                at=message.sent_at or message.created_at,
                kind="message",
                icon=channel_icon(message.channel),
                title=f"{message.get_channel_display()} · {message.source.label}",
                detail=" · ".join(detail),
                url=reverse("delivery_ops:message", args=[message.pk]),
            )
        )
    return entries


register_timeline_kind("message", _("Messages"))
register_timeline_provider(_message_timeline)

# delivery.urls_public: unsubscribe, preferences, tracking and short links.
register_public_prefix("/m/")
register_public_prefix("/s/")
