"""Working offline care tasks: completing a call or visit logs it as an interaction on
the customer's record (care programme §4: every visit is logged)."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import CareTask, TaskOutcome, TaskStatus, TouchChannel
from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from carecrm.core.scoping import visible_to
from customers.models import Channel, Interaction, InteractionKind, InteractionOutcome

OUTCOME_TO_INTERACTION = {
    TaskOutcome.REACHED: InteractionOutcome.RESOLVED,
    TaskOutcome.NO_ANSWER: InteractionOutcome.NO_ANSWER,
    TaskOutcome.FOLLOW_UP: InteractionOutcome.FOLLOW_UP,
}


def _lock_visible(task: CareTask, user) -> CareTask:
    locked = (
        visible_to(user, CareTask.objects.select_for_update())
        .select_related("customer", "campaign")
        .filter(pk=task.pk)
        .first()
    )
    if locked is None:
        raise PermissionDenied(_("This task is not yours to work."))
    return locked


@transaction.atomic
def care_task_complete(
    *,
    task: CareTask,
    user,
    outcome: str,
    note: str,
    follow_up_due: dt.date | None = None,
    request=None,
) -> CareTask:
    """Close a task and log the call or visit on the customer's timeline."""
    task = _lock_visible(task, user)
    if task.status != TaskStatus.OPEN:
        raise ValidationError(_("This task is already closed."))
    outcome = TaskOutcome(outcome)
    if not note.strip():
        raise ValidationError({"note": _("Say what happened.")})
    if outcome == TaskOutcome.FOLLOW_UP and follow_up_due is None:
        raise ValidationError({"follow_up_due": _("When should the follow-up happen?")})
    now = timezone.now()
    is_call = task.channel == TouchChannel.PHONE
    interaction = Interaction.objects.create(
        customer=task.customer,
        kind=InteractionKind.CALL if is_call else InteractionKind.VISIT,
        channel=Channel.PHONE if is_call else "",
        occurred_at=now,
        staff=user,
        summary=_("%(campaign)s: %(note)s")
        % {"campaign": task.campaign.name, "note": note.strip()},
        outcome=OUTCOME_TO_INTERACTION[outcome],
        follow_up_due=follow_up_due if outcome == TaskOutcome.FOLLOW_UP else None,
        resolved_at=now if outcome == TaskOutcome.REACHED else None,
    )
    task.status = TaskStatus.DONE
    task.outcome = outcome
    task.note = note.strip()
    task.completed_at = now
    task.completed_by = user
    task.interaction = interaction
    task.save()
    audit_record(
        actor=user,
        action=AuditAction.CREATE,
        customer_id=task.customer_id,
        obj=interaction,
        detail={"care_task": task.pk},
        request=request,
    )
    return task


@transaction.atomic
def care_task_cancel(*, task: CareTask, user, reason: str) -> CareTask:
    task = _lock_visible(task, user)
    if task.status != TaskStatus.OPEN:
        raise ValidationError(_("This task is already closed."))
    if not reason.strip():
        raise ValidationError({"note": _("Say why the task is cancelled.")})
    task.status = TaskStatus.CANCELLED
    task.note = reason.strip()
    task.completed_at = timezone.now()
    task.completed_by = user
    task.save()
    return task
