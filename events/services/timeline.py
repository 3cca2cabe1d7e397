"""The event's timeline (care programme §5): preparation from two months to one month
before, execution from a week before to three days after, review within the week after —
generated from the event's dates as editable milestones, each owned by the team role
responsible for it."""

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from events.models import Event, Milestone, Phase, TeamMember, TeamRole


@dataclass(frozen=True)
class Step:
    """One generated milestone. ``anchor`` is the date its offsets count from: ``"prep"``
    (two months before the start day), ``"start"`` (the start day) or ``"end"`` (the last
    day); ``due_anchor`` likewise for its due date (``"prep_end"``: one month before)."""

    key: str
    phase: str
    name: str
    role: str
    anchor: str
    start_days: int
    due_anchor: str
    due_days: int


STEPS: tuple[Step, ...] = (
    Step(
        "approval",
        Phase.PREPARATION,
        gettext_lazy("Plan and budget approved"),
        TeamRole.LEAD,
        "prep",
        0,
        "prep",
        14,
    ),
    Step(
        "venue",
        Phase.PREPARATION,
        gettext_lazy("Venue booked"),
        TeamRole.EXECUTION,
        "prep",
        0,
        "prep_end",
        0,
    ),
    Step(
        "audience",
        Phase.PREPARATION,
        gettext_lazy("Audience and guest list"),
        TeamRole.CUSTOMER,
        "prep",
        7,
        "prep_end",
        0,
    ),
    Step(
        "materials",
        Phase.PREPARATION,
        gettext_lazy("Materials and gifts ready"),
        TeamRole.PLANNING,
        "prep",
        14,
        "prep_end",
        0,
    ),
    Step(
        "promotion",
        Phase.EXECUTION,
        gettext_lazy("Promotion"),
        TeamRole.PUBLICITY,
        "start",
        -7,
        "start",
        -1,
    ),
    Step(
        "invitations",
        Phase.EXECUTION,
        gettext_lazy("Invitations and reminders"),
        TeamRole.CUSTOMER,
        "start",
        -7,
        "start",
        -2,
    ),
    Step(
        "on_site",
        Phase.EXECUTION,
        gettext_lazy("On the day: set-up, check-in, running order"),
        TeamRole.EXECUTION,
        "start",
        0,
        "end",
        0,
    ),
    Step(
        "follow_up",
        Phase.EXECUTION,
        gettext_lazy("Follow-up with attendees"),
        TeamRole.CUSTOMER,
        "end",
        1,
        "end",
        3,
    ),
    Step(
        "data",
        Phase.REVIEW,
        gettext_lazy("Collect the data"),
        TeamRole.PLANNING,
        "end",
        1,
        "end",
        4,
    ),
    Step(
        "evaluation",
        Phase.REVIEW,
        gettext_lazy("Evaluate against the goals"),
        TeamRole.LEAD,
        "end",
        3,
        "end",
        6,
    ),
    Step("report", Phase.REVIEW, gettext_lazy("Review report"), TeamRole.LEAD, "end", 5, "end", 7),
)
STEPS_BY_KEY = {step.key: step for step in STEPS}


def _anchors(event: Event) -> dict[str, dt.date]:
    start = timezone.localdate(event.starts_at)
    return {
        "prep": start - relativedelta(months=2),
        "prep_end": start - relativedelta(months=1),
        "start": start,
        "end": timezone.localdate(event.ends_at),
    }


def step_dates(event: Event, step: Step) -> tuple[dt.date, dt.date]:
    anchors = _anchors(event)
    starts = anchors[step.anchor] + dt.timedelta(days=step.start_days)
    due = anchors[step.due_anchor] + dt.timedelta(days=step.due_days)
    return starts, max(due, starts)


def role_owner(event: Event, role: str):
    """Who a step of ``role`` falls to: the role's first member, else for the lead's steps
    the event's owner."""
    member = TeamMember.objects.filter(event=event, role=role).order_by("id").first()
    if member:
        return member.user
    return event.owner if role == TeamRole.LEAD else None


@transaction.atomic
def timeline_generate(event: Event) -> list[Milestone]:
    """Create the standard milestones the event does not have yet (by key): running it
    again creates nothing twice and never touches a milestone someone edited."""
    have = set(event.milestones.exclude(key="").values_list("key", flat=True))
    created = []
    for position, step in enumerate(STEPS):
        if step.key in have:
            continue
        starts_on, due_on = step_dates(event, step)
        created.append(
            Milestone(
                event=event,
                phase=step.phase,
                key=step.key,
                name=str(step.name),
                starts_on=starts_on,
                due_on=due_on,
                owner=role_owner(event, step.role),
                position=position,
            )
        )
    Milestone.objects.bulk_create(created)
    return created


@transaction.atomic
def timeline_shift(*, event: Event, days: int, user=None) -> int:
    """Move the milestones not done yet by ``days`` (the event's date moved by as many)."""
    if not days:
        return 0
    moved = 0
    for milestone in event.milestones.filter(done_at__isnull=True).select_for_update():
        milestone.starts_on += dt.timedelta(days=days)
        milestone.due_on += dt.timedelta(days=days)
        milestone.save(update_fields=["starts_on", "due_on"])
        moved += 1
    if moved:
        audit_record(
            actor=user,
            action=AuditAction.CHANGE,
            obj=event,
            detail={"event": "milestones shifted", "days": days, "milestones": moved},
        )
    return moved


def assign_role_milestones(event: Event, role: str, user) -> int:
    """Give the role's unowned generated milestones to a member who just joined it."""
    keys = [step.key for step in STEPS if step.role == role]
    return event.milestones.filter(key__in=keys, owner__isnull=True, done_at__isnull=True).update(
        owner=user
    )


MILESTONE_FIELDS = ("name", "phase", "starts_on", "due_on", "owner", "notes")


def _check_owner(event: Event, owner, user) -> None:
    if owner is None or user.is_admin_role or owner.department_id == event.department_id:
        return
    raise ValidationError({"owner": _("Choose someone of the event's department.")})


@transaction.atomic
def milestone_save(*, event: Event, user, fields: dict, milestone: Milestone | None = None):
    """Create or change a milestone; ``fields["done"]`` marks it done (or not)."""
    milestone = milestone or Milestone(event=event)
    done = fields.pop("done", None)
    for name in MILESTONE_FIELDS:
        if name in fields:
            setattr(milestone, name, fields[name])
    _check_owner(event, milestone.owner, user)
    if done is not None:
        if done and milestone.done_at is None:
            milestone.done_at = timezone.now()
        elif not done:
            milestone.done_at = None
    milestone.full_clean(exclude=["event"])
    milestone.save()
    return milestone


@transaction.atomic
def milestone_delete(*, milestone: Milestone, user) -> None:
    audit_record(
        actor=user,
        action=AuditAction.CHANGE,
        obj=milestone.event,
        detail={"event": "milestone deleted", "milestone": milestone.name},
    )
    milestone.delete()
