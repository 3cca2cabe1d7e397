"""What staff see of the delivery engine: a campaign's delivery card and message log, one
message with its history, the operations page (with retry now) and the settings of caps
and quiet hours."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.forms_delivery import (
    FrequencyCapForm,
    MessageFilterForm,
    QuietHoursForm,
    RetryFailedForm,
)
from campaigns.models import (
    DeliveryChannel,
    FrequencyCap,
    MessageStatus,
    OutboxMessage,
    QuietHours,
)
from campaigns.selectors.delivery import (
    address_for,
    campaign_metrics,
    message_log,
    queue_overview,
    visible_messages,
)
from campaigns.services.delivery_admin import (
    frequency_cap_delete,
    frequency_cap_save,
    message_requeue,
    messages_retry,
    messages_uncertain_settle,
    quiet_hours_save,
)
from campaigns.views.campaigns import get_campaign, querystring_base
from carecrm.core.audit import audit_record, audit_record_many
from carecrm.core.models import AuditAction
from carecrm.core.scoping import get_visible_or_404
from customers.privacy import can_see_pii

PAGE_SIZE = 50


def _chart_labels() -> dict:
    return {
        "funnel": [
            _("Sent"),
            _("Delivered"),
            _("Opened"),
            _("Clicked"),
            _("Replied"),
            _("Converted"),
        ],
        "sent": _("Sent"),
        "delivered": _("Delivered"),
        "opened": _("Opened"),
        "clicked": _("Clicked"),
        "funnel_title": _("Funnel"),
        "series_title": _("Per day"),
    }


@login_required
@permission_required("campaigns.view_carecampaign", raise_exception=True)
def campaign_delivery_card_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign page's "Delivery" card, loaded after the page so the page stays fast."""
    campaign = get_campaign(request, pk)
    metrics = campaign_metrics(campaign)
    return render(
        request,
        "campaigns/delivery/_campaign_card.html",
        {
            "campaign": campaign,
            "metrics": metrics,
            # an attribute, not json_script: htmx drops <script> elements it swaps in
            "chart_json": json.dumps(
                {**metrics.chart_data(), "labels": _chart_labels()}, cls=DjangoJSONEncoder
            ),
            "can_see_log": request.user.has_perm("campaigns.view_outboxmessage"),
        },
    )


@login_required
@permission_required("campaigns.view_outboxmessage", raise_exception=True)
def campaign_messages_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign(request, pk)
    form = MessageFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {}
    log = message_log(visible_messages(request.user).filter(campaign=campaign), filters)
    page = Paginator(log, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(message, address_for(request.user, message)) for message in page.object_list]
    if rows and can_see_pii(request.user):
        audit_record_many(
            actor=request.user,
            action=AuditAction.VIEW,
            customer_ids=[message.customer_id for message, _address in rows],
            detail={"page": "message_log", "campaign": campaign.pk},
            request=request,
        )
    return render(
        request,
        "campaigns/delivery/message_list.html",
        {
            "campaign": campaign,
            "form": form,
            "page": page,
            "rows": rows,
            "querystring_base": querystring_base(request),
        },
    )


@login_required
@permission_required("campaigns.view_outboxmessage", raise_exception=True)
def message_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_visible_or_404(
        request.user, OutboxMessage.objects.select_related("campaign", "customer"), pk=pk
    )
    if can_see_pii(request.user):
        audit_record(
            actor=request.user,
            action=AuditAction.VIEW,
            customer_id=message.customer_id,
            obj=message,
            request=request,
        )
    return render(
        request,
        "campaigns/delivery/message_detail.html",
        {
            "message": message,
            "address": address_for(request.user, message),
            "events": message.events.all(),
            "can_requeue": message.status == MessageStatus.FAILED
            and request.user.has_perm("campaigns.change_outboxmessage"),
        },
    )


