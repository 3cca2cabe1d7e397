"""What the delivery engine adds to the shared registries: its models' permissions per
role (its navigation, timeline and public prefixes are registered by campaigns, its first
sender, for now)."""

from carecrm.core.registry import (
    ALL_ACTIONS,
    READ_ACTIONS,
    model_permissions,
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
