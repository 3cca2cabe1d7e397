"""Campaign list, create/edit form, detail page and workflow buttons."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.content import check_content
from campaigns.forms import CampaignForm, ReasonForm
from campaigns.models import (
    OFFLINE_CHANNELS,
    CampaignKind,
    CampaignStatus,
    CareCampaign,
    CouponBatch,
    TaskStatus,
    TouchChannel,
)
from campaigns.selectors.approval import (
    can_approve,
    can_review_for_department,
    pending_review_departments,
)
from campaigns.selectors.audience import campaign_audience
from campaigns.selectors.campaigns import (
    campaign_list,
    campaign_redemption,
    campaign_task_counts,
    can_edit,
    visible_campaigns,
)
from campaigns.selectors.due import next_touch_dates, schedule_summary
from campaigns.selectors.sms_cost import campaign_sms_cost
from campaigns.services.approval import (
    campaign_finish,
    campaign_pause,
    campaign_resume,
    campaign_submit,
    submission_problems,
)
from campaigns.services.campaigns import campaign_create, campaign_update
from carecrm.core.errors import staff_forbidden
from carecrm.core.forms import add_service_errors
from carecrm.core.registry import panels_for

PAGE_SIZE = 25


def querystring_base(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


def get_campaign(request: HttpRequest, pk: int) -> CareCampaign:
    """A campaign the user may read (its own scope or a department asked to review)."""
    campaign = visible_campaigns(request.user).filter(pk=pk).first()
    if campaign is None:
        raise Http404(_("care campaign"))
    return campaign


def get_editable_campaign(request: HttpRequest, pk: int) -> CareCampaign:
    campaign = get_campaign(request, pk)
    if not can_edit(request.user, campaign):
        raise PermissionDenied(_("You cannot change this campaign."))
    return campaign


@login_required
@permission_required("campaigns.view_carecampaign", raise_exception=True)
def campaign_list_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    query = request.GET.get("q", "").strip()
    campaigns = campaign_list(
        request.user,
        status=status if status in CampaignStatus.values else "",
        kind=kind if kind in CampaignKind.values else "",
        search=query,
    )
    page = Paginator(campaigns, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "page": page,
            "status": status,
            "kind": kind,
            "query": query,
            "statuses": CampaignStatus.choices,
            "kinds": CampaignKind.choices,
            "querystring_base": querystring_base(request),
        },
    )


def _form_page(request, form, campaign=None) -> HttpResponse:
    return render(
        request,
        "campaigns/campaign_form.html",
        {"form": form, "campaign": campaign},
    )


def _save(request, form, campaign=None):
    relations = form.service_relations()
    try:
        if campaign is None:
            return campaign_create(user=request.user, fields=form.service_fields(), **relations)
        return campaign_update(
            campaign=campaign, user=request.user, fields=form.service_fields(), **relations
        )
    except ValidationError as error:
        add_service_errors(form, error)
    except PermissionDenied as error:
        form.add_error(None, str(error))
    return None


@login_required
@permission_required("campaigns.add_carecampaign", raise_exception=True)
def campaign_create_view(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None, user=request.user, segment=request.GET.get("segment"))
    if request.method == "POST" and form.is_valid():
        campaign = _save(request, form)
        if campaign is not None:
            messages.success(request, _("Campaign created. Now write the content per channel."))
            return redirect("campaigns:detail", campaign.pk)
    return _form_page(request, form)


@login_required
@permission_required("campaigns.change_carecampaign", raise_exception=True)
def campaign_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_editable_campaign(request, pk)
    was_locked = campaign.status in (
        CampaignStatus.IN_REVIEW,
        CampaignStatus.APPROVED,
        CampaignStatus.ACTIVE,
        CampaignStatus.PAUSED,
    )
    form = CampaignForm(request.POST or None, instance=campaign, user=request.user)
    if request.method == "POST" and form.is_valid():
        # The ModelForm has written the cleaned values onto the instance; start again from
        # the database so the service sees the stored campaign.
        saved = _save(request, form, CareCampaign.objects.get(pk=campaign.pk))
        if saved is not None:
            if was_locked and saved.status == CampaignStatus.DRAFT:
                messages.warning(
                    request,
                    _("Saved. The campaign is a draft again and stops until it is re-approved."),
                )
            else:
                messages.success(request, _("Saved."))
            return redirect("campaigns:detail", saved.pk)
    return _form_page(request, form, campaign)


@login_required
@permission_required("campaigns.view_carecampaign", raise_exception=True)
def campaign_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign(request, pk)
    user = request.user
    contents = list(campaign.contents.all())
    cost = campaign_sms_cost(campaign, user=user)
    checks = [
        (
            content,
            check_content(
                channel=content.channel,
                subject=content.subject,
                body=content.body,
                html_body=content.html_body,
                longest_values=cost.longest_values if cost else None,
            ),
        )
        for content in contents
    ]
    used = {content.channel for content in contents}
    try:
        batch = campaign.coupon_batch
    except CouponBatch.DoesNotExist:
        batch = None
    today = timezone.localdate()
    editable = can_edit(user, campaign)
    task_counts = campaign_task_counts(campaign)
    return render(
        request,
        "campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "schedule": schedule_summary(campaign),
            "next_dates": next_touch_dates(campaign, after=today),
            "audience_size": campaign_audience(campaign).count(),
            "checks": checks,
            "sms_cost": cost,
            "missing_channels": [c for c in TouchChannel if c not in used],
            "offline_channels": OFFLINE_CHANNELS,
            "batch": batch,
            "redemption": campaign_redemption(campaign) if batch else None,
            "problems": submission_problems(campaign)
            if campaign.status in (CampaignStatus.DRAFT, CampaignStatus.CHANGES_REQUESTED)
            else {},
            "editable": editable,
            "can_approve": can_approve(campaign, user),
            "can_review": can_review_for_department(campaign, user),
            "pending_departments": pending_review_departments(campaign)
            if campaign.status == CampaignStatus.IN_REVIEW
            else [],
            "reviews": campaign.reviews.select_related("reviewer", "department")[:50],
            "activities": campaign.activities.select_related("actor")[:50],
            "versions": campaign.versions.select_related("created_by")[:20],
            "tasks_open": task_counts.get(TaskStatus.OPEN, 0),
            "tasks_done": task_counts.get(TaskStatus.DONE, 0),
            "reason_form": ReasonForm(),
            "panels": panels_for("campaign", campaign, user),
        },
    )


def _action(request, pk: int, action, success: str) -> HttpResponse:
    campaign = get_editable_campaign(request, pk)
    try:
        action(campaign)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("campaigns:detail", pk)


@login_required
@require_POST
@permission_required("campaigns.change_carecampaign", raise_exception=True)
def campaign_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda c: campaign_submit(campaign=c, user=request.user),
        _("Submitted for review."),
    )


@login_required
@require_POST
@permission_required("campaigns.change_carecampaign", raise_exception=True)
def campaign_pause_view(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _action(
        request,
        pk,
        lambda c: campaign_pause(campaign=c, user=request.user, reason=reason),
        _("Paused: no touches are due until it is resumed."),
    )


@login_required
@require_POST
@permission_required("campaigns.change_carecampaign", raise_exception=True)
def campaign_resume_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        return _action(
            request, pk, lambda c: campaign_resume(campaign=c, user=request.user), _("Resumed.")
        )
    except PermissionDenied as refusal:  # a manager's pause: say so rather than a bare 403
        return staff_forbidden(request, str(refusal) or _("You cannot change this campaign."))


@login_required
@require_POST
@permission_required("campaigns.change_carecampaign", raise_exception=True)
def campaign_finish_view(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _action(
        request,
        pk,
        lambda c: campaign_finish(campaign=c, user=request.user, reason=reason),
        _("Finished."),
    )
