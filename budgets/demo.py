"""Demo budgets for ``manage.py seed_demo``: this year's annual budget for every demo
department (events add their plans in the events demo), and the default rules."""

from decimal import Decimal

from django.utils import timezone

from budgets.models import AnnualBudget, BudgetSettings

# Sales departments spend most on customer events; service and marketing less.
ALLOCATED = {
    "east-sales": Decimal("600000.00"),
    "south-sales": Decimal("450000.00"),
    "north-sales": Decimal("300000.00"),
    "service-center": Decimal("150000.00"),
    "marketing": Decimal("800000.00"),
}
DEFAULT_ALLOCATED = Decimal("200000.00")


def seed_budgets(*, rng, options: dict, stdout) -> None:
    year = timezone.localdate().year
    departments = options.get("departments") or {}
    admin = next((u for u in options.get("users") or [] if u.is_admin_role), None)
    if not BudgetSettings.objects.exists():
        BudgetSettings.objects.create(updated_by=admin)
    made = 0
    for code, department in departments.items():
        _, created = AnnualBudget.objects.get_or_create(
            year=year,
            department=department,
            defaults={
                "allocated": ALLOCATED.get(code, DEFAULT_ALLOCATED),
                "notes": "年度客户关怀活动预算",
                "created_by": admin,
            },
        )
        made += created
    stdout.write(f"Budgets: {made} annual budgets for {year}.")
