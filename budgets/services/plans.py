"""Writing budget plans: totals are recomputed here, with the shared money helper, after
every change of a line — the one place a plan's arithmetic happens."""

from decimal import Decimal

from django.db import transaction

from budgets.models import BudgetLine, BudgetPlan
from budgets.selectors.plans import budget_settings
from carecrm.money import yuan


def line_amount(unit_price: Decimal | None, quantity: Decimal | None, lump_sum=None) -> Decimal:
    if unit_price is None and quantity is None:
        return yuan(lump_sum if lump_sum is not None else 0)
    return yuan(yuan(unit_price) * Decimal(quantity))


def plan_totals(line_amounts, contingency_percent: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(subtotal, contingency, total): contingency is the percentage of the subtotal,
    rounded half up to the fen once."""
    subtotal = yuan(sum((yuan(a) for a in line_amounts), Decimal("0")))
    contingency = yuan(subtotal * Decimal(contingency_percent) / 100)
    return subtotal, contingency, yuan(subtotal + contingency)


def plan_recalculate(plan: BudgetPlan) -> BudgetPlan:
    amounts = list(BudgetLine.objects.filter(plan=plan).values_list("amount", flat=True))
    plan.subtotal, plan.contingency, plan.total = plan_totals(amounts, plan.contingency_percent)
    BudgetPlan.objects.filter(pk=plan.pk).update(
        subtotal=plan.subtotal, contingency=plan.contingency, total=plan.total
    )
    return plan


@transaction.atomic
def plan_ensure(*, owner_kind: str, owner_id: int, title: str, department, year: int, user=None):
    """The owner's plan, created as an empty draft (default contingency) the first time."""
    plan, _ = BudgetPlan.objects.get_or_create(
        owner_kind=owner_kind,
        owner_id=owner_id,
        defaults={
            "title": title,
            "department": department,
            "year": year,
            "contingency_percent": budget_settings().contingency_default,
            "created_by": user,
        },
    )
    return plan
