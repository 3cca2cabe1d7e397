"""Reading budget plans: the figures of one plan, and where it stands against its
department's annual budget."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce

from budgets.models import AnnualBudget, BudgetLine, BudgetPlan, BudgetSettings, PlanStatus
from carecrm.money import yuan

ZERO = Decimal("0.00")


def budget_settings() -> BudgetSettings:
    return BudgetSettings.objects.order_by("pk").first() or BudgetSettings()


def plan_for_owner(owner_kind: str, owner_id: int) -> BudgetPlan | None:
    return BudgetPlan.objects.filter(owner_kind=owner_kind, owner_id=owner_id).first()


@dataclass(frozen=True)
class PlanFigures:
    subtotal: Decimal
    contingency: Decimal
    total: Decimal
    spent: Decimal
    remaining: Decimal  # total − spent (negative: overspent)


def plan_figures(plan: BudgetPlan) -> PlanFigures:
    spent = yuan(plan.expenses.aggregate(s=Coalesce(Sum("amount"), ZERO))["s"])
    return PlanFigures(
        subtotal=plan.subtotal,
        contingency=plan.contingency,
        total=plan.total,
        spent=spent,
        remaining=yuan(plan.total - spent),
    )


@dataclass(frozen=True)
class CapCheck:
    """The plan's total against its department's annual budget for its year."""

    annual: Decimal | None  # None: the department has no budget for that year
    share: Decimal | None  # percent of the annual budget, 2 places
    cap: Decimal  # percent allowed without an admin's approval
    over_cap: bool
    over_cap_approved: bool  # an admin approved this total (or a larger one)


def plan_cap_check(plan: BudgetPlan) -> CapCheck:
    cap = budget_settings().event_share_cap
    annual = (
        AnnualBudget.objects.filter(department_id=plan.department_id, year=plan.year)
        .values_list("allocated", flat=True)
        .first()
    )
    if not annual:
        share = None
        over = True  # no annual budget: nothing to measure against, so an admin decides
    else:
        share = (plan.total * 100 / annual).quantize(Decimal("0.01"))
        over = share > cap
    approved = bool(
        plan.over_cap_approved_at
        and plan.over_cap_approved_total is not None
        and plan.total <= plan.over_cap_approved_total
    )
    return CapCheck(annual, share, cap, over, approved)


def plan_is_approved(plan: BudgetPlan) -> bool:
    """Approved by a manager, and by an admin too when it is above the share cap."""
    if plan.status != PlanStatus.APPROVED:
        return False
    check = plan_cap_check(plan)
    return not check.over_cap or check.over_cap_approved


def plan_snapshot(plan: BudgetPlan) -> dict:
    """The plan as approved: its lines' amounts and the contingency, kept on the plan so
    a later change can be shown line by line."""
    lines = BudgetLine.objects.filter(plan=plan).order_by("position", "id")
    return {
        "contingency_percent": str(plan.contingency_percent),
        "total": str(plan.total),
        "lines": [
            {
                "id": line.pk,
                "category": line.category,
                "description": line.description,
                "unit_price": None if line.unit_price is None else str(line.unit_price),
                "quantity": None if line.quantity is None else str(line.quantity),
                "amount": str(line.amount),
            }
            for line in lines
        ],
    }


def plan_diff(plan: BudgetPlan) -> list[dict]:
    """What changed since the last approval, line by line: ``added``, ``removed``,
    ``changed`` (amount or wording), and ``contingency``. Empty when never approved."""
    snapshot = plan.approved_snapshot or {}
    if not snapshot:
        return []
    before = {line["id"]: line for line in snapshot.get("lines", [])}
    current = plan_snapshot(plan)
    diff: list[dict] = []
    for line in current["lines"]:
        old = before.pop(line["id"], None)
        if old is None:
            diff.append(_diff_row("added", line, None, line["amount"]))
        elif (old["amount"], old["description"], old["category"]) != (
            line["amount"],
            line["description"],
            line["category"],
        ):
            row = _diff_row("changed", line, old["amount"], line["amount"])
            if old["description"] != line["description"]:
                row["description_before"] = old["description"]
            diff.append(row)
    for old in before.values():
        diff.append(_diff_row("removed", old, old["amount"], None))
    if snapshot.get("contingency_percent") != current["contingency_percent"]:
        diff.append(
            {
                "change": "contingency",
                "line_id": None,
                "category": "",
                "description": "",
                "before": snapshot.get("contingency_percent"),
                "after": current["contingency_percent"],
            }
        )
    return diff


def _diff_row(change: str, line: dict, before, after) -> dict:
    return {
        "change": change,
        "line_id": line["id"],
        "category": line["category"],
        "description": line["description"],
        "before": before,
        "after": after,
    }
