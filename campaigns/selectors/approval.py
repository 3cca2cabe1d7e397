"""Who may review or approve a campaign, and what its review still waits for (reads
behind the approval services, the campaign page and the approval queue)."""

from campaigns.models import (
    AUTHOR_ACTIONS,
    ActivityAction,
    CampaignActivity,
    CampaignReview,
    CampaignStatus,
    CareCampaign,
    ReviewDecision,
)
from carecrm.accounts.models import Role, User

APPROVE_PERMISSION = "campaigns.approve_carecampaign"
REVIEW_PERMISSION = "campaigns.review_carecampaign"


def campaign_authors(campaign: CareCampaign) -> set[int]:
    """Who wrote the content under review: the creator, and everyone who edited or
    submitted it since it was last approved."""
    last_approval = (
        CampaignActivity.objects.filter(campaign=campaign, action=ActivityAction.APPROVED)
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )
    activities = CampaignActivity.objects.filter(
        campaign=campaign, action__in=AUTHOR_ACTIONS, actor__isnull=False
    )
    if last_approval is not None:
        activities = activities.filter(at__gte=last_approval)
    authors = set(activities.values_list("actor_id", flat=True))
    if campaign.created_by_id:
        authors.add(campaign.created_by_id)
    return authors


def pending_review_departments(campaign: CareCampaign) -> list:
    """Required departments that have not approved in the current round."""
    approved = set(
        CampaignReview.objects.filter(
            campaign=campaign,
            review_round=campaign.review_round,
            decision=ReviewDecision.APPROVED,
            department__isnull=False,
        ).values_list("department_id", flat=True)
    )
    return [d for d in campaign.review_departments.all() if d.pk not in approved]


def can_review_for_department(campaign: CareCampaign, user: User) -> bool:
    return (
        campaign.status == CampaignStatus.IN_REVIEW
        and user.has_perm(REVIEW_PERMISSION)
        and any(d.pk == user.department_id for d in pending_review_departments(campaign))
        and user.pk not in campaign_authors(campaign)
    )


def can_approve(campaign: CareCampaign, user: User) -> bool:
    """A manager of the campaign's department (or an admin), who is not an author."""
    if campaign.status != CampaignStatus.IN_REVIEW or not user.has_perm(APPROVE_PERMISSION):
        return False
    if user.role == Role.MANAGER:
        if campaign.department_id != user.department_id:
            return False
    elif user.role != Role.ADMIN:
        return False
    return user.pk not in campaign_authors(campaign)
