"""My care tasks: phone calls and visits from campaigns; completing one logs it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.forms import TaskCancelForm, TaskCompleteForm
from campaigns.models import CareTask, TaskOutcome, TaskStatus
from campaigns.selectors.campaigns import TASK_ORDER, visible_tasks
from campaigns.services.care_tasks import care_task_cancel, care_task_complete
from carecrm.core.audit import audit_record, audit_record_many
from carecrm.core.counts import paginated_list
from carecrm.core.forms import add_service_errors
from carecrm.core.models import AuditAction
from carecrm.core.scoping import get_visible_or_404
from customers.privacy import customer_contact_view


@login_required
@permission_required("campaigns.view_caretask", raise_exception=True)
def task_list_view(request: HttpRequest) -> HttpResponse:
    """Tasks assigned to me by default; managers may look at the whole department."""
    scope = request.GET.get("scope", "mine")
    status = request.GET.get("status", TaskStatus.OPEN)
    tasks = visible_tasks(request.user)
    if scope != "all":
        tasks = tasks.filter(assigned_to=request.user)
    if status in TaskStatus.values:
        tasks = tasks.filter(status=status)
    page, count = paginated_list(request, tasks, key=TASK_ORDER, descending=False, size=50)
    rows = [
        {"task": task, "contact": customer_contact_view(task.customer, request.user)}
        for task in page.rows
    ]
    if rows and not rows[0]["contact"]["masked"]:
        audit_record_many(
            actor=request.user,
            action=AuditAction.VIEW,
            customer_ids=[row["task"].customer_id for row in rows],
            detail={"page": "care_tasks"},
            request=request,
        )
    return render(
        request,
        "campaigns/task_list.html",
        {
            "page": page,
            "count": count,
            "rows": rows,
            "scope": scope,
            "status": status,
            "statuses": TaskStatus.choices,
            "outcomes": TaskOutcome.choices,
            # shown on the phone's "Filters" button, whose form is folded away
            "active_filters": (scope == "all") + (status != TaskStatus.OPEN),
            "today": timezone.localdate(),
        },
    )


@login_required
@permission_required("campaigns.change_caretask", raise_exception=True)
def task_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_visible_or_404(
        request.user,
        CareTask.objects.select_related("customer", "campaign", "assigned_to", "interaction"),
        pk=pk,
    )
    action = request.POST.get("action") if request.method == "POST" else None
    # An outcome button on the task list opens the form with that outcome chosen.
    chosen = request.GET.get("outcome")
    complete_form = TaskCompleteForm(
        request.POST if action == "complete" else None,
        initial={"outcome": chosen} if chosen in TaskOutcome.values else None,
    )
    cancel_form = TaskCancelForm(request.POST if action == "cancel" else None)
    try:
        if action == "complete" and complete_form.is_valid():
            care_task_complete(
                task=task, user=request.user, request=request, **complete_form.cleaned_data
            )
            messages.success(request, _("Done. The contact is logged on the customer's record."))
            return redirect("campaigns:tasks")
        if action == "cancel" and cancel_form.is_valid():
            care_task_cancel(
                task=task, user=request.user, reason=cancel_form.cleaned_data["reason"]
            )
            messages.info(request, _("Task cancelled."))
            return redirect("campaigns:tasks")
    except ValidationError as error:
        form = complete_form if action == "complete" else cancel_form
        add_service_errors(form, error)
    contact = customer_contact_view(task.customer, request.user)
    if not contact["masked"]:
        audit_record(
            actor=request.user,
            action=AuditAction.VIEW,
            customer_id=task.customer_id,
            obj=task,
            request=request,
        )
    return render(
        request,
        "campaigns/task_detail.html",
        {
            "task": task,
            "contact": contact,
            "complete_form": complete_form,
            "cancel_form": cancel_form,
            "today": timezone.localdate(),
        },
    )
