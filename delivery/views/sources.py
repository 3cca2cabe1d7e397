"""The log of every message, whatever sent it, and one sender's page: its figures (sent,
delivered, failed, suppressed by reason, opened, clicked, care and service apart) and,
for managers, pause, resume and cancel. Rows are scoped like every outbox page
(``OutboxMessage.SCOPE``) and addresses masked without the PII permission."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecrm.core.audit import audit_record_many
from carecrm.core.counts import paginated_list
from carecrm.core.models import AuditAction
from customers.privacy import can_see_pii
from delivery.forms import MessageLogForm
from delivery.registry import source_kind, source_kinds
from delivery.selectors.messages import (
    LOG_ORDER,
    address_for,
    message_log,
    messages_metrics,
    visible_messages,
    visible_sources,
)
from delivery.services.admin import source_state_change
from delivery.views.operations import chart_labels

PAGE_SIZE = 50
SOURCE_CHOICES = 200


def _kind_label(key: str) -> str:
    try:
        return str(source_kind(key).label)
    except LookupError:
        return key


def _source_choices(user, selected: str | None) -> list[tuple[int, str]]:
    """The most recent senders the user may open, and the one asked for if older."""
    sources = visible_sources(user).order_by("-created_at", "-id")
    rows = list(sources.values_list("pk", "label", "kind")[:SOURCE_CHOICES])
    if selected and selected.isdigit() and all(row[0] != int(selected) for row in rows):
        rows += list(sources.filter(pk=int(selected)).values_list("pk", "label", "kind"))
    return [(pk, f"{label} · {_kind_label(kind)}") for pk, label, kind in rows]


def _audit_rows(request, rows, detail: dict) -> None:
    """Full addresses shown are views of personal data."""
    if rows and can_see_pii(request.user):
        audit_record_many(
            actor=request.user,
            action=AuditAction.VIEW,
            customer_ids=[message.customer_id for message, _address in rows],
            detail=detail,
            request=request,
        )


@login_required
@permission_required("delivery.view_outboxmessage", raise_exception=True)
def message_log_view(request: HttpRequest) -> HttpResponse:
    """Every message the user may see, whatever sent it, newest first, a keyset page at a
    time (no COUNT, no OFFSET: the millionth message costs what the first does)."""
    user = request.user
    form = MessageLogForm(
        request.GET or None,
        kinds=sorted(
            ((key, str(kind.label)) for key, kind in source_kinds.items()), key=lambda c: c[1]
        ),
        sources=_source_choices(user, request.GET.get("source")),
    )
    filters = form.filters() if form.is_bound else {}
    log = message_log(visible_messages(user), filters)
    page, count = paginated_list(request, log, key=LOG_ORDER, descending=True, size=PAGE_SIZE)
    rows = [(message, address_for(user, message)) for message in page.rows]
    _audit_rows(request, rows, {"page": "message_log"})
    source = None
    if filters.get("source"):
        source = visible_sources(user).filter(pk=filters["source"]).first()
    return render(
        request,
        "delivery/messages.html",
        {"form": form, "page": page, "count": count, "rows": rows, "source": source},
    )


def _source_or_404(request, pk: int):
    source = visible_sources(request.user).select_related("department").filter(pk=pk).first()
    if source is None:
        raise Http404(_("message source"))
    return source


def _whole_source(user, source) -> bool:
    """Admins and the sender's own department see the figures of the whole sender; others
    those of the messages to customers they see."""
    return user.is_admin_role or (
        source.department_id is not None and source.department_id == user.department_id
    )


@login_required
@permission_required("delivery.view_messagesource", raise_exception=True)
def source_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    source = _source_or_404(request, pk)
    user = request.user
    whole = _whole_source(user, source)
    queryset = source.messages.all() if whole else visible_messages(user).filter(source=source)
    metrics = messages_metrics(queryset)
    try:
        kind = source_kind(source.kind)
    except LookupError:
        kind = None
    return render(
        request,
        "delivery/source_detail.html",
        {
            "source": source,
            "kind_label": kind.label if kind else source.kind,
            "source_url": kind.url(source) if kind and kind.url else None,
            "metrics": metrics,
            "whole": whole,
            "chart_json": json.dumps(
                {**metrics.chart_data(), "labels": chart_labels()}, cls=DjangoJSONEncoder
            ),
            "can_control": user.has_perm("delivery.change_messagesource")
            and not (kind and kind.state_follows_sender),
            "state_follows_sender": bool(kind and kind.state_follows_sender),
            "can_see_log": user.has_perm("delivery.view_outboxmessage"),
        },
    )


@login_required
@require_POST
@permission_required("delivery.change_messagesource", raise_exception=True)
def source_state_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Pause, resume or cancel a sender (managers, after confirming); audited."""
    source = _source_or_404(request, pk)
    action = request.POST.get("action", "")
    if action == "cancel" and request.POST.get("confirm") != "yes":
        messages.error(request, _("Confirm that its queued messages are to be stopped."))
        return redirect("delivery_ops:source", pk=source.pk)
    result = source_state_change(source=source, action=action, user=request.user)
    if result is None:
        messages.error(request, _("This sender cannot do that in its present state."))
    elif action == "pause":
        messages.success(request, _("Paused: its queued messages wait until it is resumed."))
    elif action == "resume":
        messages.success(request, _("Resumed: its queued messages go again."))
    else:
        messages.success(
            request,
            _("Cancelled: %(count)d queued messages will not be sent.") % {"count": result},
        )
    return redirect("delivery_ops:source", pk=source.pk)
