from decimal import Decimal

import pytest

from budgets.models import LineCategory
from budgets.services.plans import line_add
from budgets.tests.factories import AnnualBudgetFactory, BudgetPlanFactory

# The care programme's example budget: 46,200.00 with a 10 % contingency of 4,200.00.
EXAMPLE_LINES = [
    {"category": LineCategory.VENUE, "description": "宴会厅场地", "lump_sum": Decimal("8000")},
    {"category": LineCategory.MATERIALS, "description": "物料印刷", "lump_sum": Decimal("5000")},
    {"category": LineCategory.GIFTS, "description": "客户礼品", "lump_sum": Decimal("12000")},
    {"category": LineCategory.PERSONNEL, "description": "主持与摄影", "lump_sum": Decimal("3000")},
    {
        "category": LineCategory.CATERING,
        "description": "自助晚餐",
        "unit_price": Decimal("200"),
        "quantity": Decimal("50"),
    },
    {"category": LineCategory.CATERING, "description": "茶歇", "lump_sum": Decimal("2000")},
    {"category": LineCategory.PROMOTION, "description": "推广", "lump_sum": Decimal("2000")},
]


def add_example_lines(plan, user):
    for data in EXAMPLE_LINES:
        line_add(plan=plan, user=user, data=data)
    plan.refresh_from_db()
    return plan


@pytest.fixture
def annual_a(department_a):
    return AnnualBudgetFactory(department=department_a, allocated=Decimal("500000.00"))


@pytest.fixture
def example_plan(department_a, staff_a, annual_a):
    plan = BudgetPlanFactory(department=department_a, created_by=staff_a, title="客户答谢会预算")
    return add_example_lines(plan, staff_a)
