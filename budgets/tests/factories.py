from decimal import Decimal

import factory
from django.utils import timezone

from budgets.models import AnnualBudget, BudgetLine, BudgetPlan, Expense, LineCategory
from carecrm.accounts.tests.factories import DepartmentFactory


class AnnualBudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnnualBudget

    year = factory.LazyFunction(lambda: timezone.localdate().year)
    department = factory.SubFactory(DepartmentFactory)
    allocated = Decimal("500000.00")


class BudgetPlanFactory(factory.django.DjangoModelFactory):
    """A draft plan without owner; lines are added with ``BudgetLineFactory`` and the
    totals recomputed with ``budgets.services.plans.plan_recalculate``."""

    class Meta:
        model = BudgetPlan

    title = factory.Sequence(lambda n: f"活动预算 {n}")
    department = factory.SubFactory(DepartmentFactory)
    year = factory.LazyFunction(lambda: timezone.localdate().year)


class BudgetLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetLine

    plan = factory.SubFactory(BudgetPlanFactory)
    category = LineCategory.VENUE
    description = "宴会厅场地及设备"
    amount = Decimal("8000.00")


class ExpenseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Expense

    line = factory.SubFactory(BudgetLineFactory)
    plan = factory.SelfAttribute("line.plan")
    amount = Decimal("7600.00")
    spent_on = factory.LazyFunction(timezone.localdate)
    payee = "上海某酒店管理有限公司"
