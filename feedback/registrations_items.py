"""What feedback items plug in: items from survey responses, complaints and SMS replies
(receivers here so customers and delivery never import feedback), the low-score source of
the churn alerts, and the "my open feedback items" home card."""

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from carecrm.core.registry import HomeCard, register_home_card
from customers.models import Channel, Interaction, InteractionKind
from feedback.models import Response
from feedback.selectors.items import low_survey_scores, my_open_items_count
from feedback.services.items import item_from_complaint, item_from_reply, item_from_response
from feedback.signals import response_saved
from segmentation.services.alerts import register_survey_score_source


@receiver(response_saved, sender=Response, dispatch_uid="feedback_items_from_response")
def _on_response_saved(sender, response, created=False, **kwargs):
    item_from_response(response)


@receiver(post_save, sender=Interaction, dispatch_uid="feedback_items_from_interaction")
def _on_interaction_saved(sender, instance, created, raw=False, **kwargs):
    if not created or raw:
        return
    if instance.kind == InteractionKind.COMPLAINT:
        item_from_complaint(instance)
    elif (
        instance.kind == InteractionKind.CONSULTATION
        and instance.channel == Channel.SMS
        and instance.staff_id is None
    ):
        # delivery records an inbound SMS reply this way (delivery/services/receipts.py).
        item_from_reply(instance)


register_survey_score_source(low_survey_scores)

register_home_card(
    HomeCard(
        "feedback_my_open_items",
        _("My open feedback items"),
        my_open_items_count,
        "feedback:my-items",
        "chat-square-text",
        52,
    )
)
