"""Writing an event: its plan, goals and targets, and its way through the statuses —
draft → approved (only with an approved budget) → open for RSVPs → held → reviewed, or
cancelled with a reason before it is held. Every change is audited."""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from budgets.selectors.plans import plan_for_owner
from budgets.services.plans import plan_ensure
from carecrm.accounts.models import Department
from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from events.models import Event, EventGoal, EventStatus
from events.selectors.events import (
    CANCELLABLE_STATUSES,
    EDITABLE_STATUSES,
    EVENT_BUDGET,
    LIVE_STATUSES,
    approval_blockers,
)
from events.services.timeline import timeline_generate, timeline_shift
from segmentation.selectors import visible_segments

# What a user may set on an event, said once: the form's fields, the API's writable fields
# and the keys event_create and event_update accept all derive from these.
EDITABLE_FIELDS: tuple[str, ...] = (
    "type",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "venue",
    "address",
    "online_link",
    "capacity",
    "max_party_size",
    "uplift_days",
    "owner",
    "department",
)
EDITABLE_RELATIONS: tuple[str, ...] = ("target_segments",)
TEXT_FIELDS = ("title", "description", "venue", "address", "online_link")
GOAL_FIELDS: tuple[str, ...] = ("metric", "baseline", "target", "deadline")


def _audit(user, event: Event, what: str, **detail) -> None:
    audit_record(
        actor=user,
        action=AuditAction.CREATE if what == "created" else AuditAction.CHANGE,
        obj=event,
        detail={"event": what, **detail},
    )


def _check_scope(user, event: Event, segments: Iterable | None) -> None:
    department: Department | None = event.department if event.department_id else None
    if department is None:
        if user.department_id and not user.is_admin_role:
            event.department_id = user.department_id
        else:
            raise ValidationError({"department": _("Choose the department of the event.")})
    elif not user.is_admin_role and department.pk != user.department_id:
        raise PermissionDenied(_("Events can only be filed under your own department."))
    if (
        event.owner_id
        and not user.is_admin_role
        and event.owner.department_id != event.department_id
    ):
        raise ValidationError({"owner": _("Choose someone of the event's department.")})
    if segments is not None:
        ids = {segment.pk for segment in segments}
        allowed = set(visible_segments(user).filter(pk__in=ids).values_list("pk", flat=True))
        if ids - allowed:
            raise ValidationError({"target_segments": _("Choose segments you can see.")})


def _validate(event: Event) -> None:
    errors: dict[str, list[str]] = {}
    if event.starts_at and event.ends_at and event.ends_at < event.starts_at:
        errors.setdefault("ends_at", []).append(_("The event must not end before it starts."))
    if not event.venue.strip() and not event.online_link.strip():
        errors.setdefault("venue", []).append(_("Give a venue, or an online link."))
    if errors:
        raise ValidationError(errors)
    event.full_clean(exclude=["target_segments"])


def _apply(event: Event, fields: dict) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))}
        )
    for name, value in fields.items():
        setattr(event, name, "" if value is None and name in TEXT_FIELDS else value)


def goals_save(*, event: Event, goals: Iterable[dict], delete: Iterable[int] = ()) -> None:
    """Add or change the event's goals (a dict with ``id`` changes that goal) and delete
    the ones named. The review's ``actual`` is kept."""
    existing = {goal.pk: goal for goal in event.goals.all()}
    doomed = set(delete) & set(existing)
    EventGoal.objects.filter(pk__in=doomed).delete()
    for position, data in enumerate(goals):
        goal = existing.get(data.get("id")) if data.get("id") else None
        if goal is None and data.get("id"):
            raise ValidationError(_("That goal is not one of this event's."))
        goal = goal or EventGoal(event=event)
        for name in GOAL_FIELDS:
            if name in data:
                setattr(goal, name, data[name])
        goal.position = position
        try:
            goal.full_clean(exclude=["event"])
        except ValidationError as error:
            raise ValidationError(
                {"goals": [f"{_('Goal')} {position + 1}: {m}" for m in error.messages]}
            ) from error
        goal.save()


@transaction.atomic
def goal_save(*, event: Event, user, fields: dict, goal: EventGoal | None = None) -> EventGoal:
    """Add or change one goal (the API's way; the form saves them all with goals_save)."""
    if event.status not in EDITABLE_STATUSES:
        raise ValidationError(_("A held, reviewed or cancelled event can no longer be changed."))
    goal = goal or EventGoal(event=event, position=event.goals.count())
    for name in GOAL_FIELDS:
        if name in fields:
            setattr(goal, name, fields[name])
    goal.full_clean(exclude=["event"])
    goal.save()
    _audit(user, event, "goal saved", metric=goal.metric)
    return goal


@transaction.atomic
def goal_delete(*, goal: EventGoal, user) -> None:
    _audit(user, goal.event, "goal deleted", metric=goal.metric)
    goal.delete()


@transaction.atomic
def event_create(
    *, user, fields: dict, target_segments: Iterable | None = None, goals: Iterable[dict] = ()
) -> Event:
    """A draft event with its goals and targets, and its timeline generated from its date."""
    event = Event(created_by=user, status=EventStatus.DRAFT)
    _apply(event, fields)
    if event.owner_id is None:
        event.owner = user
    segments = list(target_segments or [])
    _check_scope(user, event, segments)
    _validate(event)
    event.save()
    event.target_segments.set(segments)
    goals_save(event=event, goals=goals)
    timeline_generate(event)
    _audit(user, event, "created", title=event.title)
    return event


