"""Writing budget plans: totals are recomputed here, with the shared money helper, after
every change of a line — the one place a plan's arithmetic happens. Every change locks the
plan row first, so two people editing lines at once still leave the right totals, and a
change to a submitted or approved plan sends it back to draft with what moved."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from budgets.models import (
    BudgetLine,
    BudgetPlan,
    LineCategory,
    PlanReview,
    PlanStatus,
    ReviewAction,
)
from budgets.selectors.plans import budget_settings, plan_cap_check, plan_diff, plan_snapshot
from carecrm.money import yuan

LINE_FIELDS = ("category", "description", "unit_price", "quantity", "lump_sum")


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


# --- who may do what --------------------------------------------------------------------


def _require(user, perm: str, message: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(message)


def _visible(user, plan: BudgetPlan) -> None:
    """A plan outside the user's department is refused like one that does not exist."""
    if user.is_admin_role:
        return
    if plan.department_id != user.department_id and plan.created_by_id != user.pk:
        raise PermissionDenied(_("This budget belongs to another department."))


def _locked(plan: BudgetPlan) -> BudgetPlan:
    return BudgetPlan.objects.select_for_update().get(pk=plan.pk)


@transaction.atomic
def plan_create(*, user, title: str, department, year: int, contingency_percent=None):
    """A standalone plan (no owner), a draft in the user's department."""
    _require(user, "budgets.add_budgetplan", _("You cannot create budget plans."))
    if not user.is_admin_role and department.pk != user.department_id:
        raise PermissionDenied(_("You can only plan budgets for your own department."))
    if not (title or "").strip():
        raise ValidationError({"title": _("Give the plan a title.")})
    settings = budget_settings()
    percent = settings.contingency_default if contingency_percent is None else contingency_percent
    _check_contingency(percent, settings)
    return BudgetPlan.objects.create(
        title=title.strip(),
        department=department,
        year=year,
        contingency_percent=percent,
        created_by=user,
    )


# --- lines ------------------------------------------------------------------------------


def _decimal(value, field: str, label: str, *, places: int = 2) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(
            {field: _("%(label)s must be a number.") % {"label": label}}
        ) from None
    if not number.is_finite():
        raise ValidationError({field: _("%(label)s must be a number.") % {"label": label}})
    if number < 0:
        raise ValidationError({field: _("%(label)s cannot be negative.") % {"label": label}})
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValidationError(
            {field: _("%(label)s has at most two decimal places.") % {"label": label}}
        )
    if number >= Decimal("1e10"):
        raise ValidationError({field: _("%(label)s is too large.") % {"label": label}})
    return number


def _line_values(data: dict) -> dict:
    """The line's stored fields from the form's: a unit price with a quantity, or a lump
    sum — never both, never neither."""
    category = data.get("category")
    if category not in LineCategory.values:
        raise ValidationError({"category": _("Choose a category.")})
    description = (data.get("description") or "").strip()
    if not description:
        raise ValidationError({"description": _("Describe what the line pays for.")})
    if len(description) > 200:
        raise ValidationError({"description": _("Keep the description under 200 characters.")})
    unit_price = _decimal(data.get("unit_price"), "unit_price", _("The unit price"))
    quantity = _decimal(data.get("quantity"), "quantity", _("The quantity"))
    lump_sum = _decimal(data.get("lump_sum"), "lump_sum", _("The lump sum"))
    if lump_sum is not None and (unit_price is not None or quantity is not None):
        raise ValidationError(
            {"lump_sum": _("Give either a unit price and a quantity, or a lump sum, not both.")}
        )
    if lump_sum is None:
        if unit_price is None and quantity is None:
            raise ValidationError(
                {"lump_sum": _("Give a unit price and a quantity, or a lump sum.")}
            )
        if unit_price is None:
            raise ValidationError({"unit_price": _("Give the unit price for this quantity.")})
        if quantity is None:
            raise ValidationError({"quantity": _("Give the quantity for this unit price.")})
    amount = line_amount(unit_price, quantity, lump_sum)
    if amount >= Decimal("1e12"):
        raise ValidationError({"__all__": _("The line's amount is too large.")})
    return {
        "category": category,
        "description": description,
        "unit_price": unit_price,
        "quantity": quantity,
        "amount": amount,
    }


