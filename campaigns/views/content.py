"""Per-channel content with live preview, and the campaign's coupon terms and coupons."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.content import (
    PLACEHOLDER_PATTERN,
    PLACEHOLDERS,
    check_content,
    clean_content,
    render_message,
)
from campaigns.forms import ContentForm, CouponBatchForm
from campaigns.models import CampaignStatus, Coupon, CouponBatch, TouchChannel
from campaigns.selectors.campaigns import COUPON_ORDER, visible_templates
from campaigns.selectors.personalise import (
    message_values,
    preview_customers,
    preview_occurrence,
)
from campaigns.selectors.sms_cost import sms_cost
from campaigns.services.campaigns import (
    campaign_content_move,
    campaign_content_remove,
    campaign_content_set,
    coupon_batch_remove,
    coupon_batch_set,
)
from campaigns.views.campaigns import get_campaign, get_editable_campaign
from carecrm.core.counts import paginated_list

LOCKED = (
    CampaignStatus.IN_REVIEW,
    CampaignStatus.APPROVED,
    CampaignStatus.ACTIVE,
    CampaignStatus.PAUSED,
)


def _channel(value: str) -> TouchChannel:
    if value not in TouchChannel.values:
        raise Http404(_("channel"))
    return TouchChannel(value)


def _saved_message(request, campaign, before_status) -> None:
    campaign.refresh_from_db(fields=["status"])
    if before_status in LOCKED and campaign.status == CampaignStatus.DRAFT:
        messages.warning(
            request, _("Saved. The campaign is a draft again and stops until it is re-approved.")
        )
    else:
        messages.success(request, _("Saved."))


@login_required
@permission_required("campaigns.change_carecampaign", raise_exception=True)
def content_edit_view(request: HttpRequest, pk: int, channel: str) -> HttpResponse:
    campaign = get_editable_campaign(request, pk)
    channel = _channel(channel)
    content = campaign.contents.filter(channel=channel).first()
    initial = {}
    if content is not None:
        initial = {"subject": content.subject, "body": content.body, "html_body": content.html_body}
    templates = visible_templates(request.user).filter(channel=channel).order_by("name")
    template_id = request.GET.get("template", "")
    if template_id.isdigit():
        template = templates.filter(pk=int(template_id)).first()
        if template is not None:
            initial = {
                "subject": template.subject,
                "body": template.body,
                "html_body": template.html_body,
            }
    form = ContentForm(request.POST or None, initial=initial, channel=channel)
    if request.method == "POST" and form.is_valid():
        before_status = campaign.status
        try:
            campaign_content_set(
                campaign=campaign,
                user=request.user,
                channel=channel,
                subject=form.cleaned_data.get("subject", ""),
                body=form.cleaned_data.get("body", ""),
                html_body=form.cleaned_data.get("html_body", ""),
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            _saved_message(request, campaign, before_status)
            return redirect("campaigns:detail", campaign.pk)
    return render(
        request,
        "campaigns/content_form.html",
        {
            "campaign": campaign,
            "channel": channel,
            "form": form,
            "content": content,
            "templates": templates,
            "placeholders": PLACEHOLDERS.items(),
            "customers": preview_customers(campaign, request.user),
        },
    )


@login_required
@require_POST
@permission_required("campaigns.view_carecampaign", raise_exception=True)
def content_preview_view(request: HttpRequest, pk: int, channel: str) -> HttpResponse:
    """htmx: the message as one real customer of the user's scope would receive it."""
    campaign = get_campaign(request, pk)
    channel = _channel(channel)
    customers = {c.pk: c for c in preview_customers(campaign, request.user)}
    customer_id = request.POST.get("customer", "")
    customer = customers.get(int(customer_id)) if customer_id.isdigit() else None
    customer = customer or next(iter(customers.values()), None)
    cleaned = clean_content(
        channel=channel,
        subject=request.POST.get("subject", ""),
        body=request.POST.get("body", ""),
        html_body=request.POST.get("html_body", ""),
    )
    rendered = values = None
    empty: list[str] = []
    if customer is not None:
        occurrence = preview_occurrence(campaign, customer, timezone.localdate())
        values = message_values(campaign, occurrence, [customer], preview=True)[customer.pk]
        rendered = render_message(channel=channel, values=values, **cleaned)
        used = {
            match.group(1)
            for text in cleaned.values()
            for match in PLACEHOLDER_PATTERN.finditer(text)
        }
        empty = sorted(name for name in used & set(PLACEHOLDERS) if not values.get(name))
    cost = None
    if channel == TouchChannel.SMS and cleaned["body"].strip():
        cost = sms_cost(campaign, body=cleaned["body"], customer=customer, values=values)
    check = check_content(
        channel=channel,
        values=values,
        longest_values=cost.longest_values if cost else None,
        **cleaned,
    )
    return render(
        request,
        "campaigns/_preview.html",
        {
            "sms_cost": cost,
            "channel": channel,
            "customer": customer,
            "rendered": rendered,
            "check": check,
            "empty": [f"{{{name}}}" for name in empty],
        },
    )


