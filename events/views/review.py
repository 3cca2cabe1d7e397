"""The review tab of an event: its figures, goals and charts, the summary and "Mark as
reviewed", and the same figures as XLSX and PDF."""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from carecrm.core.forms import add_service_errors
from carecrm.core.scoping import get_visible_or_404
from events.models import EventStatus
from events.selectors.events import visible_events
from events.selectors.review import event_review
from events.services.review import (
    REVIEW_PERMISSION,
    SUMMARY_MAX_LENGTH,
    event_mark_reviewed,
    event_review_export,
    event_review_summary_save,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReviewSummaryForm(forms.Form):
    summary = forms.CharField(
        label=gettext_lazy("Review summary"),
        required=False,
        max_length=SUMMARY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "What worked, what did not, and what the next event should do differently."
        ),
    )


def _event(request: HttpRequest, pk: int):
    return get_visible_or_404(request.user, visible_events(request.user), pk=pk)


@login_required
@permission_required("events.view_event", raise_exception=True)
def review_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    can_write = request.user.has_perm(REVIEW_PERMISSION) and event.status in (
        EventStatus.HELD,
        EventStatus.REVIEWED,
    )
    form = ReviewSummaryForm(
        request.POST if request.method == "POST" else None,
        initial={"summary": event.review_summary},
    )
    if request.method == "POST":
        if not request.user.has_perm(REVIEW_PERMISSION):
            raise PermissionDenied(_("You cannot write the review of this event."))
        action = request.POST.get("action", "save")
        if form.is_valid():
            summary = form.cleaned_data["summary"]
            try:
                if action == "review":
                    event_mark_reviewed(
                        event=event, user=request.user, summary=summary, request=request
                    )
                    messages.success(
                        request, _("The event is reviewed; its goals' actual figures are stored.")
                    )
                else:
                    event_review_summary_save(
                        event=event, user=request.user, summary=summary, request=request
                    )
                    messages.success(request, _("Review summary saved."))
                return redirect("events:review", event.pk)
            except ValidationError as error:
                add_service_errors(form, error)
    review = event_review(event, user=request.user)
    return render(
        request,
        "events/review.html",
        {
            "event": event,
            "review": review,
            "figures": review.figures,
            "form": form,
            "can_write": can_write,
            "chart_json": json.dumps(review.chart(), cls=DjangoJSONEncoder, ensure_ascii=False),
        },
    )


def _filename(event, extension: str) -> str:
    day = timezone.localdate(event.starts_at).isoformat()
    return f"event-review-{event.pk}-{slugify(event.title) or 'event'}-{day}.{extension}"


@login_required
@permission_required("events.view_event", raise_exception=True)
@require_GET
def review_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    content = event_review_export(
        event=event, user=request.user, file_format="xlsx", request=request
    )
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename(event, "xlsx")}"'
    return response


@login_required
@permission_required("events.view_event", raise_exception=True)
@require_GET
def review_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    content = event_review_export(
        event=event, user=request.user, file_format="pdf", request=request
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(event, "pdf")}"'
    return response
