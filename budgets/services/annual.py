"""Annual budgets and the budget rules: admins set them, and every change is audited."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from budgets.models import AnnualBudget, BudgetSettings
from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from carecrm.money import yuan


def _admin(user) -> None:
    if not user.is_admin_role:
        raise PermissionDenied(
            _("Only an administrator can change annual budgets and budget rules.")
        )


def _amount(value, field: str) -> Decimal:
    try:
        amount = yuan(value)
    except (ValueError, TypeError, InvalidOperation):
        raise ValidationError({field: _("Enter an amount in yuan, such as 500000.00.")}) from None
    if amount < 0:
        raise ValidationError({field: _("The amount cannot be negative.")})
    if amount >= Decimal("1e12"):
        raise ValidationError({field: _("The amount is too large.")})
    return amount


@transaction.atomic
def annual_budget_save(
    *, user, year: int, department, allocated, notes: str = "", budget: AnnualBudget | None = None
) -> AnnualBudget:
    """Create the department's budget for the year, or change it (``budget``)."""
    _admin(user)
    if not 2000 <= int(year) <= 2100:
        raise ValidationError({"year": _("Choose a year between 2000 and 2100.")})
    amount = _amount(allocated, "allocated")
    before = None
    if budget is None:
        if AnnualBudget.objects.filter(year=year, department=department).exists():
            raise ValidationError(
                {"department": _("This department already has a budget for that year.")}
            )
        budget = AnnualBudget(year=year, department=department, created_by=user)
        action = AuditAction.CREATE
    else:
        budget = AnnualBudget.objects.select_for_update().get(pk=budget.pk)
        before = {
            "year": budget.year,
            "department": budget.department_id,
            "allocated": str(budget.allocated),
        }
        if (
            AnnualBudget.objects.filter(year=year, department=department)
            .exclude(pk=budget.pk)
            .exists()
        ):
            raise ValidationError(
                {"department": _("This department already has a budget for that year.")}
            )
        budget.year, budget.department = year, department
        action = AuditAction.CHANGE
    budget.allocated = amount
    budget.notes = (notes or "").strip()
    try:
        with transaction.atomic():
            budget.save()
    except IntegrityError:
        raise ValidationError(
            {"department": _("This department already has a budget for that year.")}
        ) from None
    audit_record(
        actor=user,
        action=action,
        obj=budget,
        detail={
            "year": budget.year,
            "department": budget.department_id,
            "allocated": str(budget.allocated),
            **({"before": before} if before else {}),
        },
    )
    return budget


PERCENT_FIELDS = ("contingency_min", "contingency_default", "contingency_max", "event_share_cap")


def _percent(value, field: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError({field: _("Enter a percentage, such as 10.")}) from None
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        raise ValidationError({field: _("Enter a percentage from 0 to 100.")})
    if number != number.quantize(Decimal("0.01")):
        raise ValidationError({field: _("A percentage has at most two decimal places.")})
    return number.quantize(Decimal("0.01"))


@transaction.atomic
def budget_settings_update(*, user, values: dict) -> BudgetSettings:
    """The rules: lowest ≤ default ≤ highest contingency, the share cap above 0, and the
    largest receipt (at least 100 KB, at most the upload limit)."""
    _admin(user)
    from django.conf import settings as django_settings

    current = BudgetSettings.objects.select_for_update().order_by("pk").first() or BudgetSettings()
    percents = {name: _percent(values[name], name) for name in PERCENT_FIELDS if name in values}
    merged = {name: percents.get(name, getattr(current, name)) for name in PERCENT_FIELDS}
    if merged["event_share_cap"] <= 0:
        raise ValidationError({"event_share_cap": _("The share cap must be above 0 %.")})
    if merged["contingency_min"] > merged["contingency_max"]:
        raise ValidationError(
            {"contingency_max": _("The highest contingency cannot be below the lowest.")}
        )
    if not merged["contingency_min"] <= merged["contingency_default"] <= merged["contingency_max"]:
        raise ValidationError(
            {
                "contingency_default": _(
                    "The default contingency must lie between the lowest and the highest."
                )
            }
        )
    if "receipt_max_bytes" in values:
        try:
            size = int(values["receipt_max_bytes"])
        except (TypeError, ValueError):
            raise ValidationError(
                {"receipt_max_bytes": _("Enter a whole number of bytes.")}
            ) from None
        if not 100 * 1024 <= size <= django_settings.IMPORT_MAX_BYTES:
            raise ValidationError(
                {
                    "receipt_max_bytes": _("Choose between 100 KB and %(max)d MB.")
                    % {"max": django_settings.IMPORT_MAX_BYTES // (1024 * 1024)}
                }
            )
        current.receipt_max_bytes = size
    before = {name: str(getattr(current, name)) for name in PERCENT_FIELDS}
    for name, value in merged.items():
        setattr(current, name, value)
    current.updated_by = user
    current.save()
    audit_record(
        actor=user,
        action=AuditAction.CHANGE,
        obj=current,
        detail={
            "before": before,
            "after": {name: str(getattr(current, name)) for name in PERCENT_FIELDS},
            "receipt_max_bytes": current.receipt_max_bytes,
        },
    )
    return current
