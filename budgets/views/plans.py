"""The plan page: its budget table with what was spent, the approval panel and the
expenses. Each form posts to its own URL; a refusal re-renders the page with the form as
typed, a success redirects back to it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from budgets.forms import (
    ApproveForm,
    ContingencyForm,
    ExpenseForm,
    LineForm,
    OverCapForm,
    PlanCreateForm,
    ReturnForm,
    SubmitForm,
)
from budgets.models import BudgetLine, BudgetPlan, Expense
from budgets.registry import owner_kinds
from budgets.selectors.overview import plan_line_totals, plan_lines
from budgets.selectors.plans import budget_settings, plan_cap_check, plan_diff, plan_is_approved
from budgets.services import expenses as expense_services
from budgets.services import plans as plan_services
from carecrm.core.forms import add_service_errors
from carecrm.core.scoping import department_choices_for, get_visible_or_404

VIEW = "budgets.view_budgetplan"


def _plan(request, pk) -> BudgetPlan:
    return get_visible_or_404(
        request.user,
        BudgetPlan.objects.select_related("department", "created_by", "approved_by"),
        pk=pk,
    )


def owner_link(plan: BudgetPlan) -> dict | None:
    kind = owner_kinds.get(plan.owner_kind)
    if kind is None or plan.owner_id is None:
        return None
    try:
        url = kind.url(plan.owner_id)
    except Exception:  # an owner whose page cannot be named still leaves the plan usable
        url = ""
    return {"label": kind.label, "url": url}


def can_edit(user, plan: BudgetPlan) -> bool:
    return user.has_perm("budgets.change_budgetplan")


def can_approve(user, plan: BudgetPlan) -> bool:
    return (
        user.has_perm("budgets.approve_budgetplan")
        and (user.is_admin_role or plan.department_id == user.department_id)
        and (user.is_admin_role or plan.created_by_id != user.pk)
    )


def plan_context(request, plan: BudgetPlan, **forms) -> dict:
    user = request.user
    lines = list(plan_lines(plan))
    edit_id = forms.pop("edit_line_id", None) or request.GET.get("edit")
    edit_form = forms.pop("edit_form", None)
    editing = None
    if str(edit_id or "").isdigit():
        editing = next((line for line in lines if line.pk == int(edit_id)), None)
        if editing is not None and edit_form is None:
            edit_form = LineForm.for_line(editing)
    check = plan_cap_check(plan)
    expenses = list(plan.expenses.select_related("line").order_by("-spent_on", "-id"))
    context = {
        "plan": plan,
        "lines": lines,
        "totals": plan_line_totals(plan, lines),
        "check": check,
        "fully_approved": plan_is_approved(plan),
        "owner": owner_link(plan),
        "settings": budget_settings(),
        "editable": can_edit(user, plan),
        "can_approve": can_approve(user, plan),
        "can_over_cap": user.has_perm("budgets.approve_over_cap_budgetplan"),
        "can_book": user.has_perm("budgets.add_expense"),
        "can_delete_expense": user.has_perm("budgets.delete_expense"),
        "reviews": plan.reviews.select_related("actor").order_by("-at", "-id"),
        "diff": plan_diff(plan),
        "expenses": expenses,
        "editing": editing,
        "edit_form": edit_form,
        "line_form": forms.pop("line_form", None) or LineForm(prefix="new"),
        "contingency_form": forms.pop("contingency_form", None)
        or ContingencyForm(initial={"contingency_percent": plan.contingency_percent}),
        "approve_form": forms.pop("approve_form", None) or ApproveForm(prefix="approve"),
        "return_form": forms.pop("return_form", None) or ReturnForm(prefix="return"),
        "submit_form": forms.pop("submit_form", None) or SubmitForm(prefix="submit"),
        "over_cap_form": forms.pop("over_cap_form", None) or OverCapForm(prefix="overcap"),
        "expense_form": forms.pop("expense_form", None) or ExpenseForm(plan=plan, prefix="expense"),
        **forms,
    }
    return context


def _page(request, plan, status=200, **forms) -> HttpResponse:
    return render(
        request, "budgets/plan_detail.html", plan_context(request, plan, **forms), status=status
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _plan(request, pk))


def _plan_url(plan, anchor: str = "") -> str:
    return reverse("budgets:plan", args=[plan.pk]) + anchor


@login_required
@require_POST
@permission_required("budgets.change_budgetplan", raise_exception=True)
def line_add(request, pk):
    plan = _plan(request, pk)
    form = LineForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            plan_services.line_add(plan=plan, user=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The line is added."))
            return redirect(_plan_url(plan, "#budget-table"))
    return _page(request, plan, line_form=form)


def _line(request, pk) -> BudgetLine:
    return get_visible_or_404(request.user, BudgetLine.objects.select_related("plan"), pk=pk)


@login_required
@require_POST
@permission_required("budgets.change_budgetplan", raise_exception=True)
def line_edit(request, pk):
    line = _line(request, pk)
    plan = line.plan
    form = LineForm(request.POST, prefix=f"line{line.pk}")
    if form.is_valid():
        try:
            plan_services.line_update(line=line, user=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The line is saved."))
            return redirect(_plan_url(plan, "#budget-table"))
    return _page(request, plan, edit_form=form, edit_line_id=str(line.pk))


@login_required
@require_POST
@permission_required("budgets.change_budgetplan", raise_exception=True)
def line_delete(request, pk):
    line = _line(request, pk)
    plan = line.plan
    try:
        plan_services.line_delete(line=line, user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The line is deleted."))
    return redirect(_plan_url(plan, "#budget-table"))


@login_required
@require_POST
@permission_required("budgets.change_budgetplan", raise_exception=True)
def line_move(request, pk):
    line = _line(request, pk)
    plan_services.line_move(
        line=line, user=request.user, direction=-1 if request.POST.get("direction") == "up" else 1
    )
    return redirect(_plan_url(line.plan, "#budget-table"))


@login_required
@require_POST
@permission_required("budgets.change_budgetplan", raise_exception=True)
def plan_contingency(request, pk):
    plan = _plan(request, pk)
    form = ContingencyForm(request.POST)
    if form.is_valid():
        try:
            plan_services.plan_set_contingency(
                plan=plan, user=request.user, percent=form.cleaned_data["contingency_percent"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The contingency is saved."))
            return redirect(_plan_url(plan, "#budget-table"))
    return _page(request, plan, contingency_form=form)


def _workflow(request, pk, prefix: str, form_class, run, done: str, form_key: str):
    plan = _plan(request, pk)
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            run(plan, form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
            return _page(request, plan, status=403, **{form_key: form})
        else:
            messages.success(request, done)
            return redirect(_plan_url(plan, "#approval"))
    return _page(request, plan, **{form_key: form})


@login_required
@require_POST
@permission_required("budgets.change_budgetplan", raise_exception=True)
def plan_submit(request, pk):
    return _workflow(
        request,
        pk,
        "submit",
        SubmitForm,
        lambda plan, data: plan_services.plan_submit(
            plan=plan, user=request.user, comment=data["comment"]
        ),
        _("The budget is submitted for approval."),
        "submit_form",
    )


@login_required
@require_POST
@permission_required("budgets.approve_budgetplan", raise_exception=True)
def plan_approve(request, pk):
    return _workflow(
        request,
        pk,
        "approve",
        ApproveForm,
        lambda plan, data: plan_services.plan_approve(
            plan=plan,
            user=request.user,
            comment=data["comment"],
            approve_over_cap=data["approve_over_cap"],
        ),
        _("The budget is approved."),
        "approve_form",
    )


@login_required
@require_POST
@permission_required("budgets.approve_budgetplan", raise_exception=True)
def plan_return(request, pk):
    return _workflow(
        request,
        pk,
        "return",
        ReturnForm,
        lambda plan, data: plan_services.plan_return(
            plan=plan, user=request.user, comment=data["comment"]
        ),
        _("The budget is returned to its author."),
        "return_form",
    )


@login_required
@require_POST
@permission_required("budgets.approve_over_cap_budgetplan", raise_exception=True)
def plan_over_cap(request, pk):
    return _workflow(
        request,
        pk,
        "overcap",
        OverCapForm,
        lambda plan, data: plan_services.plan_approve_over_cap(
            plan=plan, user=request.user, comment=data["comment"]
        ),
        _("The budget is approved above the share cap."),
        "over_cap_form",
    )


@login_required
@require_POST
@permission_required("budgets.add_budgetplan", raise_exception=True)
def plan_create(request):
    form = PlanCreateForm(request.POST, prefix="plan")
    form.fields["department"].queryset = department_choices_for(
        request.user, form.fields["department"].queryset
    )
    if form.is_valid():
        try:
            plan = plan_services.plan_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The budget plan is created; add its lines."))
            return redirect(_plan_url(plan))
    for field, errors in form.errors.items():
        for error in errors:
            messages.error(
                request, f"{form.fields[field].label}: {error}" if field in form.fields else error
            )
    return redirect("budgets:overview")


# --- expenses ---------------------------------------------------------------------------


@login_required
@require_POST
@permission_required("budgets.add_expense", raise_exception=True)
def expense_add(request, pk):
    plan = _plan(request, pk)
    form = ExpenseForm(request.POST, request.FILES, plan=plan, prefix="expense")
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "receipt"}
        try:
            expense_services.expense_add(
                plan=plan,
                user=request.user,
                data=data,
                receipt=form.cleaned_data.get("receipt") or None,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The expense is booked."))
            return redirect(_plan_url(plan, "#expenses"))
    return _page(request, plan, expense_form=form)


def _expense(request, pk) -> Expense:
    return get_visible_or_404(request.user, Expense.objects.select_related("plan", "line"), pk=pk)


@login_required
@permission_required("budgets.change_expense", raise_exception=True)
def expense_edit(request, pk):
    expense = _expense(request, pk)
    plan = expense.plan
    initial = {
        "line": expense.line,
        "amount": expense.amount,
        "spent_on": expense.spent_on,
        "payee": expense.payee,
        "description": expense.description,
    }
    if request.method == "POST":
        form = ExpenseForm(request.POST, request.FILES, plan=plan, prefix="edit", initial=initial)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "receipt"}
            try:
                expense_services.expense_update(
                    expense=expense,
                    user=request.user,
                    data=data,
                    receipt=form.cleaned_data.get("receipt") or None,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The expense is saved."))
                return redirect(_plan_url(plan, "#expenses"))
    else:
        form = ExpenseForm(plan=plan, prefix="edit", initial=initial)
    return render(
        request,
        "budgets/expense_form.html",
        {"plan": plan, "expense": expense, "form": form},
    )


@login_required
@require_POST
@permission_required("budgets.delete_expense", raise_exception=True)
def expense_delete(request, pk):
    expense = _expense(request, pk)
    plan = expense.plan
    expense_services.expense_delete(expense=expense, user=request.user)
    messages.success(request, _("The expense is deleted."))
    return redirect(_plan_url(plan, "#expenses"))


@login_required
@permission_required(VIEW, raise_exception=True)
def expense_receipt(request, pk):
    """The receipt, to those who may see the plan, as a download (never shown inline, so
    a crafted file cannot run in our origin)."""
    expense = _expense(request, pk)
    if not expense.receipt:
        raise Http404(_("This expense has no receipt."))
    try:
        handle = expense.receipt.open("rb")
    except FileNotFoundError:
        raise Http404(_("The receipt file is missing.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=expense.receipt_name or expense.receipt.name.rsplit("/", 1)[-1],
        content_type=expense.receipt_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
