"""In Chromium at 390×844: a member of staff types the care programme's example budget
into the plan page line by line and submits it; their manager approves it. The page says
¥46,200.00, nothing overflows the phone's width, and the database records the approval."""

from decimal import Decimal

import pytest

from budgets.models import BudgetPlan, PlanStatus
from budgets.selectors.plans import plan_is_approved
from budgets.tests.factories import AnnualBudgetFactory, BudgetPlanFactory
from carecrm.core.testing import fits_the_screen, staff_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINES = [
    ("venue", "宴会厅场地", None, None, "8000"),
    ("materials", "物料印刷", None, None, "5000"),
    ("gifts", "客户礼品", None, None, "12000"),
    ("personnel", "主持与摄影", None, None, "3000"),
    ("catering", "自助晚餐", "200", "50", None),
    ("catering", "茶歇", None, None, "2000"),
    ("promotion", "推广", None, None, "2000"),
]


def test_staff_adds_lines_and_a_manager_approves_on_a_phone(
    live_server, browser, staff_a, manager_a, department_a
):
    AnnualBudgetFactory(department=department_a, allocated=Decimal("500000.00"))
    plan = BudgetPlanFactory(department=department_a, created_by=staff_a, title="客户答谢会")
    path = f"/budgets/plans/{plan.pk}/"

    page, problems = staff_page(browser, live_server, staff_a, path)
    page.wait_for_selector("#line-add-form")
    assert fits_the_screen(page)
    for category, description, unit_price, quantity, lump_sum in LINES:
        page.select_option("#id_new-category", category)
        page.fill("#id_new-description", description)
        if lump_sum:
            page.fill("#id_new-lump_sum", lump_sum)
        else:
            page.fill("#id_new-unit_price", unit_price)
            page.fill("#id_new-quantity", quantity)
        page.click("#line-add-submit")
        page.wait_for_selector(f'#plan-lines td:text-is("{description}")')
    # a wrong line is refused with its reason, and what was typed stays
    page.select_option("#id_new-category", "other")
    page.fill("#id_new-description", "交通")
    page.fill("#id_new-unit_price", "30")
    page.click("#line-add-submit")
    page.wait_for_selector("text=Give the quantity for this unit price.")
    assert page.input_value("#id_new-description") == "交通"

    assert page.text_content("#row-total [data-total]").strip() == "¥46,200.00"
    assert page.text_content("#row-contingency [data-contingency]").strip() == "¥4,200.00"
    assert fits_the_screen(page)
    page.click("#submit-plan")
    page.wait_for_selector('#approval-state:has-text("Awaiting")')
    assert BudgetPlan.objects.get(pk=plan.pk).status == PlanStatus.SUBMITTED
    assert problems == []
    page.context.close()

    page, problems = staff_page(browser, live_server, manager_a, path)
    page.wait_for_selector("#approve-form")
    assert fits_the_screen(page)
    page.fill("#id_approve-comment", "同意")
    page.click("#approve-plan")
    page.wait_for_selector(".alert-success")
    assert "Approved by" in page.text_content("#approval-state")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.total == Decimal("46200.00")
    assert plan_is_approved(plan)
    assert fits_the_screen(page)
    assert problems == []