@transaction.atomic
def event_update(
    *,
    event: Event,
    user,
    fields: dict,
    target_segments: Iterable | None = None,
    goals: Iterable[dict] | None = None,
    delete_goals: Iterable[int] = (),
    shift_milestones: bool | None = None,
) -> Event:
    """Change an event that is not held, cancelled or reviewed. A new date moves no
    milestone silently: when the start moves and open milestones exist, the caller says
    ``shift_milestones`` (True: by the same number of days; False: keep them)."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status not in EDITABLE_STATUSES:
        raise ValidationError(_("A held, reviewed or cancelled event can no longer be changed."))
    old_start = event.starts_at
    _apply(event, fields)
    segments = list(target_segments) if target_segments is not None else None
    _check_scope(user, event, segments)
    _validate(event)
    delta = (timezone.localdate(event.starts_at) - timezone.localdate(old_start)).days
    has_open = event.milestones.filter(done_at__isnull=True).exists()
    if delta and has_open and shift_milestones is None:
        raise ValidationError(
            {
                "shift_milestones": _(
                    "The date moved by %(days)s days: choose whether to move the open "
                    "milestones by as many days or keep their dates."
                )
                % {"days": delta}
            }
        )
    event.save()
    if segments is not None:
        event.target_segments.set(segments)
    if goals is not None:
        goals_save(event=event, goals=goals, delete=delete_goals)
    if delta and shift_milestones:
        timeline_shift(event=event, days=delta, user=user)
    changed = sorted(fields)
    _audit(user, event, "changed", fields=changed, moved_days=delta or 0)
    return event


def _locked(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


@transaction.atomic
def event_approve(*, event: Event, user) -> Event:
    if not user.has_perm("events.approve_event"):
        raise PermissionDenied(_("You cannot approve events."))
    event = _locked(event)
    blockers = approval_blockers(event)
    if blockers:
        raise ValidationError(blockers)
    event.status = EventStatus.APPROVED
    event.approved_at = timezone.now()
    event.approved_by = user
    event.save(update_fields=["status", "approved_at", "approved_by", "updated_at"])
    _audit(user, event, "approved")
    return event


@transaction.atomic
def event_open(*, event: Event, user) -> Event:
    """Open an approved event for RSVPs: invitations may go from now on."""
    event = _locked(event)
    if event.status != EventStatus.APPROVED:
        raise ValidationError(_("Only an approved event can be opened for RSVPs."))
    event.status = EventStatus.OPEN
    event.save(update_fields=["status", "updated_at"])
    _audit(user, event, "opened")
    return event


@transaction.atomic
def event_mark_held(*, event: Event, user=None) -> Event:
    """By hand, once the event has started (the beat does it after it ends)."""
    event = _locked(event)
    if event.status not in LIVE_STATUSES:
        raise ValidationError(_("Only an approved or open event can be marked held."))
    if event.starts_at > timezone.now():
        raise ValidationError(_("The event has not started yet."))
    event.status = EventStatus.HELD
    event.save(update_fields=["status", "updated_at"])
    _audit(user, event, "held")
    return event


def events_mark_held(now: dt.datetime | None = None) -> int:
    """Mark approved and open events that have ended held; running it again changes
    nothing."""
    now = now or timezone.now()
    ids = list(
        Event.objects.filter(status__in=LIVE_STATUSES, ends_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    held = 0
    for pk in ids:
        with transaction.atomic():
            updated = Event.objects.filter(pk=pk, status__in=LIVE_STATUSES).update(
                status=EventStatus.HELD, updated_at=now
            )
            if updated:
                _audit(None, Event(pk=pk), "held", automatic=True)
                held += 1
    return held


@transaction.atomic
def event_cancel(*, event: Event, user, reason: str) -> Event:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the event is cancelled.")})
    event = _locked(event)
    if event.status not in CANCELLABLE_STATUSES:
        raise ValidationError(_("Only an event not yet held can be cancelled."))
    previous = event.status
    event.status = EventStatus.CANCELLED
    event.cancelled_at = timezone.now()
    event.cancelled_by = user
    event.cancel_reason = reason
    event.save(
        update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "updated_at"]
    )
    _audit(user, event, "cancelled", reason=reason, was=previous)
    return event


@transaction.atomic
def event_delete(*, event: Event, user) -> None:
    """Delete a draft nobody was invited to and without a budget plan; anything further
    along is cancelled instead, so its history stays."""
    if not user.has_perm("events.delete_event"):
        raise PermissionDenied(_("You cannot delete events."))
    event = _locked(event)
    if event.status != EventStatus.DRAFT or event.guests.exists():
        raise ValidationError(_("Only a draft without guests can be deleted; cancel it instead."))
    if plan_for_owner(EVENT_BUDGET, event.pk) is not None:
        raise ValidationError(_("The event has a budget plan; cancel it instead."))
    _audit(user, event, "deleted", title=event.title)
    event.delete()


def event_budget_ensure(*, event: Event, user):
    """The event's budget plan, created as an empty draft in the year of the event."""
    if not user.has_perm("budgets.add_budgetplan"):
        raise PermissionDenied(_("You cannot create budget plans."))
    return plan_ensure(
        owner_kind=EVENT_BUDGET,
        owner_id=event.pk,
        title=event.title,
        department=event.department,
        year=timezone.localdate(event.starts_at).year,
        user=user,
    )
