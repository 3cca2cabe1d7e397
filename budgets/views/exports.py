"""The budget table downloaded as XLSX or PDF, by those who may see the plan."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse

from budgets.models import BudgetPlan
from budgets.services.exports import plan_export_pdf, plan_export_xlsx
from carecrm.core.scoping import get_visible_or_404

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@permission_required("budgets.view_budgetplan", raise_exception=True)
def plan_xlsx(request, pk):
    plan = get_visible_or_404(request.user, BudgetPlan.objects.select_related("department"), pk=pk)
    return _download(plan_export_xlsx(plan), XLSX, f"budget-{plan.pk}.xlsx")


@login_required
@permission_required("budgets.view_budgetplan", raise_exception=True)
def plan_pdf(request, pk):
    plan = get_visible_or_404(request.user, BudgetPlan.objects.select_related("department"), pk=pk)
    return _download(plan_export_pdf(plan), "application/pdf", f"budget-{plan.pk}.pdf")
