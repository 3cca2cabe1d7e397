"""Interactions with a customer — consultations, complaints, service records, calls and
visits — and their follow-ups (care programme §1: consultation and complaint records)."""

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecrm.accounts.models import User
from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from customers.models import Channel, Customer, Interaction, InteractionKind, InteractionOutcome
from customers.services.records import FUTURE_TOLERANCE, ensure_active


def _validate_interaction(interaction: Interaction) -> None:
    errors: dict[str, list] = {}
    for field, choices, blank in (
        ("kind", InteractionKind, False),
        ("outcome", InteractionOutcome, False),
        ("channel", Channel, True),
    ):
        value = getattr(interaction, field)
        if not (value in choices.values or (blank and value == "")):
            errors[field] = [_("“%(value)s” is not a valid choice.") % {"value": value}]
    if not (interaction.summary or "").strip():
        errors["summary"] = [_("Write what was said or done.")]
    if interaction.occurred_at and interaction.occurred_at > timezone.now() + FUTURE_TOLERANCE:
        errors["occurred_at"] = [_("An interaction that was logged cannot be in the future.")]
    if (
        interaction.follow_up_due
        and interaction.occurred_at
        and interaction.follow_up_due < timezone.localdate(interaction.occurred_at)
    ):
        errors["follow_up_due"] = [_("The follow-up cannot be due before the interaction.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def interaction_log(
    *,
    customer: Customer,
    user: User,
    kind: str,
    summary: str,
    occurred_at: dt.datetime | None = None,
    channel: str = "",
    outcome: str = InteractionOutcome.OPEN,
    follow_up_due: dt.date | None = None,
    staff: User | None = None,
    request=None,
) -> Interaction:
    """Log a consultation, complaint, service record, call or visit. ``staff`` (who talked
    to the customer) defaults to the user logging it."""
    ensure_active(customer)
    interaction = Interaction(
        customer=customer,
        kind=kind,
        channel=channel or "",
        occurred_at=occurred_at or timezone.now(),
        staff=staff or user,
        summary=(summary or "").strip(),
        outcome=outcome,
        follow_up_due=follow_up_due,
    )
    _validate_interaction(interaction)
    if outcome == InteractionOutcome.RESOLVED:
        interaction.resolved_at = timezone.now()
        interaction.resolved_by = user
    interaction.save()
    audit_record(
        actor=user,
        action=AuditAction.CREATE,
        customer_id=customer.pk,
        obj=interaction,
        detail={"kind": kind},
        request=request,
    )
    return interaction


INTERACTION_EDITABLE = ("kind", "channel", "occurred_at", "summary", "outcome", "follow_up_due")


@transaction.atomic
def interaction_update(
    *, interaction: Interaction, user: User, data: Mapping, request=None
) -> list[str]:
    unknown = set(data) - set(INTERACTION_EDITABLE)
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    before = {field: getattr(interaction, field) for field in INTERACTION_EDITABLE}
    for field, value in data.items():
        setattr(interaction, field, value)
    _validate_interaction(interaction)
    changed = [f for f in INTERACTION_EDITABLE if getattr(interaction, f) != before[f]]
    if "outcome" in changed:
        if interaction.outcome == InteractionOutcome.RESOLVED:
            interaction.resolved_at = timezone.now()
            interaction.resolved_by = user
        else:
            interaction.resolved_at = None
            interaction.resolved_by = None
    if changed:
        interaction.save()
        audit_record(
            actor=user,
            action=AuditAction.CHANGE,
            customer_id=interaction.customer_id,
            obj=interaction,
            detail={"fields": changed},
            request=request,
        )
    return changed


@transaction.atomic
def interaction_resolve(
    *, interaction: Interaction, user: User, resolution: str = "", request=None
) -> Interaction:
    """Close an interaction and its follow-up. Resolving twice keeps the first resolution
    time and only adds the note."""
    interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
    resolution = (resolution or "").strip()
    if interaction.outcome != InteractionOutcome.RESOLVED:
        interaction.outcome = InteractionOutcome.RESOLVED
        interaction.resolved_at = timezone.now()
        interaction.resolved_by = user
    if resolution:
        interaction.resolution = (
            f"{interaction.resolution}\n{resolution}" if interaction.resolution else resolution
        )
    interaction.save()
    audit_record(
        actor=user,
        action=AuditAction.CHANGE,
        customer_id=interaction.customer_id,
        obj=interaction,
        detail={"fields": ["outcome", "resolution"] if resolution else ["outcome"]},
        request=request,
    )
    return interaction
