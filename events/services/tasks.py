"""The event team and its tasks, and the morning digest that reminds each owner of the
tasks due tomorrow and overdue — one email per owner, each task reminded once a day."""

import logging
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from events.models import Event, EventTask, TaskStatus, TeamMember
from events.selectors.events import tasks_to_remind
from events.services.timeline import assign_role_milestones

logger = logging.getLogger(__name__)

TASK_FIELDS = ("title", "role", "milestone", "owner", "due_on", "status", "notes")
TEXT_FIELDS = ("title", "role", "status", "notes")


def _same_department(event: Event, person, user) -> bool:
    return user.is_admin_role or person.department_id == event.department_id


@transaction.atomic
def team_member_add(*, event: Event, user, member, role: str) -> TeamMember:
    """Add a member to a role; the role's unowned milestones become theirs."""
    if not member.is_active or not _same_department(event, member, user):
        raise ValidationError({"user": _("Choose someone of the event's department.")})
    try:
        with transaction.atomic():
            team_member = TeamMember.objects.create(event=event, role=role, user=member)
    except IntegrityError as error:
        raise ValidationError({"user": _("This person already has that role.")}) from error
    assign_role_milestones(event, role, member)
    audit_record(
        actor=user,
        action=AuditAction.CHANGE,
        obj=event,
        detail={"event": "team member added", "user": member.username, "role": role},
    )
    return team_member


@transaction.atomic
def team_member_remove(*, team_member: TeamMember, user) -> None:
    audit_record(
        actor=user,
        action=AuditAction.CHANGE,
        obj=team_member.event,
        detail={
            "event": "team member removed",
            "user": team_member.user.username,
            "role": team_member.role,
        },
    )
    team_member.delete()


@transaction.atomic
def task_save(*, event: Event, user, fields: dict, task: EventTask | None = None) -> EventTask:
    task = task or EventTask(event=event)
    for name in TASK_FIELDS:
        if name in fields:
            value = fields[name]
            setattr(task, name, "" if value is None and name in TEXT_FIELDS else value)
    errors = {}
    if task.owner_id and not _same_department(event, task.owner, user):
        errors["owner"] = _("Choose someone of the event's department.")
    if task.milestone_id and task.milestone.event_id != event.pk:
        errors["milestone"] = _("Choose a milestone of this event.")
    if errors:
        raise ValidationError(errors)
    if task.status == TaskStatus.DONE and task.completed_at is None:
        task.completed_at = timezone.now()
    elif task.status != TaskStatus.DONE:
        task.completed_at = None
    if "due_on" in fields:
        task.reminded_due_on = None  # a new due date deserves its own reminder
    task.full_clean(exclude=["event"])
    task.save()
    return task


def task_set_status(*, task: EventTask, user, status: str) -> EventTask:
    if status not in TaskStatus.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    return task_save(event=task.event, user=user, fields={"status": status}, task=task)


@transaction.atomic
def task_delete(*, task: EventTask, user) -> None:
    audit_record(
        actor=user,
        action=AuditAction.CHANGE,
        obj=task.event,
        detail={"event": "task deleted", "task": task.title},
    )
    task.delete()


def _digest(owner, due, overdue, today) -> tuple[str, str]:
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    with translation.override(settings.LANGUAGE_CODE):
        parts = []
        if due:
            parts.append(
                ngettext("%(n)d due tomorrow", "%(n)d due tomorrow", len(due)) % {"n": len(due)}
            )
        if overdue:
            parts.append(
                ngettext("%(n)d overdue", "%(n)d overdue", len(overdue)) % {"n": len(overdue)}
            )
        subject = _("Your event tasks: %(what)s") % {"what": ", ".join(parts)}
        lines = [_("Hello %(name)s,") % {"name": owner}, ""]
        for heading, tasks in ((_("Due tomorrow"), due), (_("Overdue"), overdue)):
            if not tasks:
                continue
            lines.append(heading)
            for task in tasks:
                lines.append(
                    f"- {task.title} · {task.event.title} · {_('due')} {task.due_on.isoformat()}"
                )
            lines.append("")
        lines.append(_("Your tasks: %(url)s") % {"url": site + reverse("events:my-tasks")})
        return subject, "\n".join(lines)


def tasks_remind(today=None) -> dict:
    """Email every owner one digest of their open tasks due tomorrow and overdue, and
    record the day on each task: running it again the same day sends nothing. A failed
    send leaves that owner's tasks unmarked, to be tried on the next run."""
    today = today or timezone.localdate()
    by_owner: dict[int, list[EventTask]] = defaultdict(list)
    for task in tasks_to_remind(today):
        by_owner[task.owner_id].append(task)
    sent = failed = 0
    for tasks in by_owner.values():
        owner = tasks[0].owner
        with transaction.atomic():
            ids = [t.pk for t in tasks]
            fresh = list(
                tasks_to_remind(today)
                .filter(pk__in=ids, owner=owner)
                .select_for_update(of=("self",))
            )
            due = [t for t in fresh if t.due_on > today]
            overdue = [t for t in fresh if t.due_on < today]
            if not fresh:
                continue
            subject, body = _digest(owner, due, overdue, today)
            try:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [owner.email])
            except Exception:
                logger.exception("Task reminder to %s failed", owner.pk)
                failed += 1
                continue
            EventTask.objects.filter(pk__in=[t.pk for t in due]).update(reminded_due_on=today)
            EventTask.objects.filter(pk__in=[t.pk for t in overdue]).update(
                reminded_overdue_on=today
            )
            sent += 1
    return {"day": today.isoformat(), "emails": sent, "failed": failed}
