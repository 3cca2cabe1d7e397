"""The managers' approval queue and the review page with the diff against the last
approved version."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.forms import DecisionForm, DepartmentReviewForm
from campaigns.models import CampaignStatus, ReviewDecision
from campaigns.selectors.approval import (
    can_approve,
    can_review_for_department,
    pending_review_departments,
)
from campaigns.selectors.audience import campaign_audience
from campaigns.selectors.campaigns import approval_queue
from campaigns.selectors.due import next_touch_dates, schedule_summary
from campaigns.selectors.review import channel_previews, review_comparison
from campaigns.selectors.sms_cost import campaign_sms_cost
from campaigns.services.approval import (
    campaign_approve,
    campaign_request_changes,
    campaign_review,
)
from campaigns.views.campaigns import get_campaign


@login_required
@permission_required("campaigns.view_carecampaign", raise_exception=True)
def approval_queue_view(request: HttpRequest) -> HttpResponse:
    queue = approval_queue(request.user)
    rows = [
        {
            "campaign": campaign,
            "final": can_approve(campaign, request.user),
            "pending": pending_review_departments(campaign),
        }
        for campaign in queue
    ]
    return render(request, "campaigns/approval_queue.html", {"rows": rows})


@login_required
@permission_required("campaigns.view_carecampaign", raise_exception=True)
def review_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign(request, pk)
    user = request.user
    final = can_approve(campaign, user)
    department = can_review_for_department(campaign, user)
    decision_form = DecisionForm(request.POST if final else None)
    review_form = DepartmentReviewForm(request.POST if department and not final else None)
    if request.method == "POST":
        if not (final or department):
            raise PermissionDenied(_("You cannot review this campaign now."))
        action = request.POST.get("action", "")
        try:
            if final and action == "approve" and decision_form.is_valid():
                campaign_approve(
                    campaign=campaign, user=user, comment=decision_form.cleaned_data["comment"]
                )
                messages.success(request, _("Approved. Its touches are now due on schedule."))
                return redirect("campaigns:detail", pk)
            if final and action == "request_changes" and decision_form.is_valid():
                campaign_request_changes(
                    campaign=campaign, user=user, comment=decision_form.cleaned_data["comment"]
                )
                messages.info(request, _("Sent back to the author with your comment."))
                return redirect("campaigns:approvals")
            if department and action == "department" and review_form.is_valid():
                review = campaign_review(
                    campaign=campaign,
                    user=user,
                    decision=review_form.cleaned_data["decision"],
                    comment=review_form.cleaned_data["comment"],
                )
                if review.decision == ReviewDecision.APPROVED:
                    messages.success(request, _("Your department's approval is recorded."))
                else:
                    messages.info(request, _("Sent back to the author with your comment."))
                return redirect("campaigns:approvals")
        except ValidationError as error:
            target = review_form if action == "department" else decision_form
            for message in error.messages:
                target.add_error(None, message)
    cost = campaign_sms_cost(campaign, user=user)
    customer, previews = channel_previews(campaign, user, sms_cost=cost)
    return render(
        request,
        "campaigns/review.html",
        {
            "campaign": campaign,
            "comparison": review_comparison(campaign),
            "final": final,
            "department": department,
            "decision_form": decision_form,
            "review_form": review_form,
            "in_review": campaign.status == CampaignStatus.IN_REVIEW,
            "pending": pending_review_departments(campaign),
            "schedule": schedule_summary(campaign),
            "audience_size": campaign_audience(campaign).count(),
            "next_dates": next_touch_dates(campaign, after=timezone.localdate(), limit=5),
            "preview_customer": customer,
            "previews": previews,
            "sms_cost": cost,
            "reviews": campaign.reviews.select_related("reviewer", "department")[:50],
        },
    )
