"""Which permissions each role holds.

Groups are created by a data migration; their permissions are re-synced after every
``migrate`` because later apps add models (and so permissions) of their own. Codenames
that do not exist yet are skipped, so this table may name apps that land later.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from carecrm.accounts.models import Role

# app_label -> model -> actions per role; "pii" is the custom view_customer_pii permission.
_ALL = ("view", "add", "change", "delete")
_WORK = ("view", "add", "change")
_READ = ("view",)

ROLE_PERMISSIONS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    Role.STAFF: {
        "accounts": {"department": _READ, "user": _READ},
        "customers": {
            "customer": _WORK,
            "order": _WORK,
            "orderline": _WORK,
            "intentevent": _WORK,
            "interaction": _WORK,
            "importjob": ("view", "add"),
            "importpreset": _ALL,
            "staticlist": _ALL,
            "verificationtask": _WORK,
            "tag": _WORK,
        },
        "segmentation": {
            "segment": _ALL,
            "tierpolicy": _READ,
            "scoringrun": _READ,
            "tierchange": _READ,
            "relationshipmanager": _READ,
            "coveragereport": _READ,
            "riskrule": _READ,
            "riskalert": ("view", "change"),
        },
        "campaigns": {
            "carecampaign": _WORK,
            "campaigncontent": _WORK,
            "contenttemplate": _ALL,
            "companyday": _ALL,
            "couponbatch": _WORK,
            "coupon": _READ,
            "caretask": ("view", "change"),
            "campaignreview": _READ,
            "campaignversion": _READ,
            "campaignactivity": _READ,
        },
        "delivery": {
            # the messages of customers they see; opt-outs from a call
            "outboxmessage": _READ,
            "messageevent": _READ,
            "messagesource": _READ,
            "unsubscribe": ("view", "add"),
        },
    },
    Role.MANAGER: {
        "accounts": {"department": _READ, "user": _READ},
        "customers": {
            "customer": _ALL,
            "order": _ALL,
            "orderline": _ALL,
            "intentevent": _ALL,
            "interaction": _ALL,
            "importjob": ("view", "add"),
            "importpreset": _ALL,
            "staticlist": _ALL,
            "verificationtask": _ALL,
            "tag": _ALL,
            "customermerge": _READ,
        },
        "segmentation": {
            "segment": _ALL,
            "tierpolicy": _READ,
            "scoringrun": _READ,
            "tierchange": _READ,
            "relationshipmanager": _WORK,
            "coveragereport": _READ,
            "riskrule": _READ,
            "riskalert": ("view", "change"),
        },
        "campaigns": {
            "carecampaign": _ALL,
            "campaigncontent": _ALL,
            "contenttemplate": _ALL,
            "companyday": _ALL,
            "couponbatch": _ALL,
            "coupon": _READ,
            "caretask": _WORK,
            "campaignreview": _WORK,
            "campaignversion": _READ,
            "campaignactivity": _READ,
            "triggerevent": _READ,
        },
        "delivery": {
            # also the operations page ("change" = retry now) and pausing, resuming or
            # cancelling a sender; caps, quiet hours and which senders count against
            # caps are read-only, admins change them
            "outboxmessage": ("view", "change"),
            "messageevent": _READ,
            "messagesource": ("view", "change"),
            "dispatchrun": _READ,
            "frequencycap": _READ,
            "quiethours": _READ,
            "sourcekindclass": _READ,
            "unsubscribe": _ALL,
        },
        "core": {"auditentry": _READ},
    },
}
EXTRA_CODENAMES: dict[str, tuple[str, ...]] = {
    Role.STAFF: ("handle_riskalert", "redeem_coupon"),
    Role.MANAGER: (
        "view_customer_pii",
        "export_customer",
        "merge_customer",
        "anonymise_customer",
        "handle_riskalert",
        "approve_carecampaign",
        "review_carecampaign",
        "redeem_coupon",
    ),
}


def _permission_filter(table: dict[str, dict[str, tuple[str, ...]]]) -> Q:
    query = Q(pk__in=[])
    for app_label, models in table.items():
        for model, actions in models.items():
            codenames = [f"{action}_{model}" for action in actions]
            query |= Q(content_type__app_label=app_label, codename__in=codenames)
    return query


def sync_role_permissions(**kwargs) -> None:
    """Give each role group exactly the permissions of the table above (admins: all)."""
    if not Permission.objects.exists():
        return
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        if role == Role.ADMIN:
            permissions = Permission.objects.all()
        else:
            query = _permission_filter(ROLE_PERMISSIONS[role])
            if EXTRA_CODENAMES[role]:
                query |= Q(codename__in=EXTRA_CODENAMES[role])
            permissions = Permission.objects.filter(query)
        group.permissions.set(permissions)
