"""Telling a campaign's author what the reviewers decided: an in-app notice with the
comment and a link, and an email copy sent by a Celery task once per decision (the
notice is keyed by the review's id, so a retried task or a double click sends nothing
twice)."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from campaigns.models import CampaignReview, ReviewDecision, ReviewStage
from carecrm.core.dispatch import task_enqueue
from carecrm.core.models import Notification
from carecrm.core.notifications.services import notification_create, notification_email

KIND_APPROVED = "campaigns.approved"
KIND_CHANGES_REQUESTED = "campaigns.changes_requested"


def _key(review: CampaignReview) -> str:
    return f"campaigns.review:{review.pk}"


def review_decision_notify(review: CampaignReview) -> Notification | None:
    """Notify who submitted the campaign (else who created it) of a final decision or a
    department's request for changes; the email follows once the decision is committed.
    A reviewer is never notified of their own decision."""
    campaign = review.campaign
    recipient = campaign.submitted_by or campaign.created_by
    if recipient is None or recipient.pk == review.reviewer_id:
        return None
    if review.stage == ReviewStage.DEPARTMENT and review.decision == ReviewDecision.APPROVED:
        return None  # one department's yes is not yet a decision the author acts on
    approved = review.decision == ReviewDecision.APPROVED
    names = {"campaign": campaign.name, "reviewer": review.reviewer}
    with translation.override(settings.LANGUAGE_CODE):
        if approved:
            title = _("“%(campaign)s” was approved by %(reviewer)s") % names
        else:
            title = _("%(reviewer)s asks for changes to “%(campaign)s”") % names
        body = review.comment
        if review.department_id and review.stage == ReviewStage.DEPARTMENT:
            body = _("Review for %(department)s") % {"department": review.department} + (
                "\n" + body if body else ""
            )
    url = reverse("campaigns:detail", args=[campaign.pk])
    notification = notification_create(
        recipient=recipient,
        kind=KIND_APPROVED if approved else KIND_CHANGES_REQUESTED,
        title=title,
        body=body,
        url=url,
        key=_key(review),
    )
    task_enqueue("campaigns.email_review_decision", review.pk)
    return notification


def review_decision_email(*, review_id: int) -> bool:
    """Email the author the notice of review ``review_id`` (True when sent now; once)."""
    notification = Notification.objects.filter(key=f"campaigns.review:{review_id}").first()
    if notification is None:
        return False
    return notification_email(notification_id=notification.pk)
