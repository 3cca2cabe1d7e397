"""Admins' budget rules and annual budgets (audited), the demo seeder, the owner link from
the registry, reordering, and totals that stay right when two people add lines at once."""

import io
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from budgets.models import AnnualBudget, BudgetPlan, BudgetSettings
from budgets.registry import OwnerKind, owner_kinds, register_owner_kind
from budgets.selectors.plans import budget_settings
from budgets.services.annual import annual_budget_save, budget_settings_update
from budgets.services.plans import (
    line_add,
    line_delete,
    line_move,
    plan_ensure,
    plan_set_contingency,
)
from budgets.tests.factories import BudgetPlanFactory, ExpenseFactory
from carecrm.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_settings_are_for_admins_validated_and_audited(admin_user, staff_a):
    with pytest.raises(PermissionDenied):
        budget_settings_update(user=staff_a, values={"event_share_cap": "30"})
    with pytest.raises(ValidationError) as error:
        budget_settings_update(user=admin_user, values={"contingency_max": "101"})
    assert "contingency_max" in error.value.message_dict
    with pytest.raises(ValidationError):
        budget_settings_update(user=admin_user, values={"contingency_min": "16"})
    budget_settings_update(
        user=admin_user, values={"contingency_max": "20", "event_share_cap": "25"}
    )
    current = budget_settings()
    assert (current.contingency_max, current.event_share_cap) == (Decimal("20"), Decimal("25"))
    entry = AuditEntry.objects.get(object_type="budgets.budgetsettings")
    assert entry.detail["after"]["event_share_cap"] == "25.00"


def test_the_settings_change_the_contingency_range(example_plan, admin_user, staff_a):
    budget_settings_update(user=admin_user, values={"contingency_max": "20"})
    plan = plan_set_contingency(plan=example_plan, user=staff_a, percent=Decimal("12.5"))
    assert (plan.contingency, plan.total) == (Decimal("5250.00"), Decimal("47250.00"))


def test_annual_budgets_are_for_admins_and_audited(admin_user, manager_a, department_a):
    with pytest.raises(PermissionDenied):
        annual_budget_save(user=manager_a, year=2027, department=department_a, allocated="1")
    budget = annual_budget_save(
        user=admin_user, year=2027, department=department_a, allocated="300000"
    )
    with pytest.raises(ValidationError):
        annual_budget_save(user=admin_user, year=2027, department=department_a, allocated="5")
    annual_budget_save(
        user=admin_user, year=2027, department=department_a, allocated="350000", budget=budget
    )
    assert AnnualBudget.objects.get().allocated == Decimal("350000.00")
    changes = AuditEntry.objects.filter(object_type="budgets.annualbudget").order_by("id")
    assert [e.action for e in changes] == ["create", "change"]
    assert changes[1].detail["before"]["allocated"] == "300000.00"


def test_the_demo_seeds_this_years_annual_budgets(department_a, department_b, admin_user):
    from budgets.demo import seed_budgets

    seed_budgets(
        rng=None,
        options={
            "departments": {"east-sales": department_a, "south-sales": department_b},
            "users": [admin_user],
        },
        stdout=io.StringIO(),
    )
    assert AnnualBudget.objects.get(department=department_a).allocated == Decimal("600000.00")
    assert AnnualBudget.objects.count() == 2 and BudgetSettings.objects.count() == 1


def test_the_plan_links_its_registered_owner(department_a, staff_a, staff_a_client):
    register_owner_kind(OwnerKind("test_event", "Test event", lambda pk: f"/events/{pk}/"))
    try:
        plan = plan_ensure(
            owner_kind="test_event", owner_id=42, title="答谢会", department=department_a, year=2026
        )
        assert (
            plan_ensure(
                owner_kind="test_event", owner_id=42, title="x", department=department_a, year=2026
            )
            == plan
        )
        assert plan.contingency_percent == Decimal("10.00")
        html = staff_a_client.get(f"/budgets/plans/{plan.pk}/").content.decode()
        assert 'href="/events/42/"' in html
        assert 'href="/events/42/"' in staff_a_client.get("/budgets/?year=2026").content.decode()
    finally:
        owner_kinds.pop("test_event", None)


def test_lines_reorder_and_a_line_with_expenses_stays(example_plan, staff_a):
    first, second = list(example_plan.lines.order_by("position"))[:2]
    line_move(line=second, user=staff_a, direction=-1)
    assert example_plan.lines.order_by("position").first() == second
    ExpenseFactory(line=first, amount=Decimal("10.00"))
    with pytest.raises(ValidationError):
        line_delete(line=first, user=staff_a)
    line_delete(line=second, user=staff_a)
    example_plan.refresh_from_db()
    assert example_plan.total == Decimal("40700.00")  # 46,200 − 5,000 × 1.1


@pytest.mark.django_db(transaction=True)
def test_concurrent_line_adds_keep_the_total_right(department_a, staff_a):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    plan = BudgetPlanFactory(department=department_a, created_by=staff_a)
    errors = []

    def add(n):
        try:
            for _ in range(5):
                line_add(
                    plan=plan,
                    user=staff_a,
                    data={"category": "other", "description": f"线程{n}", "lump_sum": "100"},
                )
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=add, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    plan = BudgetPlan.objects.get(pk=plan.pk)
    assert plan.lines.count() == 20
    assert (plan.subtotal, plan.total) == (Decimal("2000.00"), Decimal("2200.00"))


def test_the_home_page_counts_budgets_awaiting_my_approval(example_plan, staff_a, manager_a_client):
    from budgets.services.plans import plan_submit

    plan_submit(plan=example_plan, user=staff_a)
    html = manager_a_client.get("/").content.decode()
    assert "Budgets awaiting my approval" in html
