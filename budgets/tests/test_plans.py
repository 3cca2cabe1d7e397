"""The plan's arithmetic, the share cap and the approval flow with its reopen-with-diff."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from budgets.models import LineCategory, PlanReview, PlanStatus, ReviewAction
from budgets.selectors.overview import plan_lines, year_figures
from budgets.selectors.plans import plan_cap_check, plan_figures, plan_is_approved
from budgets.services import plans as services
from budgets.tests.factories import AnnualBudgetFactory, BudgetPlanFactory, ExpenseFactory
from carecrm.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_care_programme_example_totals_46200(example_plan):
    plan = example_plan
    assert plan.subtotal == Decimal("42000.00")
    assert plan.contingency == Decimal("4200.00")
    assert plan.total == Decimal("46200.00")
    catering = plan.lines.get(description="自助晚餐")
    assert catering.amount == Decimal("10000.00")
    assert plan_figures(plan).total == Decimal("46200.00")


def test_contingency_must_lie_in_the_admin_range(example_plan, staff_a):
    with pytest.raises(ValidationError) as error:
        services.plan_set_contingency(plan=example_plan, user=staff_a, percent=Decimal("16"))
    assert "between 10.00 % and 15.00 %" in str(error.value)
    plan = services.plan_set_contingency(plan=example_plan, user=staff_a, percent=Decimal("15"))
    assert (plan.contingency, plan.total) == (Decimal("6300.00"), Decimal("48300.00"))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"unit_price": "10"}, "quantity"),
        ({"quantity": "3"}, "unit_price"),
        ({}, "lump_sum"),
        ({"unit_price": "1", "quantity": "1", "lump_sum": "5"}, "lump_sum"),
        ({"lump_sum": "-5"}, "lump_sum"),
        ({"lump_sum": "1.005"}, "lump_sum"),
    ],
)
def test_a_line_is_unit_price_times_quantity_or_a_lump_sum(example_plan, staff_a, data, field):
    with pytest.raises(ValidationError) as error:
        services.line_add(
            plan=example_plan,
            user=staff_a,
            data={"category": LineCategory.OTHER, "description": "x", **data},
        )
    assert field in error.value.message_dict


def test_over_the_share_cap_needs_the_admin_step(department_a, staff_a, manager_a, admin_user):
    AnnualBudgetFactory(department=department_a, allocated=Decimal("200000.00"))
    plan = BudgetPlanFactory(department=department_a, created_by=staff_a)
    services.line_add(
        plan=plan,
        user=staff_a,
        data={"category": "venue", "description": "场地", "lump_sum": "40000"},
    )
    plan.refresh_from_db()
    check = plan_cap_check(plan)
    assert check.share == Decimal("22.00") and check.over_cap and not check.over_cap_approved
    services.plan_submit(plan=plan, user=staff_a)
    with pytest.raises(PermissionDenied):  # only an admin may tick the over-cap approval
        services.plan_approve(plan=plan, user=manager_a, approve_over_cap=True)
    services.plan_approve(plan=plan, user=manager_a)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    assert not plan_is_approved(plan)
    assert plan.over_cap_approved_at is None
    with pytest.raises(PermissionDenied):
        services.plan_approve_over_cap(plan=plan, user=manager_a)
    services.plan_approve_over_cap(plan=plan, user=admin_user, comment="年度重点活动")
    plan.refresh_from_db()
    assert plan_is_approved(plan)
    assert plan.over_cap_approved_total == Decimal("44000.00")


def test_an_admin_approves_both_steps_at_once_only_explicitly(department_a, staff_a, admin_user):
    AnnualBudgetFactory(department=department_a, allocated=Decimal("100000.00"))
    plan = BudgetPlanFactory(department=department_a, created_by=staff_a)
    services.line_add(
        plan=plan,
        user=staff_a,
        data={"category": "gifts", "description": "礼品", "lump_sum": "30000"},
    )
    services.plan_submit(plan=plan, user=staff_a)
    services.plan_approve(plan=plan, user=admin_user)
    plan.refresh_from_db()
    assert not plan_is_approved(plan)
    services.plan_return(plan=plan, user=admin_user, comment="重新确认")
    services.plan_submit(plan=plan, user=staff_a)
    services.plan_approve(plan=plan, user=admin_user, approve_over_cap=True)
    plan.refresh_from_db()
    assert plan_is_approved(plan)
    actions = list(plan.reviews.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == [ReviewAction.APPROVED, ReviewAction.OVER_CAP_APPROVED]


def test_approval_then_a_change_reopens_with_a_diff(example_plan, staff_a, manager_a):
    plan = example_plan
    with pytest.raises(ValidationError):
        services.plan_approve(plan=plan, user=manager_a)  # a draft is not awaiting approval
    services.plan_submit(plan=plan, user=staff_a)
    services.plan_approve(plan=plan, user=manager_a, comment="同意")
    plan.refresh_from_db()
    assert plan_is_approved(plan)
    assert len(plan.approved_snapshot["lines"]) == 7

    gifts = plan.lines.get(category="gifts")
    services.line_update(
        line=gifts,
        user=staff_a,
        data={"category": "gifts", "description": "客户礼品", "lump_sum": Decimal("15000")},
    )
    services.line_add(
        plan=plan,
        user=staff_a,
        data={"category": "other", "description": "交通", "lump_sum": "500"},
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and not plan_is_approved(plan)
    reopened = PlanReview.objects.filter(plan=plan, action=ReviewAction.REOPENED).order_by("id")
    assert reopened.count() == 1  # the second change found it a draft already
    assert reopened[0].diff == [
        {
            "change": "changed",
            "line_id": gifts.pk,
            "category": "gifts",
            "description": "客户礼品",
            "before": "12000.00",
            "after": "15000.00",
        }
    ]
    services.plan_submit(plan=plan, user=staff_a)
    from budgets.selectors.plans import plan_diff

    changes = {(row["change"], row["after"]) for row in plan_diff(plan)}
    assert changes == {("changed", "15000.00"), ("added", "500.00")}
    services.plan_approve(plan=plan, user=manager_a)
    approval = plan.reviews.filter(action=ReviewAction.APPROVED).order_by("-id").first()
    assert len(approval.diff) == 2


def test_authors_and_other_departments_cannot_approve(example_plan, staff_a, department_b):
    services.plan_submit(plan=example_plan, user=staff_a)
    author_manager = UserFactory(role="manager", department=example_plan.department)
    own = BudgetPlanFactory(department=example_plan.department, created_by=author_manager)
    services.line_add(
        plan=own,
        user=author_manager,
        data={"category": "other", "description": "x", "lump_sum": "1"},
    )
    services.plan_submit(plan=own, user=author_manager)
    with pytest.raises(PermissionDenied):
        services.plan_approve(plan=own, user=author_manager)
    stranger = UserFactory(role="manager", department=department_b)
    with pytest.raises(PermissionDenied):
        services.plan_approve(plan=example_plan, user=stranger)
    with pytest.raises(PermissionDenied):
        services.plan_approve(plan=example_plan, user=staff_a)


def test_variance_per_line_and_in_total(example_plan, staff_a):
    venue = example_plan.lines.get(category="venue")
    ExpenseFactory(line=venue, amount=Decimal("7600.00"))
    ExpenseFactory(line=venue, amount=Decimal("900.00"))
    rows = {line.description: line for line in plan_lines(example_plan)}
    assert rows["宴会厅场地"].spent == Decimal("8500.00")
    assert rows["宴会厅场地"].variance == Decimal("-500.00")
    assert rows["物料印刷"].variance == Decimal("5000.00")
    figures = plan_figures(example_plan)
    assert (figures.spent, figures.remaining) == (Decimal("8500.00"), Decimal("37700.00"))


def test_year_figures_committed_spent_remaining(example_plan, staff_a, department_a):
    figures = year_figures(staff_a, example_plan.year, department_a.pk)
    assert figures.committed == Decimal("0.00")  # a draft commits nothing
    services.plan_submit(plan=example_plan, user=staff_a)
    ExpenseFactory(line=example_plan.lines.first(), amount=Decimal("1000.00"))
    figures = year_figures(staff_a, example_plan.year, department_a.pk)
    assert figures.allocated == Decimal("500000.00")
    assert figures.committed == Decimal("46200.00")
    assert figures.spent == Decimal("1000.00")
    assert figures.remaining == Decimal("453800.00")
