"""What the events app adds to the navigation, the role groups and the budgets."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from budgets.registry import OwnerKind, register_owner_kind
from carecrm.core.registry import (
    ALL_ACTIONS,
    WORK_ACTIONS,
    NavItem,
    model_permissions,
    register_nav,
    register_role_permissions,
)

EVENT_BUDGET = "event"

register_owner_kind(
    OwnerKind(EVENT_BUDGET, _("Event"), lambda pk: reverse("events:detail", args=[pk]))
)

register_nav(
    NavItem("events", _("Events"), "events:list", "calendar-event", 45, "events.view_event")
)

_EVENT_MODELS_STAFF = {
    "event": WORK_ACTIONS,
    "eventgoal": ALL_ACTIONS,
    "milestone": ALL_ACTIONS,
    "teammember": ALL_ACTIONS,
    "eventtask": ALL_ACTIONS,
    "guest": WORK_ACTIONS,
}
register_role_permissions(
    "staff", [*model_permissions("events", _EVENT_MODELS_STAFF), "events.check_in_guest"]
)
register_role_permissions(
    "manager",
    [
        *model_permissions(
            "events", {**_EVENT_MODELS_STAFF, "event": ALL_ACTIONS, "guest": ALL_ACTIONS}
        ),
        "events.approve_event",
        "events.check_in_guest",
    ],
)


# --- guests: invitations, RSVP and check-in (events/sources.py, views/guests.py, ----------
# --- views/checkin.py, views/public.py) ----------------------------------------------------
from carecrm.core.registry import register_demo_seeder, register_public_prefix  # noqa: E402
from events import sources as _guest_sources  # noqa: E402

_guest_sources.register()
register_public_prefix("/e/")


def _seed_guests(**kwargs) -> None:
    from events.demo_guests import seed_guests

    seed_guests(**kwargs)


register_demo_seeder(75, _seed_guests)
