"""What a department's year looks like, and a plan's lines with what was spent on each:
each one aggregate query, in the user's scope."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from budgets.models import AnnualBudget, BudgetLine, BudgetPlan, Expense, PlanStatus
from carecrm.core.scoping import visible_to
from carecrm.money import yuan

ZERO = Decimal("0.00")
MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)
COMMITTED_STATUSES = (PlanStatus.SUBMITTED, PlanStatus.APPROVED)


def _spent_subquery(**outer):
    return Coalesce(
        Subquery(
            Expense.objects.filter(**outer)
            .order_by()
            .values(*outer)
            .annotate(s=Sum("amount"))
            .values("s")[:1],
            output_field=MONEY_FIELD,
        ),
        Value(ZERO),
        output_field=MONEY_FIELD,
    )


def plan_lines(plan: BudgetPlan):
    """The plan's lines, each with ``spent`` (its expenses) and ``variance`` (amount −
    spent; negative: overspent)."""
    return (
        BudgetLine.objects.filter(plan=plan)
        .annotate(spent=Coalesce(Sum("expenses__amount"), Value(ZERO), output_field=MONEY_FIELD))
        .annotate(variance=F("amount") - F("spent"))
        .order_by("position", "id")
    )


@dataclass(frozen=True)
class LineTotals:
    amount: Decimal  # subtotal of the lines
    spent: Decimal
    variance: Decimal  # plan total (with contingency) − spent


def plan_line_totals(plan: BudgetPlan, lines) -> LineTotals:
    spent = yuan(sum((line.spent for line in lines), ZERO))
    return LineTotals(plan.subtotal, spent, yuan(plan.total - spent))


def visible_plans(user, *, year: int | None = None, department_id: int | None = None):
    """Plans in the user's scope with ``spent`` and ``variance`` (total − spent)."""
    plans = visible_to(user, BudgetPlan.objects.select_related("department"))
    if year:
        plans = plans.filter(year=year)
    if department_id:
        plans = plans.filter(department_id=department_id)
    return plans.annotate(spent=_spent_subquery(plan=OuterRef("pk"))).annotate(
        variance=F("total") - F("spent")
    )


@dataclass(frozen=True)
class YearFigures:
    """One department's year (or every visible department's, added up).

    ``committed``: the totals of plans submitted or approved; ``spent``: expenses booked
    in the year's plans; ``remaining``: allocated − the larger of committed and spent,
    so money promised and money already paid out are not counted twice."""

    allocated: Decimal | None
    committed: Decimal
    spent: Decimal
    remaining: Decimal | None
    plans: int


def year_figures(user, year: int, department_id: int | None = None) -> YearFigures:
    plans = visible_to(user, BudgetPlan.objects.filter(year=year))
    annual = visible_to(user, AnnualBudget.objects.filter(year=year))
    expenses = visible_to(user, Expense.objects.filter(plan__year=year))
    if department_id:
        plans = plans.filter(department_id=department_id)
        annual = annual.filter(department_id=department_id)
        expenses = expenses.filter(plan__department_id=department_id)
    sums = plans.aggregate(
        committed=Coalesce(
            Sum("total", filter=Q(status__in=COMMITTED_STATUSES)),
            Value(ZERO),
            output_field=MONEY_FIELD,
        ),
    )
    allocated = annual.aggregate(a=Sum("allocated"))["a"]
    spent = yuan(expenses.aggregate(s=Coalesce(Sum("amount"), ZERO))["s"])
    committed = yuan(sums["committed"])
    allocated = None if allocated is None else yuan(allocated)
    remaining = None if allocated is None else yuan(allocated - max(committed, spent))
    return YearFigures(allocated, committed, spent, remaining, plans.count())


def monthly_spend(user, year: int, department_id: int | None = None) -> list[Decimal]:
    """Spent per month of the year (12 amounts), and their running total is the chart's
    second series."""
    expenses = visible_to(
        user,
        Expense.objects.filter(
            spent_on__gte=dt.date(year, 1, 1), spent_on__lt=dt.date(year + 1, 1, 1)
        ),
    ).filter(plan__year=year)
    if department_id:
        expenses = expenses.filter(plan__department_id=department_id)
    months = [ZERO] * 12
    rows = (
        expenses.annotate(month=TruncMonth("spent_on"))
        .order_by()
        .values("month")
        .annotate(s=Sum("amount"))
    )
    for row in rows:
        months[row["month"].month - 1] = yuan(row["s"])
    return months


def visible_annual_budgets(user, year: int | None = None):
    budgets = visible_to(user, AnnualBudget.objects.select_related("department"))
    return budgets.filter(year=year) if year else budgets


def plan_years(user) -> list[int]:
    years = set(visible_to(user, BudgetPlan.objects.all()).values_list("year", flat=True))
    years |= set(visible_to(user, AnnualBudget.objects.all()).values_list("year", flat=True))
    return sorted(years, reverse=True)


def plans_awaiting_approval(user):
    """Submitted plans this user may approve: their department's (any, for admins), never
    their own."""
    if not user.has_perm("budgets.approve_budgetplan"):
        return BudgetPlan.objects.none()
    plans = visible_to(user, BudgetPlan.objects.filter(status=PlanStatus.SUBMITTED))
    if not user.is_admin_role:
        plans = plans.filter(department_id=user.department_id).exclude(created_by=user)
    return plans
