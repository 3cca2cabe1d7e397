"""The event's team and tasks tab, a task's page, and "my tasks" across events."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecrm.core.forms import add_service_errors
from carecrm.core.scoping import get_visible_or_404
from events.forms import TaskForm, TeamMemberForm
from events.models import TaskStatus, TeamMember
from events.selectors.events import (
    can_edit_event,
    is_overdue,
    my_tasks,
    team_by_role,
    visible_tasks,
)
from events.services.tasks import (
    task_delete,
    task_save,
    task_set_status,
    team_member_add,
    team_member_remove,
)
from events.views.events import get_event


@login_required
@permission_required("events.view_teammember", raise_exception=True)
def team_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event(request, pk)
    today = timezone.localdate()
    editable = can_edit_event(request.user, event)
    tasks = [(t, is_overdue(t, today)) for t in event.tasks.select_related("owner", "milestone")]
    return render(
        request,
        "events/event_team.html",
        {
            "event": event,
            "tab": "team",
            "roles": team_by_role(event),
            "tasks": tasks,
            "statuses": TaskStatus.choices,
            "member_form": TeamMemberForm(user=request.user, event=event)
            if editable and request.user.has_perm("events.add_teammember")
            else None,
            "task_form": TaskForm(user=request.user, event=event, initial={"due_on": today})
            if editable and request.user.has_perm("events.add_eventtask")
            else None,
            "can_remove": request.user.has_perm("events.delete_teammember"),
        },
    )


@login_required
@require_POST
@permission_required("events.add_teammember", raise_exception=True)
def member_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event(request, pk)
    form = TeamMemberForm(request.POST, user=request.user, event=event)
    if form.is_valid():
        try:
            team_member_add(
                event=event,
                user=request.user,
                member=form.cleaned_data["user"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Team member added."))
    else:
        messages.error(request, _("Choose a role and a member of the event's department."))
    return redirect("events:team", pk)


@login_required
@require_POST
@permission_required("events.delete_teammember", raise_exception=True)
def member_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_visible_or_404(
        request.user, TeamMember.objects.select_related("event", "user"), pk=pk
    )
    event_pk = member.event_id
    team_member_remove(team_member=member, user=request.user)
    messages.success(request, _("Team member removed."))
    return redirect("events:team", event_pk)


def _task_page(request, event, form, task=None) -> HttpResponse:
    return render(
        request,
        "events/event_task_form.html",
        {"event": event, "tab": "team", "form": form, "task": task},
    )


@login_required
@permission_required("events.add_eventtask", raise_exception=True)
def task_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event(request, pk)
    form = TaskForm(request.POST or None, user=request.user, event=event)
    if request.method == "POST" and form.is_valid():
        try:
            task_save(event=event, user=request.user, fields={**form.cleaned_data})
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Task added."))
            return redirect("events:team", pk)
    return _task_page(request, event, form)


@login_required
@permission_required("events.change_eventtask", raise_exception=True)
def task_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_visible_or_404(request.user, visible_tasks(request.user), pk=pk)
    form = TaskForm(request.POST or None, instance=task, user=request.user, event=task.event)
    if request.method == "POST" and form.is_valid():
        try:
            task_save(event=task.event, user=request.user, fields={**form.cleaned_data}, task=task)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Task saved."))
            return redirect("events:team", task.event_id)
    return _task_page(request, task.event, form, task)


@login_required
@require_POST
@permission_required("events.change_eventtask", raise_exception=True)
def task_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_visible_or_404(request.user, visible_tasks(request.user), pk=pk)
    try:
        task_set_status(task=task, user=request.user, status=request.POST.get("status", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Task updated."))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}):
        return redirect(back)
    return redirect("events:team", task.event_id)


@login_required
@require_POST
@permission_required("events.delete_eventtask", raise_exception=True)
def task_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_visible_or_404(request.user, visible_tasks(request.user), pk=pk)
    event_pk = task.event_id
    task_delete(task=task, user=request.user)
    messages.success(request, _("Task deleted."))
    return redirect("events:team", event_pk)


@login_required
@permission_required("events.view_eventtask", raise_exception=True)
def my_tasks_view(request: HttpRequest) -> HttpResponse:
    include_done = request.GET.get("done") == "1"
    today = timezone.localdate()
    page = Paginator(my_tasks(request.user, include_done=include_done), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "events/event_my_tasks.html",
        {
            "page": page,
            "rows": [(t, is_overdue(t, today)) for t in page],
            "include_done": include_done,
            "statuses": TaskStatus.choices,
            "today": today,
        },
    )