@login_required
@require_POST
@permission_required("campaigns.change_outboxmessage", raise_exception=True)
def message_requeue_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Send one failed message again, whatever its error, once the operator confirmed they
    checked the reason (a permanent refusal is refused again unless something changed)."""
    message = get_visible_or_404(request.user, OutboxMessage.objects.all(), pk=pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Confirm that the reason of the failure is dealt with."))
    elif message_requeue(message=message, user=request.user):
        messages.success(request, _("The message is queued to be sent again."))
    else:
        messages.error(request, _("Only a failed message can be queued again."))
    return redirect("campaigns:message", pk=message.pk)


@login_required
@permission_required("campaigns.view_dispatchrun", raise_exception=True)
def operations_view(request: HttpRequest) -> HttpResponse:
    overview = queue_overview()
    context = {
        "overview": overview,
        "retry_form": RetryFailedForm(codes=overview.failed_codes),
        "can_retry": request.user.has_perm("campaigns.change_outboxmessage"),
    }
    template = "_operations_figures.html" if request.htmx else "operations.html"
    response = render(request, f"campaigns/delivery/{template}", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_POST
@permission_required("campaigns.change_outboxmessage", raise_exception=True)
def retry_view(request: HttpRequest) -> HttpResponse:
    if request.POST.get("what") == "failed":
        form = RetryFailedForm(request.POST, codes=queue_overview().failed_codes)
        if not form.is_valid():
            messages.error(request, _("Choose an error code from the list."))
            return redirect("campaigns:delivery")
        count = messages_retry(user=request.user, failed=True, error_code=form.code())
        messages.success(
            request,
            _(
                "%(count)d messages that failed after transient errors are queued again. "
                "A message refused for good is queued again from its own page."
            )
            % {"count": count},
        )
    else:
        count = messages_retry(user=request.user)
        messages.success(
            request, _("%(count)d messages waiting for a retry go now.") % {"count": count}
        )
    return redirect("campaigns:delivery")


@login_required
@require_POST
@permission_required("campaigns.change_outboxmessage", raise_exception=True)
def uncertain_settle_view(request: HttpRequest) -> HttpResponse:
    channel, decision = request.POST.get("channel", ""), request.POST.get("decision", "")
    if channel not in DeliveryChannel.values or decision not in ("arrived", "again"):
        messages.error(request, _("Choose a channel and whether the messages arrived."))
        return redirect("campaigns:delivery")
    count = messages_uncertain_settle(
        user=request.user, channel=channel, arrived=decision == "arrived"
    )
    if decision == "arrived":
        text = _("%(count)d uncertain messages are recorded as sent.")
    else:
        text = _("%(count)d uncertain messages are queued to be sent again.")
    messages.success(request, text % {"count": count})
    return redirect("campaigns:delivery")


# --- settings: frequency caps and quiet hours ------------------------------------------


@login_required
@permission_required("campaigns.view_frequencycap", raise_exception=True)
def delivery_settings_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "campaigns/delivery/settings.html",
        {
            "caps": FrequencyCap.objects.select_related("updated_by"),
            "quiet_hours": QuietHours.objects.select_related("updated_by"),
            "can_change_caps": user.has_perm("campaigns.change_frequencycap"),
            "can_add_caps": user.has_perm("campaigns.add_frequencycap"),
            "can_delete_caps": user.has_perm("campaigns.delete_frequencycap"),
            "can_change_quiet": user.has_perm("campaigns.change_quiethours"),
            "can_add_quiet": user.has_perm("campaigns.add_quiethours"),
        },
    )


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _rule_edit(request, *, model, pk, form_class, save, title, saved) -> HttpResponse:
    """Add or change one delivery rule (a frequency cap or a channel's quiet hours)."""
    rule = get_object_or_404(model, pk=pk) if pk else model()
    name = model._meta.model_name
    _require(request, f"campaigns.{'change' if pk else 'add'}_{name}")
    form = form_class(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        save(form.instance, request.user)
        messages.success(request, saved % {"rule": form.instance})
        return redirect("campaigns:delivery-settings")
    return render(
        request,
        "campaigns/delivery/settings_form.html",
        {"form": form, "title": title, "object": rule if pk else None},
    )


@login_required
def frequency_cap_edit_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _rule_edit(
        request,
        model=FrequencyCap,
        pk=pk,
        form_class=FrequencyCapForm,
        save=lambda cap, user: frequency_cap_save(cap=cap, user=user),
        title=_("Frequency cap"),
        saved=_("Frequency cap saved: %(rule)s."),
    )


@login_required
@require_POST
@permission_required("campaigns.delete_frequencycap", raise_exception=True)
def frequency_cap_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    cap = get_object_or_404(FrequencyCap, pk=pk)
    frequency_cap_delete(cap=cap, user=request.user)
    messages.success(request, _("Frequency cap deleted."))
    return redirect("campaigns:delivery-settings")


@login_required
def quiet_hours_edit_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _rule_edit(
        request,
        model=QuietHours,
        pk=pk,
        form_class=QuietHoursForm,
        save=lambda rule, user: quiet_hours_save(quiet_hours=rule, user=user),
        title=_("Quiet hours"),
        saved=_("Quiet hours saved: %(rule)s."),
    )
