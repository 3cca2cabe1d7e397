from django import template

from campaigns.models import CampaignStatus

register = template.Library()

STATUS_BADGES = {
    CampaignStatus.DRAFT: "secondary",
    CampaignStatus.IN_REVIEW: "info",
    CampaignStatus.CHANGES_REQUESTED: "warning",
    CampaignStatus.APPROVED: "primary",
    CampaignStatus.ACTIVE: "success",
    CampaignStatus.PAUSED: "dark",
    CampaignStatus.FINISHED: "light",
}


@register.filter
def status_badge(status: str) -> str:
    """The Bootstrap colour of a campaign status badge."""
    return STATUS_BADGES.get(status, "secondary")


@register.filter
def get(mapping: dict, key):
    return mapping.get(key) if mapping else None


@register.filter
def percent(value) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"
