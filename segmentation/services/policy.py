"""Versioned tier policy: drafts for the preview, saving a new version, applying it."""

import logging
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from carecrm.core.dispatch import task_enqueue
from segmentation.models import (
    PolicyPreview,
    PreviewStatus,
    RunTrigger,
    ScoringRun,
    TierPolicy,
)
from segmentation.services.scoring import current_policy, scoring_preview, scoring_run

logger = logging.getLogger(__name__)
# Previews kept per admin; older ones (and their stored moves) are deleted.
PREVIEWS_KEPT = 5
# The Celery tasks (segmentation/tasks.py) these services queue, by name.
PREVIEW_TASK_NAME = "segmentation.preview_policy"
APPLY_TASK_NAME = "segmentation.apply_policy"

LEVELS = ("silver", "gold", "diamond")
CRITERIA = ("annual_spend", "monthly_spend", "purchases", "loyalty")


def _require_admin(user) -> None:
    if not (user and user.is_authenticated and user.is_admin_role):
        raise PermissionDenied(_("Only administrators may change the tier policy."))


def policy_draft(*, values: dict) -> TierPolicy:
    """An unsaved policy: the one in force with ``values`` laid over it (for previews)."""
    base = current_policy()
    draft = TierPolicy(**base.thresholds())
    for name, value in values.items():
        if name not in TierPolicy.THRESHOLD_FIELDS:
            raise ValueError(name)
        setattr(draft, name, value)
    draft.version = base.version + 1
    return draft


def policy_validate(policy: TierPolicy) -> None:
    """Field validation plus the rules spanning fields, with messages an admin can act on."""
    policy.full_clean(exclude=["version"])
    errors = {}
    for level in LEVELS:
        if all(getattr(policy, f"{level}_{criterion}") is None for criterion in CRITERIA):
            errors[f"{level}_annual_spend"] = _(
                "Give at least one criterion for this level, or nobody can reach it."
            )
    lower = "silver"
    for level in ("gold", "diamond"):
        for criterion in ("annual_spend", "monthly_spend"):
            low = getattr(policy, f"{lower}_{criterion}")
            high = getattr(policy, f"{level}_{criterion}")
            if low is not None and high is not None and high < low:
                errors[f"{level}_{criterion}"] = _(
                    "A higher level cannot need less than the level below it."
                )
        lower = level
    if errors:
        raise ValidationError(errors)


def _jsonable(value):
    return str(value) if isinstance(value, Decimal) else value


def preview_values(preview: PolicyPreview) -> dict:
    """The draft thresholds of a stored preview, as Python values again."""
    return {
        name: TierPolicy._meta.get_field(name).to_python(value)
        for name, value in preview.values.items()
        if name in TierPolicy.THRESHOLD_FIELDS
    }


@transaction.atomic
def policy_preview_start(*, values: dict, user) -> PolicyPreview:
    """Validate a draft and queue its preview (computed by ``policy_preview_compute`` in a
    worker: a million customers take longer than a web request may)."""
    _require_admin(user)
    policy_validate(policy_draft(values=values))
    preview = PolicyPreview.objects.create(
        values={name: _jsonable(value) for name, value in values.items()}, created_by=user
    )
    stale = list(
        PolicyPreview.objects.filter(created_by=user)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)[PREVIEWS_KEPT:]
    )
    PolicyPreview.objects.filter(pk__in=stale).delete()

    task_enqueue(PREVIEW_TASK_NAME, preview.pk)
    return preview


@transaction.atomic
def policy_preview_compute(*, preview_id: int) -> PolicyPreview | None:
    """Compute a queued preview once (a second delivery finds it done and does nothing)."""
    preview = PolicyPreview.objects.select_for_update().filter(pk=preview_id).first()
    if preview is None or preview.status != PreviewStatus.PENDING:
        return preview
    try:
        result = scoring_preview(
            policy=policy_draft(values=preview_values(preview)), keep_moves_for=preview.pk
        )
    except Exception as exc:
        logger.exception("tier policy preview %s failed", preview.pk)
        preview.status, preview.failure = PreviewStatus.FAILED, str(exc)
    else:
        preview.status = PreviewStatus.DONE
        preview.as_of, preview.customers = result.as_of, result.customers
        preview.matrices = {
            column: {f"{old}|{new}": count for (old, new), count in matrix.cells.items()}
            for column, matrix in result.matrices.items()
        }
    preview.finished_at = timezone.now()
    preview.save()
    return preview


@transaction.atomic
def policy_save(*, values: dict, user, note: str) -> TierPolicy:
    """Save ``values`` as a new policy version (admins only), recording who changed which
    thresholds from what to what. Scoring with it is queued after commit."""
    _require_admin(user)
    current = current_policy()
    draft = policy_draft(values=values)
    policy_validate(draft)
    changes = {
        name: [_jsonable(getattr(current, name)), _jsonable(getattr(draft, name))]
        for name in TierPolicy.THRESHOLD_FIELDS
        if getattr(current, name) != getattr(draft, name)
    }
    if not changes:
        raise ValidationError(_("Nothing changed: the policy in force already has these values."))
    latest = TierPolicy.objects.select_for_update().aggregate(Max("version"))["version__max"] or 0
    draft.version = latest + 1
    draft.note = note
    draft.changes = changes
    draft.created_by = user
    draft.save()

    task_enqueue(APPLY_TASK_NAME, draft.pk, user.pk)
    return draft


def policy_apply(*, policy: TierPolicy, user=None) -> ScoringRun:
    """Score everyone under ``policy`` now (the task queued by :func:`policy_save`)."""
    return scoring_run(trigger=RunTrigger.POLICY, policy=policy, user=user)