@login_required
@require_POST
@permission_required("campaigns.change_carecampaign", raise_exception=True)
def content_remove_view(request: HttpRequest, pk: int, channel: str) -> HttpResponse:
    campaign = get_editable_campaign(request, pk)
    before_status = campaign.status
    try:
        campaign_content_remove(campaign=campaign, user=request.user, channel=_channel(channel))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _saved_message(request, campaign, before_status)
    return redirect("campaigns:detail", pk)


@login_required
@require_POST
@permission_required("campaigns.change_carecampaign", raise_exception=True)
def content_move_view(request: HttpRequest, pk: int, channel: str) -> HttpResponse:
    campaign = get_editable_campaign(request, pk)
    before_status = campaign.status
    try:
        campaign_content_move(
            campaign=campaign,
            user=request.user,
            channel=_channel(channel),
            up=request.POST.get("direction") == "up",
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _saved_message(request, campaign, before_status)
    return redirect("campaigns:detail", pk)


@login_required
@permission_required("campaigns.change_carecampaign", raise_exception=True)
def coupon_batch_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_editable_campaign(request, pk)
    batch = CouponBatch.objects.filter(campaign=campaign).first()
    form = CouponBatchForm(request.POST or None, instance=batch or CouponBatch(campaign=campaign))
    if request.method == "POST" and request.POST.get("remove"):
        before_status = campaign.status
        try:
            coupon_batch_remove(campaign=campaign, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            _saved_message(request, campaign, before_status)
        return redirect("campaigns:detail", pk)
    if request.method == "POST" and form.is_valid():
        before_status = campaign.status
        try:
            coupon_batch_set(campaign=campaign, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            _saved_message(request, campaign, before_status)
            return redirect("campaigns:detail", pk)
    return render(
        request,
        "campaigns/coupon_batch_form.html",
        {"campaign": campaign, "form": form, "batch": batch},
    )


@login_required
@permission_required("campaigns.view_coupon", raise_exception=True)
def campaign_coupons_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The coupons a campaign issued, newest first, searchable by code."""
    from carecrm.core.scoping import visible_to

    campaign = get_campaign(request, pk)
    coupons = visible_to(
        request.user, Coupon.objects.filter(batch__campaign=campaign).select_related("customer")
    ).order_by("-issued_at", "-pk")
    query = request.GET.get("q", "").strip().upper()
    state = request.GET.get("state", "")
    if query:
        coupons = coupons.filter(code__startswith=query)
    if state == "redeemed":
        coupons = coupons.filter(redeemed_at__isnull=False)
    elif state == "open":
        coupons = coupons.filter(redeemed_at__isnull=True)
    page, count = paginated_list(request, coupons, key=COUPON_ORDER, descending=True, size=50)
    return render(
        request,
        "campaigns/campaign_coupons.html",
        {
            "campaign": campaign,
            "page": page,
            "count": count,
            "query": query,
            "state": state,
        },
    )
