"""What the events app adds to the navigation, the home page, the customer timeline, the
calendar, the demo data, the role groups and the budgets."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from budgets.registry import OwnerKind, register_owner_kind
from carecrm.core.registry import (
    ALL_ACTIONS,
    WORK_ACTIONS,
    CalendarEntry,
    HomeCard,
    NavItem,
    TimelineEntry,
    model_permissions,
    register_calendar_provider,
    register_demo_seeder,
    register_home_card,
    register_nav,
    register_role_permissions,
    register_timeline_kind,
    register_timeline_provider,
)
from events.selectors.events import EVENT_BUDGET

register_owner_kind(
    OwnerKind(EVENT_BUDGET, _("Event"), lambda pk: reverse("events:detail", args=[pk]))
)

register_nav(
    NavItem("events", _("Events"), "events:list", "calendar-event", 45, "events.view_event")
)


def _my_tasks_this_week(user) -> int:
    from events.selectors.events import my_tasks_due_this_week

    return my_tasks_due_this_week(user) if user.has_perm("events.view_eventtask") else 0


register_home_card(
    HomeCard(
        "event_tasks_this_week",
        _("My event tasks due this week"),
        _my_tasks_this_week,
        "events:my-tasks",
        "list-check",
        45,
    )
)


def _timeline(customer, user):
    """The customer's invitations, answers and check-ins at events."""
    from events.models import GuestStatus
    from events.selectors.events import customer_guest_rows

    entries = []
    for guest in customer_guest_rows(user, customer):
        url = reverse("events:detail", args=[guest.event_id])
        title = guest.event.title
        if guest.invited_at:
            entries.append(
                TimelineEntry(
                    at=guest.invited_at,
                    kind="event",
                    icon="envelope-paper",
                    title=_("Invited to the event: %(title)s") % {"title": title},
                    detail=timezone.localtime(guest.event.starts_at).strftime("%Y-%m-%d %H:%M"),
                    url=url,
                )
            )
        if guest.responded_at:
            entries.append(
                TimelineEntry(
                    at=guest.responded_at,
                    kind="event",
                    icon="reply",
                    title=_("Answered the invitation to %(title)s: %(status)s")
                    % {"title": title, "status": guest.get_status_display()},
                    detail=_("%(n)d people") % {"n": guest.party_size}
                    if guest.status == GuestStatus.ACCEPTED
                    else "",
                    url=url,
                )
            )
        if guest.checked_in_at:
            entries.append(
                TimelineEntry(
                    at=guest.checked_in_at,
                    kind="event",
                    icon="person-check",
                    title=_("Attended the event: %(title)s") % {"title": title},
                    url=url,
                )
            )
        if not (guest.invited_at or guest.responded_at or guest.checked_in_at):
            entries.append(
                TimelineEntry(
                    at=guest.created_at,
                    kind="event",
                    icon="calendar-event",
                    title=_("On the guest list of %(title)s") % {"title": title},
                    url=url,
                )
            )
    return entries


register_timeline_provider(_timeline)
register_timeline_kind("event", _("Events"))


def _calendar(user, start, end):
    """Events in the user's scope, with their status."""
    from events.selectors.events import events_between

    if not user.has_perm("events.view_event"):
        return []
    return [
        CalendarEntry(
            at=event.starts_at,
            title=event.title,
            url=reverse("events:detail", args=[event.pk]),
            kind="event",
            icon="calendar-event",
            badge=event.get_status_display(),
        )
        for event in events_between(user, start, end)[:200]
    ]


register_calendar_provider(_calendar)


def _seed(**kwargs) -> None:
    from events.demo import seed_events

    seed_events(**kwargs)


register_demo_seeder(70, _seed)

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
