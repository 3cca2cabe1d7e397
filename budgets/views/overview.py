"""The budgets overview (a year of one department, or every visible one), the annual
budgets and the budget rules."""

import json
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from budgets.forms import AnnualBudgetForm, PlanCreateForm, SettingsForm
from budgets.models import AnnualBudget
from budgets.selectors.overview import (
    monthly_spend,
    plan_years,
    visible_annual_budgets,
    visible_plans,
    year_figures,
)
from budgets.selectors.plans import budget_settings
from budgets.services.annual import annual_budget_save, budget_settings_update
from budgets.views.plans import owner_link
from carecrm.accounts.models import Department
from carecrm.core.forms import add_service_errors
from carecrm.core.scoping import department_choices_for, get_visible_or_404


def _year(request) -> int:
    value = request.GET.get("year", "")
    if value.isdigit() and 2000 <= int(value) <= 2100:
        return int(value)
    return timezone.localdate().year


def _department(request):
    """Admins pick any department (or all); everyone else sees their own."""
    user = request.user
    if not user.is_admin_role:
        return user.department
    value = request.GET.get("department", "")
    return Department.objects.filter(pk=value).first() if value.isdigit() else None


@login_required
@permission_required("budgets.view_budgetplan", raise_exception=True)
def budget_overview(request):
    year = _year(request)
    department = _department(request)
    department_id = department.pk if department else None
    figures = year_figures(request.user, year, department_id)
    months = monthly_spend(request.user, year, department_id)
    running, cumulative = Decimal("0"), []
    for amount in months:
        running += amount
        cumulative.append(str(running))
    chart = {
        "months": [f"{year}-{m:02d}" for m in range(1, 13)],
        "spent": [str(m) for m in months],
        "cumulative": cumulative,
        "allocated": str(figures.allocated) if figures.allocated is not None else None,
        "committed": str(figures.committed),
        "labels": {
            "spent": _("Spent in the month"),
            "cumulative": _("Spent so far"),
            "allocated": _("Allocated"),
            "committed": _("Committed"),
        },
    }
    plans = list(visible_plans(request.user, year=year, department_id=department_id)[:300])
    for plan in plans:
        plan.owner = owner_link(plan)
    years = sorted({*plan_years(request.user), year, timezone.localdate().year}, reverse=True)
    create_form = PlanCreateForm(
        prefix="plan",
        initial={"year": year, "department": department_id or request.user.department_id},
    )
    create_form.fields["department"].queryset = department_choices_for(
        request.user, Department.objects.all()
    )
    return render(
        request,
        "budgets/overview.html",
        {
            "year": year,
            "years": years,
            "department": department,
            "departments": Department.objects.order_by("name")
            if request.user.is_admin_role
            else None,
            "figures": figures,
            "chart_json": json.dumps(chart),
            "plans": plans,
            "create_form": create_form,
        },
    )


@login_required
@permission_required("budgets.view_annualbudget", raise_exception=True)
def annual_list(request):
    year = request.GET.get("year", "")
    budgets = visible_annual_budgets(request.user, int(year) if year.isdigit() else None)
    form = None
    if request.user.is_admin_role:
        form = AnnualBudgetForm(
            request.POST or None, initial={"year": timezone.localdate().year}, prefix="annual"
        )
        if request.method == "POST" and form.is_valid():
            try:
                annual_budget_save(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The annual budget is saved."))
                return redirect("budgets:annual")
    elif request.method == "POST":
        raise PermissionDenied(_("Only an administrator can change annual budgets."))
    return render(
        request,
        "budgets/annual_list.html",
        {"budgets": budgets[:500], "form": form},
    )


@login_required
def annual_edit(request, pk):
    if not request.user.is_admin_role:
        raise PermissionDenied(_("Only an administrator can change annual budgets."))
    budget = get_visible_or_404(
        request.user, AnnualBudget.objects.select_related("department"), pk=pk
    )
    initial = {
        "year": budget.year,
        "department": budget.department,
        "allocated": budget.allocated,
        "notes": budget.notes,
    }
    form = AnnualBudgetForm(request.POST or None, initial=initial, prefix="annual")
    if request.method == "POST" and form.is_valid():
        try:
            annual_budget_save(user=request.user, budget=budget, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The annual budget is saved."))
            return redirect("budgets:annual")
    return render(
        request,
        "budgets/annual_form.html",
        {"budget": budget, "form": form},
    )


@login_required
def budget_settings_view(request):
    if not request.user.is_admin_role:
        raise PermissionDenied(_("Only an administrator can change the budget rules."))
    current = budget_settings()
    initial = {
        "contingency_min": current.contingency_min,
        "contingency_default": current.contingency_default,
        "contingency_max": current.contingency_max,
        "event_share_cap": current.event_share_cap,
        "receipt_max_mb": (Decimal(current.receipt_max_bytes) / (1024 * 1024)).quantize(
            Decimal("0.1")
        ),
    }
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        values["receipt_max_bytes"] = int(values.pop("receipt_max_mb") * 1024 * 1024)
        try:
            budget_settings_update(user=request.user, values=values)
        except ValidationError as error:
            if hasattr(error, "error_dict") and "receipt_max_bytes" in error.error_dict:
                error = ValidationError({"receipt_max_mb": error.error_dict["receipt_max_bytes"]})
            add_service_errors(form, error)
        else:
            messages.success(request, _("The budget rules are saved."))
            return redirect("budgets:settings")
    return render(
        request,
        "budgets/settings.html",
        {"form": form, "settings": current},
    )