def _editable(user, plan: BudgetPlan) -> BudgetPlan:
    _require(user, "budgets.change_budgetplan", _("You cannot change budget plans."))
    _visible(user, plan)
    return _locked(plan)


def _after_change(plan: BudgetPlan, user) -> BudgetPlan:
    """Recompute, and send a submitted or approved plan back to draft with what moved
    since its approval, so the approver sees it on the next approval."""
    plan_recalculate(plan)
    if plan.status in (PlanStatus.SUBMITTED, PlanStatus.APPROVED):
        PlanReview.objects.create(
            plan=plan,
            round=plan.review_round,
            action=ReviewAction.REOPENED,
            diff=plan_diff(plan),
            total=plan.total,
            actor=user,
        )
        plan.status = PlanStatus.DRAFT
        plan.save(update_fields=["status", "updated_at"])
    else:
        plan.save(update_fields=["updated_at"])
    return plan


@transaction.atomic
def line_add(*, plan: BudgetPlan, user, data: dict) -> BudgetLine:
    plan = _editable(user, plan)
    values = _line_values(data)
    last = plan.lines.aggregate(m=Max("position"))["m"]
    line = BudgetLine.objects.create(plan=plan, position=(last or 0) + 1, **values)
    _after_change(plan, user)
    return line


@transaction.atomic
def line_update(*, line: BudgetLine, user, data: dict) -> BudgetLine:
    plan = _editable(user, line.plan)
    line = BudgetLine.objects.get(pk=line.pk, plan=plan)
    values = _line_values(data)
    changed = any(getattr(line, name) != value for name, value in values.items())
    if not changed:
        return line
    for name, value in values.items():
        setattr(line, name, value)
    line.save()
    _after_change(plan, user)
    return line


@transaction.atomic
def line_delete(*, line: BudgetLine, user) -> None:
    plan = _editable(user, line.plan)
    if line.expenses.exists():
        raise ValidationError(
            _("Expenses are booked on this line; move or delete them before deleting the line.")
        )
    line.delete()
    _after_change(plan, user)


@transaction.atomic
def line_move(*, line: BudgetLine, user, direction: int) -> None:
    """Swap the line with its neighbour (``direction`` −1 up, +1 down): order only, so
    the plan's status is untouched."""
    plan = _editable(user, line.plan)
    lines = list(plan.lines.order_by("position", "id"))
    index = next(i for i, item in enumerate(lines) if item.pk == line.pk)
    other = index + (1 if direction > 0 else -1)
    if not 0 <= other < len(lines):
        return
    lines[index], lines[other] = lines[other], lines[index]
    for position, item in enumerate(lines, start=1):
        if item.position != position:
            BudgetLine.objects.filter(pk=item.pk).update(position=position)


def _check_contingency(percent, settings) -> Decimal:
    percent = _decimal(percent, "contingency_percent", _("The contingency"))
    if percent is None:
        raise ValidationError({"contingency_percent": _("Give the contingency percentage.")})
    if not settings.contingency_min <= percent <= settings.contingency_max:
        raise ValidationError(
            {
                "contingency_percent": _(
                    "The contingency must be between %(low)s %% and %(high)s %%."
                )
                % {"low": settings.contingency_min, "high": settings.contingency_max}
            }
        )
    return percent


@transaction.atomic
def plan_set_contingency(*, plan: BudgetPlan, user, percent) -> BudgetPlan:
    plan = _editable(user, plan)
    percent = _check_contingency(percent, budget_settings())
    if percent == plan.contingency_percent:
        return plan
    plan.contingency_percent = percent
    BudgetPlan.objects.filter(pk=plan.pk).update(contingency_percent=percent)
    return _after_change(plan, user)


# --- approval ---------------------------------------------------------------------------


