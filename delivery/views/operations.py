"""What staff see of the delivery engine: one message with its history, the operations
page (with retry now) and the settings of caps and quiet hours. A sender's own pages (a
campaign's delivery card and message log) belong to its app and use ``chart_labels`` and
the selectors of ``delivery.selectors.messages``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from carecrm.core.scoping import get_visible_or_404
from customers.privacy import can_see_pii
from delivery.forms import (
    FrequencyCapForm,
    QuietHoursForm,
    RetryFailedForm,
    SourceKindClassForm,
)
from delivery.models import (
    DeliveryChannel,
    FrequencyCap,
    MessageStatus,
    OutboxMessage,
    QuietHours,
)
from delivery.registry import source_kind
from delivery.selectors.kinds import kind_classes
from delivery.selectors.messages import (
    address_for,
    queue_overview,
    sources_overview,
)
from delivery.services.admin import (
    frequency_cap_delete,
    frequency_cap_save,
    message_requeue,
    messages_retry,
    messages_uncertain_settle,
    quiet_hours_save,
    source_kind_classes_save,
)


def chart_labels() -> dict:
    """The translated labels of the delivery charts (static/js/delivery-chart.js)."""
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
@permission_required("delivery.view_outboxmessage", raise_exception=True)
def message_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_visible_or_404(
        request.user, OutboxMessage.objects.select_related("source", "customer"), pk=pk
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
        "delivery/message_detail.html",
        {
            "message": message,
            "address": address_for(request.user, message),
            "events": message.events.all(),
            **_source_links(message.source),
            "can_requeue": message.status == MessageStatus.FAILED
            and request.user.has_perm("delivery.change_outboxmessage"),
        },
    )


def _source_links(source) -> dict:
    """Links to the page of the message's sender and to its message log, when its app
    has them."""
    try:
        kind = source_kind(source.kind)
    except LookupError:
        return {"source_url": None, "source_log_url": None}
    return {
        "source_url": kind.url(source) if kind.url else None,
        "source_log_url": kind.log_url(source) if kind.log_url else None,
    }


@login_required
@require_POST
@permission_required("delivery.change_outboxmessage", raise_exception=True)
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
    return redirect("delivery_ops:message", pk=message.pk)


@login_required
def operations_view(request: HttpRequest) -> HttpResponse:
    """The queue, sending rate and failures of every sender. Staff, who see messages but
    not the operations, are taken to the message log (the navigation's one entry)."""
    if not request.user.has_perm("delivery.view_dispatchrun"):
        if request.user.has_perm("delivery.view_outboxmessage") and not request.htmx:
            return redirect("delivery_ops:messages")
        raise PermissionDenied
    overview = queue_overview()
    context = {
        "overview": overview,
        "retry_form": RetryFailedForm(codes=overview.failed_codes),
        "can_retry": request.user.has_perm("delivery.change_outboxmessage"),
        "sources": sources_overview(request.user)
        if request.user.has_perm("delivery.view_messagesource") and not request.htmx
        else [],
    }
    template = "_operations_figures.html" if request.htmx else "operations.html"
    response = render(request, f"delivery/{template}", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_POST
@permission_required("delivery.change_outboxmessage", raise_exception=True)
def retry_view(request: HttpRequest) -> HttpResponse:
    if request.POST.get("what") == "failed":
        form = RetryFailedForm(request.POST, codes=queue_overview().failed_codes)
        if not form.is_valid():
            messages.error(request, _("Choose an error code from the list."))
            return redirect("delivery_ops:operations")
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
    return redirect("delivery_ops:operations")


@login_required
@require_POST
@permission_required("delivery.change_outboxmessage", raise_exception=True)
def uncertain_settle_view(request: HttpRequest) -> HttpResponse:
    channel, decision = request.POST.get("channel", ""), request.POST.get("decision", "")
    if channel not in DeliveryChannel.values or decision not in ("arrived", "again"):
        messages.error(request, _("Choose a channel and whether the messages arrived."))
        return redirect("delivery_ops:operations")
    count = messages_uncertain_settle(
        user=request.user, channel=channel, arrived=decision == "arrived"
    )
    if decision == "arrived":
        text = _("%(count)d uncertain messages are recorded as sent.")
    else:
        text = _("%(count)d uncertain messages are queued to be sent again.")
    messages.success(request, text % {"count": count})
    return redirect("delivery_ops:operations")


# --- settings: frequency caps and quiet hours ------------------------------------------


@login_required
@permission_required("delivery.view_frequencycap", raise_exception=True)
def delivery_settings_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "delivery/settings.html",
        {
            "caps": FrequencyCap.objects.select_related("updated_by"),
            "quiet_hours": QuietHours.objects.select_related("updated_by"),
            "can_change_caps": user.has_perm("delivery.change_frequencycap"),
            "can_add_caps": user.has_perm("delivery.add_frequencycap"),
            "can_delete_caps": user.has_perm("delivery.delete_frequencycap"),
            "can_change_quiet": user.has_perm("delivery.change_quiethours"),
            "can_add_quiet": user.has_perm("delivery.add_quiethours"),
            "kind_classes": kind_classes(),
            "can_change_classes": user.has_perm("delivery.change_sourcekindclass"),
        },
    )


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _rule_edit(request, *, model, pk, form_class, save, title, saved) -> HttpResponse:
    """Add or change one delivery rule (a frequency cap or a channel's quiet hours)."""
    rule = get_object_or_404(model, pk=pk) if pk else model()
    name = model._meta.model_name
    _require(request, f"delivery.{'change' if pk else 'add'}_{name}")
    form = form_class(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        save(form.instance, request.user)
        messages.success(request, saved % {"rule": form.instance})
        return redirect("delivery_ops:settings")
    return render(
        request,
        "delivery/settings_form.html",
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
@permission_required("delivery.delete_frequencycap", raise_exception=True)
def frequency_cap_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    cap = get_object_or_404(FrequencyCap, pk=pk)
    frequency_cap_delete(cap=cap, user=request.user)
    messages.success(request, _("Frequency cap deleted."))
    return redirect("delivery_ops:settings")


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


@login_required
@permission_required("delivery.change_sourcekindclass", raise_exception=True)
def source_kind_classes_edit_view(request: HttpRequest) -> HttpResponse:
    """Admins choose, per kind of sender, whether its messages count against caps."""
    form = SourceKindClassForm(request.POST or None, rows=kind_classes())
    if request.method == "POST" and form.is_valid():
        changed = source_kind_classes_save(user=request.user, counts=form.counts())
        if changed:
            messages.success(
                request,
                _(
                    "Saved. The next messages of the changed senders are enqueued under "
                    "their new class; messages already queued keep theirs."
                ),
            )
        else:
            messages.info(request, _("Nothing changed."))
        return redirect(f"{reverse('delivery_ops:settings')}#kind-classes")
    return render(request, "delivery/kind_classes_form.html", {"form": form})
