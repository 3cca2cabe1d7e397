"""Changing the programme targets: one row, every change audited, every cached dashboard
forgotten (its figures were measured against the old targets)."""

from django.db import transaction

from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from dashboard.models import ProgrammeTargets
from dashboard.selectors.cache import new_generation

TARGET_FIELDS = (
    "satisfaction_percent",
    "nps",
    "vip_repurchase_percent",
    "vip_growth_percent",
    "vip_contact_percent",
    "churn_percent",
    "referrals_per_vip",
)


def targets_update(*, values: dict, user, request=None) -> ProgrammeTargets:
    """Save the targets in ``values`` (already validated by the form or the model's
    validators) and record what changed, old and new, in the audit trail."""
    with transaction.atomic():
        targets, _created = ProgrammeTargets.objects.select_for_update().get_or_create(pk=1)
        before = {name: getattr(targets, name) for name in TARGET_FIELDS}
        for name in TARGET_FIELDS:
            if name in values:
                setattr(targets, name, values[name])
        targets.full_clean(exclude=["updated_by"])
        targets.updated_by = user if getattr(user, "pk", None) else None
        targets.save()
        changed = {
            name: [str(before[name]), str(getattr(targets, name))]
            for name in TARGET_FIELDS
            if before[name] != getattr(targets, name)
        }
        audit_record(
            actor=user, action=AuditAction.CHANGE, obj=targets, detail=changed, request=request
        )
    transaction.on_commit(new_generation)
    return targets
