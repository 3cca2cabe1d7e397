"""Campaigns as a delivery source: every campaign that sends has one ``MessageSource``
(kind ``campaign``), kept in step with the campaign (name, department, whether it may
send), and the renderer delivery calls when a sender claims its messages — the
campaign's content per channel with each customer's values."""

from collections import defaultdict

from django.db.models.signals import post_save
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from campaigns.models import DUE_STATUSES, CampaignStatus, CareCampaign
from campaigns.selectors.due import Occurrence, occasion_label
from campaigns.selectors.personalise import message_values, render_for
from delivery.models import MessageSource, OutboxMessage, SourceState
from delivery.registry import Rendered, SourceKind, register_source_kind

CAMPAIGN = "campaign"


def source_state(campaign: CareCampaign) -> str:
    """Approved or running: sending; finished: cancelled; paused, or back in draft or
    review after an edit: paused."""
    if campaign.status in DUE_STATUSES:
        return SourceState.ACTIVE
    if campaign.status == CampaignStatus.FINISHED:
        return SourceState.CANCELLED
    return SourceState.PAUSED


def campaign_source(campaign: CareCampaign) -> MessageSource:
    """The campaign's source row (created the first time it sends)."""
    from delivery.services.sources import source_for

    return source_for(
        kind=CAMPAIGN,
        object_id=campaign.pk,
        label=campaign.name,
        department=campaign.department,
        state=source_state(campaign),
    )


def campaign_messages(campaign: CareCampaign):
    """Every outbox message of the campaign."""
    return OutboxMessage.objects.filter(source__kind=CAMPAIGN, source__object_id=campaign.pk)


def _campaign_saved(sender, instance: CareCampaign, created: bool, **kwargs) -> None:
    """Pausing, resuming, finishing or editing a campaign pauses, resumes or cancels
    its messages: whatever path changed the status, the source follows."""
    if created:
        return
    from delivery.services.sources import source_update

    source_update(
        kind=CAMPAIGN,
        object_id=instance.pk,
        label=instance.name,
        department=instance.department,
        state=source_state(instance),
    )


def render_campaign_messages(source: MessageSource, messages: list[OutboxMessage]) -> dict:
    """The campaign's content for each message's channel, with the values of each
    customer for its occasion (read in bulk per occasion)."""
    campaign = CareCampaign.objects.filter(pk=source.object_id).prefetch_related("contents").first()
    if campaign is None:
        return {m.pk: "the campaign no longer exists" for m in messages}
    contents = {content.channel: content for content in campaign.contents.all()}
    label = occasion_label(campaign)
    groups = defaultdict(list)
    for message in messages:
        groups[(message.occasion, message.due_on)].append(message)
    result: dict = {}
    for (occasion, due_on), group in groups.items():
        occurrence = Occurrence(campaign.pk, due_on, occasion, label)
        values = message_values(campaign, occurrence, [m.customer for m in group])
        for message in group:
            content = contents.get(message.channel)
            if content is None:
                result[message.pk] = f"the campaign has no {message.channel} content"
                continue
            rendered = render_for(content, values[message.customer_id])
            result[message.pk] = Rendered(
                subject=rendered.subject, body=rendered.body, html_body=rendered.html_body
            )
    return result


def _campaign_url(source: MessageSource) -> str:
    return reverse("campaigns:detail", args=[source.object_id])


def _campaign_log_url(source: MessageSource) -> str:
    return reverse("campaigns:messages", args=[source.object_id])


def register() -> None:
    register_source_kind(
        SourceKind(
            key=CAMPAIGN,
            label=_("Care campaign"),
            render=render_campaign_messages,
            url=_campaign_url,
            log_url=_campaign_log_url,
            api_field="campaign",
            state_follows_sender=True,
        )
    )
    post_save.connect(_campaign_saved, sender=CareCampaign, dispatch_uid="campaign_source")
