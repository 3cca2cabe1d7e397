"""Role permissions come from each app's registrations now (carecrm/core/registry.py);
the groups must hold exactly what the one table in carecrm/accounts/roles.py gave them
before the apps registered their own. That table is kept here, frozen, as the witness."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from carecrm.accounts.models import Role
from carecrm.accounts.roles import sync_role_permissions
from carecrm.core.registry import role_permissions

pytestmark = pytest.mark.django_db

# app_label -> model -> actions per role; "pii" is the custom view_customer_pii permission.
_ALL = ("view", "add", "change", "delete")
_WORK = ("view", "add", "change")
_READ = ("view",)

BEFORE_TABLE: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
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
            # also the operations page ("change" = retry now); caps and quiet hours are
            # read-only, admins change them
            "outboxmessage": ("view", "change"),
            "messageevent": _READ,
            "messagesource": _READ,
            "dispatchrun": _READ,
            "frequencycap": _READ,
            "quiethours": _READ,
            "unsubscribe": _ALL,
        },
        "core": {"auditentry": _READ},
    },
}
BEFORE_EXTRA: dict[str, tuple[str, ...]] = {
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


# Granted on purpose since the table was frozen: managers pause, resume and cancel a
# sender's messages, and read which kinds of sender count against caps.
def _granted(app_label: str, models: dict[str, str], extra: tuple[str, ...] = ()) -> set:
    """``{"event": "vacd"}``: view, add, change, delete of that model."""
    actions = {"v": "view", "a": "add", "c": "change", "d": "delete"}
    return {
        (app_label, f"{actions[letter]}_{model}")
        for model, letters in models.items()
        for letter in letters
    } | {(app_label, codename) for codename in extra}


# What each role was given after the table above was retired: delivery's source controls,
# then events and budgets (issue 15), then surveys and feedback items (issue 16), then
# care reports (issue 17). Staff draft budgets and book expenses; managers also approve
# them, delete plans and surveys, and approve events. Everyone downloads the care report
# of their scope; managers also see their department's emailed reports and resend one.
EVENTS_STAFF = {"event": "vac", "eventgoal": "vacd", "milestone": "vacd", "teammember": "vacd"}
EVENTS_STAFF |= {"eventtask": "vacd", "guest": "vac"}
BUDGETS_STAFF = {"annualbudget": "v", "budgetplan": "vac", "budgetline": "vacd"}
BUDGETS_STAFF |= {"expense": "vacd", "planreview": "v"}
FEEDBACK_STAFF = {"survey": "vac", "question": "vacd", "choice": "vacd"}
FEEDBACK_STAFF |= {"surveyinvitation": "vac", "response": "vac", "answer": "vac"}
FEEDBACK_STAFF |= {"feedbackitem": "vac", "itemactivity": "vac", "severitydeadline": "v"}
# Issue 17: staff and managers read customers' points and redeem them.
LOYALTY = {"pointsaccount": "v", "pointsentry": "v"}
# The product catalogue: staff read it (and pick from it on orders), managers keep it.
GRANTED_SINCE = {
    "staff": _granted("events", EVENTS_STAFF, ("check_in_guest",))
    | _granted("budgets", BUDGETS_STAFF)
    | _granted("feedback", FEEDBACK_STAFF)
    | _granted("dashboard", {}, ("download_report",))
    | _granted("loyalty", LOYALTY, ("redeem_points",))
    | {("dashboard", "view_programmetargets")}
    | _granted("customers", {"product": "v"}),
    "manager": {("delivery", "change_messagesource"), ("delivery", "view_sourcekindclass")}
    | {("dashboard", "view_programmetargets")}
    | _granted(
        "events",
        {**EVENTS_STAFF, "event": "vacd", "guest": "vacd"},
        ("check_in_guest", "approve_event"),
    )
    | _granted(
        "budgets",
        {**BUDGETS_STAFF, "budgetplan": "vacd", "planreview": "vac"},
        ("approve_budgetplan",),
    )
    | _granted("feedback", {**FEEDBACK_STAFF, "survey": "vacd", "feedbackitem": "vacd"})
    | _granted("dashboard", {"reportdelivery": "vc"}, ("download_report",))
    | _granted("loyalty", LOYALTY, ("redeem_points",))
    | _granted("customers", {"product": "vac"}),
}


def permissions_before(role: str) -> set[tuple[str, str]]:
    """What the old ``sync_role_permissions`` gave ``role``: the table's app/model/actions,
    and the extra codenames matched in any app."""
    query = Q(pk__in=[])
    for app_label, models in BEFORE_TABLE[role].items():
        for model, actions in models.items():
            codenames = [f"{action}_{model}" for action in actions]
            query |= Q(content_type__app_label=app_label, codename__in=codenames)
    query |= Q(codename__in=BEFORE_EXTRA[role])
    return set(Permission.objects.filter(query).values_list("content_type__app_label", "codename"))


def group_permissions(role: str) -> set[tuple[str, str]]:
    return set(
        Group.objects.get(name=role).permissions.values_list("content_type__app_label", "codename")
    )


@pytest.mark.parametrize("role", [Role.STAFF, Role.MANAGER])
def test_registered_role_permissions_equal_the_old_table(role):
    Group.objects.filter(name=role).delete()
    sync_role_permissions()
    after = group_permissions(role)
    assert after == permissions_before(role) | GRANTED_SINCE[role]
    assert len(after) > 50


def test_admins_hold_every_permission():
    sync_role_permissions()
    assert group_permissions(Role.ADMIN) == set(
        Permission.objects.values_list("content_type__app_label", "codename")
    )


def test_every_registered_permission_exists():
    """A typo in an app's registration would silently grant nothing."""
    existing = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    for role, names in role_permissions.items():
        assert names <= existing, (role, sorted(names - existing))
