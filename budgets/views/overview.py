from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render

from budgets.models import BudgetPlan
from carecrm.core.scoping import visible_to


@login_required
@permission_required("budgets.view_budgetplan", raise_exception=True)
def budget_overview(request):
    plans = visible_to(request.user, BudgetPlan.objects.select_related("department"))[:200]
    return render(request, "budgets/overview.html", {"plans": plans})
