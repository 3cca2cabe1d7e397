"""The event's timeline tab: the milestones as a chart and a list, each editable."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecrm.core.forms import add_service_errors
from carecrm.core.scoping import get_visible_or_404
from events.forms import MilestoneForm
from events.selectors.events import can_edit_event, is_overdue, timeline_chart, visible_milestones
from events.services.timeline import milestone_delete, milestone_save, timeline_generate
from events.views.events import get_event


@login_required
@permission_required("events.view_milestone", raise_exception=True)
def timeline_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event(request, pk)
    today = timezone.localdate()
    milestones = [(m, is_overdue(m, today)) for m in event.milestones.select_related("owner")]
    can_change = request.user.has_perm("events.change_milestone") and can_edit_event(
        request.user, event
    )
    return render(
        request,
        "events/event_timeline.html",
        {
            "event": event,
            "tab": "timeline",
            "chart": timeline_chart(event, today),
            "milestones": milestones,
            "today": today,
            "can_change": can_change,
            "form": MilestoneForm(user=request.user, event=event) if can_change else None,
        },
    )


@login_required
@require_POST
@permission_required("events.add_milestone", raise_exception=True)
def timeline_generate_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event(request, pk)
    created = timeline_generate(event)
    messages.success(request, _("%(n)d missing milestones added.") % {"n": len(created)})
    return redirect("events:timeline", pk)


def _milestone_form_page(request, event, form, milestone=None) -> HttpResponse:
    return render(
        request,
        "events/event_milestone_form.html",
        {"event": event, "tab": "timeline", "form": form, "milestone": milestone},
    )


@login_required
@permission_required("events.add_milestone", raise_exception=True)
def milestone_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event(request, pk)
    form = MilestoneForm(request.POST or None, user=request.user, event=event)
    if request.method == "POST" and form.is_valid():
        fields = {**form.cleaned_data}
        try:
            milestone_save(event=event, user=request.user, fields=fields)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Milestone added."))
            return redirect("events:timeline", pk)
    return _milestone_form_page(request, event, form)


@login_required
@permission_required("events.change_milestone", raise_exception=True)
def milestone_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = get_visible_or_404(request.user, visible_milestones(request.user), pk=pk)
    event = milestone.event
    form = MilestoneForm(request.POST or None, instance=milestone, user=request.user, event=event)
    if request.method == "POST" and form.is_valid():
        try:
            milestone_save(
                event=event, user=request.user, fields={**form.cleaned_data}, milestone=milestone
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Milestone saved."))
            return redirect("events:timeline", event.pk)
    return _milestone_form_page(request, event, form, milestone)


@login_required
@require_POST
@permission_required("events.delete_milestone", raise_exception=True)
def milestone_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = get_visible_or_404(request.user, visible_milestones(request.user), pk=pk)
    event_pk = milestone.event_id
    milestone_delete(milestone=milestone, user=request.user)
    messages.success(request, _("Milestone deleted."))
    return redirect("events:timeline", event_pk)
