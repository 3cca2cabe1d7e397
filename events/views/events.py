"""Event list, create/edit form, overview page and the status buttons."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecrm.accounts.models import Department
from carecrm.core.forms import add_service_errors
from carecrm.core.scoping import get_visible_or_404
from events.forms import CancelForm, EventForm, GoalFormSet, goal_payload
from events.models import Event, EventStatus, EventType
from events.selectors.events import (
    CANCELLABLE_STATUSES,
    TYPE_GUIDES,
    approval_blockers,
    can_edit_event,
    event_budget_card,
    event_list,
    suggested_segments,
    visible_events,
)
from events.services.events import (
    event_approve,
    event_cancel,
    event_create,
    event_mark_held,
    event_open,
    event_update,
)

PAGE_SIZE = 25


def get_event(request: HttpRequest, pk: int) -> Event:
    return get_visible_or_404(request.user, visible_events(request.user), pk=pk)


def budget_plan_url(plan) -> str | None:
    """The budgets app's page of the event's plan, once there is one."""
    return reverse("budgets:plan", args=[plan.pk]) if plan is not None else None


def _querystring_base(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@permission_required("events.view_event", raise_exception=True)
def event_list_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    type_ = request.GET.get("type", "")
    when = request.GET.get("when", "")
    query = request.GET.get("q", "").strip()[:100]
    department = _int_or_none(request.GET.get("department")) if request.user.is_admin_role else None
    events = event_list(
        request.user,
        status=status if status in EventStatus.values else "",
        type=type_ if type_ in EventType.values else "",
        when=when if when in ("upcoming", "past") else "",
        department=department,
        search=query,
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "events/event_list.html",
        {
            "page": page,
            "status": status,
            "type": type_,
            "when": when,
            "query": query,
            "department": department,
            "departments": Department.objects.order_by("name")
            if request.user.is_admin_role
            else None,
            "statuses": EventStatus.choices,
            "types": EventType.choices,
            "querystring_base": _querystring_base(request),
        },
    )


def _guides(user) -> list[dict]:
    return [
        {
            "type": key,
            "label": EventType(key).label,
            "audience": g.audience,
            "points": g.points,
            "suggested": suggested_segments(user, key),
        }
        for key, g in TYPE_GUIDES.items()
    ]


def _form_page(request, form, formset, event=None) -> HttpResponse:
    chosen_type = form["type"].value() or ""
    return render(
        request,
        "events/event_form.html",
        {
            "form": form,
            "formset": formset,
            "event": event,
            "guides": _guides(request.user),
            "chosen_type": chosen_type,
        },
    )


def _save(request, form, formset, event=None) -> Event | None:
    goals, delete = goal_payload(formset)
    try:
        with transaction.atomic():
            if event is None:
                return event_create(
                    user=request.user,
                    fields=form.service_fields(),
                    goals=goals,
                    **form.service_relations(),
                )
            return event_update(
                event=event,
                user=request.user,
                fields=form.service_fields(),
                goals=goals,
                delete_goals=delete,
                shift_milestones=form.shift_choice(),
                **form.service_relations(),
            )
    except ValidationError as error:
        add_service_errors(form, error)
    except PermissionDenied as error:
        form.add_error(None, str(error))
    return None


@login_required
@permission_required("events.add_event", raise_exception=True)
def event_create_view(request: HttpRequest) -> HttpResponse:
    form = EventForm(request.POST or None, user=request.user, segment=request.GET.get("segment"))
    formset = GoalFormSet(request.POST or None, instance=Event(), prefix="goals")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        event = _save(request, form, formset)
        if event is not None:
            messages.success(request, _("Event created with its timeline. Now plan its budget."))
            return redirect("events:detail", event.pk)
    return _form_page(request, form, formset)


@login_required
@permission_required("events.change_event", raise_exception=True)
def event_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event(request, pk)
    if not can_edit_event(request.user, event):
        raise PermissionDenied(_("A held, reviewed or cancelled event can no longer be changed."))
    form = EventForm(request.POST or None, instance=event, user=request.user)
    formset = GoalFormSet(request.POST or None, instance=event, prefix="goals")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        saved = _save(request, form, formset, event=get_event(request, pk))
        if saved is not None:
            messages.success(request, _("Event saved."))
            return redirect("events:detail", saved.pk)
    return _form_page(request, form, formset, event=event)


@login_required
@permission_required("events.view_event", raise_exception=True)
def event_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event(request, pk)
    card = event_budget_card(event)
    return render(
        request,
        "events/event_detail.html",
        {
            "event": event,
            "tab": "overview",
            "goals": event.goals.all(),
            "segments": event.target_segments.all(),
            "blockers": approval_blockers(event) if event.status == EventStatus.DRAFT else [],
            "can_approve": request.user.has_perm("events.approve_event"),
            "can_edit": can_edit_event(request.user, event),
            "can_cancel": event.status in CANCELLABLE_STATUSES
            and request.user.has_perm("events.change_event"),
            "cancel_form": CancelForm(),
            "card": card,
            "plan_url": budget_plan_url(card.plan),
            "guide": TYPE_GUIDES.get(event.type),
        },
    )


def _run(request, pk: int, action, success: str, **kwargs) -> HttpResponse:
    event = get_event(request, pk)
    try:
        action(event=event, user=request.user, **kwargs)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
    return redirect("events:detail", pk)


@login_required
@require_POST
@permission_required("events.approve_event", raise_exception=True)
def event_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(request, pk, event_approve, _("Event approved."))


@login_required
@require_POST
@permission_required("events.change_event", raise_exception=True)
def event_open_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(request, pk, event_open, _("The event is open for RSVPs: invitations may go."))


@login_required
@require_POST
@permission_required("events.change_event", raise_exception=True)
def event_held_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(request, pk, event_mark_held, _("The event is marked held."))


@login_required
@require_POST
@permission_required("events.change_event", raise_exception=True)
def event_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    get_event(request, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the event is cancelled."))
        return redirect("events:detail", pk)
    return _run(
        request, pk, event_cancel, _("The event is cancelled."), reason=form.cleaned_data["reason"]
    )
