"""Triggered surveys: a complaint resolved, an event held. Feedback listens to the lower
apps' saves (customers and events never import feedback); the invitations go out after
the save's transaction commits."""

from django.db import transaction
from django.db.models.signals import post_save

from customers.models import Interaction, InteractionKind
from events.models import Event, EventStatus


def _interaction_saved(sender, instance: Interaction, **kwargs) -> None:
    if instance.kind != InteractionKind.COMPLAINT or instance.resolved_at is None:
        return
    from feedback.services.distribution import complaint_resolved

    transaction.on_commit(lambda: complaint_resolved(interaction=instance))


def _event_saved(sender, instance: Event, created: bool, **kwargs) -> None:
    if instance.status != EventStatus.HELD:
        return
    from feedback.services.distribution import event_held

    transaction.on_commit(lambda: event_held(event=instance))


def connect() -> None:
    post_save.connect(_interaction_saved, sender=Interaction, dispatch_uid="survey_complaint")
    post_save.connect(_event_saved, sender=Event, dispatch_uid="survey_event_held")