@transaction.atomic
def plan_submit(*, plan: BudgetPlan, user, comment: str = "") -> BudgetPlan:
    plan = _editable(user, plan)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(_("Only a draft can be submitted for approval."))
    if not plan.lines.exists():
        raise ValidationError(_("Add at least one line before submitting the budget."))
    plan.status = PlanStatus.SUBMITTED
    plan.review_round += 1
    plan.submitted_at = _now()
    plan.submitted_by = user
    plan.save()
    _review(plan, user, ReviewAction.SUBMITTED, comment)
    return plan


def _now():
    return timezone.now()


def _review(plan, user, action, comment: str = "", diff=None) -> PlanReview:
    return PlanReview.objects.create(
        plan=plan,
        round=plan.review_round,
        action=action,
        comment=(comment or "").strip(),
        diff=diff or [],
        total=plan.total,
        actor=user,
    )


def _approver(user, plan: BudgetPlan) -> None:
    _require(user, "budgets.approve_budgetplan", _("Only a manager can approve budgets."))
    if not user.is_admin_role and plan.department_id != user.department_id:
        raise PermissionDenied(_("A manager approves the budgets of their own department."))
    if plan.created_by_id == user.pk and not user.is_admin_role:
        raise PermissionDenied(_("You cannot approve a budget you wrote yourself."))


@transaction.atomic
def plan_approve(
    *, plan: BudgetPlan, user, comment: str = "", approve_over_cap: bool = False
) -> BudgetPlan:
    """A manager's approval; the lines are kept as approved so a later change shows what
    moved. An admin may approve above the share cap in the same step, explicitly."""
    _approver(user, plan)
    plan = _locked(plan)
    if plan.status != PlanStatus.SUBMITTED:
        raise ValidationError(_("Only a budget awaiting approval can be approved."))
    diff = plan_diff(plan) if plan.approved_snapshot else []
    plan.status = PlanStatus.APPROVED
    plan.approved_at = _now()
    plan.approved_by = user
    plan.approved_snapshot = plan_snapshot(plan)
    plan.save()
    _review(plan, user, ReviewAction.APPROVED, comment, diff)
    if approve_over_cap:
        check = plan_cap_check(plan)
        if check.over_cap and not check.over_cap_approved:
            _over_cap(plan, user, comment)
    return plan


def _over_cap(plan: BudgetPlan, user, comment: str) -> None:
    _require(
        user,
        "budgets.approve_over_cap_budgetplan",
        _("Only an administrator can approve a budget above the share cap."),
    )
    plan.over_cap_approved_at = _now()
    plan.over_cap_approved_by = user
    plan.over_cap_approved_total = plan.total
    plan.save(
        update_fields=[
            "over_cap_approved_at",
            "over_cap_approved_by",
            "over_cap_approved_total",
            "updated_at",
        ]
    )
    _review(plan, user, ReviewAction.OVER_CAP_APPROVED, comment)


@transaction.atomic
def plan_approve_over_cap(*, plan: BudgetPlan, user, comment: str = "") -> BudgetPlan:
    """An admin's explicit approval of the current total above the share cap."""
    _require(
        user,
        "budgets.approve_over_cap_budgetplan",
        _("Only an administrator can approve a budget above the share cap."),
    )
    _visible(user, plan)
    plan = _locked(plan)
    if plan.status == PlanStatus.DRAFT:
        raise ValidationError(_("Submit the budget before approving it above the share cap."))
    check = plan_cap_check(plan)
    if not check.over_cap:
        raise ValidationError(_("This budget is within the share cap; no extra approval needed."))
    if check.over_cap_approved:
        raise ValidationError(_("This total is already approved above the share cap."))
    _over_cap(plan, user, comment)
    return plan


@transaction.atomic
def plan_return(*, plan: BudgetPlan, user, comment: str) -> BudgetPlan:
    """Back to draft with the approver's reason."""
    _approver(user, plan)
    plan = _locked(plan)
    if plan.status == PlanStatus.DRAFT:
        raise ValidationError(_("This budget is already a draft."))
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say what should change.")})
    plan.status = PlanStatus.DRAFT
    plan.save(update_fields=["status", "updated_at"])
    _review(plan, user, ReviewAction.RETURNED, comment)
    return plan
