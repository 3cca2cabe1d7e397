"""Taking a campaign through the real workflow in tests."""

from campaigns.models import ActivityAction, CampaignActivity, CareCampaign
from campaigns.services.approval import campaign_approve, campaign_submit


def approve(campaign: CareCampaign, *, author, manager) -> CareCampaign:
    """Submit as ``author`` and approve as ``manager`` (recording the author's edit)."""
    if not CampaignActivity.objects.filter(campaign=campaign, actor=author).exists():
        CampaignActivity.objects.create(
            campaign=campaign, actor=author, action=ActivityAction.CREATED
        )
    if campaign.created_by_id is None:
        campaign.created_by = author
        campaign.save(update_fields=["created_by"])
    campaign_submit(campaign=campaign, user=author)
    return campaign_approve(campaign=campaign, user=manager)


def due_ids(on, campaign=None) -> set[tuple[int, str]]:
    """(customer id, channel) pairs due on a day, optionally for one campaign."""
    from campaigns.selectors.due import due_touches

    return {
        (touch.customer.pk, touch.channel)
        for touch in due_touches(on=on)
        if campaign is None or touch.campaign.pk == campaign.pk
    }
