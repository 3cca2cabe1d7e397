"""Booking actual expenses against a plan's lines, with their receipts. A receipt is
accepted by what it is, not by its name: JPEG, PNG, WebP (which Pillow must also read) or
PDF, under the size the admin set; it is stored under MEDIA with a name we choose and
served back only through the plan's own page."""

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from budgets.models import BudgetLine, BudgetPlan, Expense
from budgets.selectors.plans import budget_settings
from carecrm.money import yuan

# (content type, file extension, signature test)
RECEIPT_KINDS = (
    ("image/jpeg", "jpg", lambda head: head.startswith(b"\xff\xd8\xff")),
    ("image/png", "png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    ("image/webp", "webp", lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
    ("application/pdf", "pdf", lambda head: head.startswith(b"%PDF-")),
)


def receipt_check(upload) -> tuple[str, str]:
    """(content type, extension) of an acceptable receipt, or a ``ValidationError``
    saying what is wrong with it."""
    limit = budget_settings().receipt_max_bytes
    if upload.size > limit:
        raise ValidationError(
            {
                "receipt": _("The receipt is %(size)s; the largest allowed is %(limit)s.")
                % {"size": _megabytes(upload.size), "limit": _megabytes(limit)}
            }
        )
    if upload.size == 0:
        raise ValidationError({"receipt": _("The receipt file is empty.")})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for content_type, extension, matches in RECEIPT_KINDS:
        if matches(head):
            if content_type.startswith("image/"):
                _verify_image(upload)
            return content_type, extension
    raise ValidationError(
        {
            "receipt": _(
                "A receipt must be a photo (JPEG, PNG or WebP) or a PDF; this file is neither."
            )
        }
    )


def _verify_image(upload) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(upload) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            {"receipt": _("The receipt image is damaged or incomplete; take the photo again.")}
        ) from None
    finally:
        upload.seek(0)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _fields(plan: BudgetPlan, data: dict) -> dict:
    line = data.get("line")
    if not isinstance(line, BudgetLine):
        line = (
            BudgetLine.objects.filter(pk=line, plan=plan).first()
            if str(line or "").isdigit()
            else None
        )
    if line is None or line.plan_id != plan.pk:
        raise ValidationError({"line": _("Choose a line of this budget.")})
    try:
        amount = yuan(data.get("amount"))
    except (ValueError, TypeError, InvalidOperation):
        raise ValidationError({"amount": _("Enter the amount paid, such as 1200.00.")}) from None
    if amount <= 0:
        raise ValidationError({"amount": _("The amount paid must be above zero.")})
    if amount >= Decimal("1e12"):
        raise ValidationError({"amount": _("The amount is too large.")})
    spent_on = data.get("spent_on")
    if isinstance(spent_on, str):
        try:
            spent_on = dt.date.fromisoformat(spent_on)
        except ValueError:
            spent_on = None
    if not isinstance(spent_on, dt.date):
        raise ValidationError({"spent_on": _("Give the date it was paid.")})
    payee = (data.get("payee") or "").strip()
    if not payee:
        raise ValidationError({"payee": _("Say who was paid.")})
    return {
        "line": line,
        "amount": amount,
        "spent_on": spent_on,
        "payee": payee[:200],
        "description": (data.get("description") or "").strip()[:300],
    }


def _check(user, plan: BudgetPlan, perm: str) -> BudgetPlan:
    if not user.has_perm(perm):
        raise PermissionDenied(_("You cannot book expenses."))
    if (
        not user.is_admin_role
        and plan.department_id != user.department_id
        and plan.created_by_id != user.pk
    ):
        raise PermissionDenied(_("This budget belongs to another department."))
    return BudgetPlan.objects.select_for_update().get(pk=plan.pk)


def _attach(expense: Expense, upload) -> None:
    content_type, extension = receipt_check(upload)
    original = PurePath(getattr(upload, "name", "") or "receipt").name[:200]
    expense.receipt.save(f"{uuid.uuid4().hex}.{extension}", upload, save=False)
    expense.receipt_name = original
    expense.receipt_type = content_type


@transaction.atomic
def expense_add(*, plan: BudgetPlan, user, data: dict, receipt=None) -> Expense:
    plan = _check(user, plan, "budgets.add_expense")
    expense = Expense(plan=plan, created_by=user, **_fields(plan, data))
    if receipt is not None:
        _attach(expense, receipt)
    expense.save()
    return expense


@transaction.atomic
def expense_update(*, expense: Expense, user, data: dict, receipt=None) -> Expense:
    plan = _check(user, expense.plan, "budgets.change_expense")
    for name, value in _fields(plan, data).items():
        setattr(expense, name, value)
    old = expense.receipt.name if receipt is not None and expense.receipt else None
    if receipt is not None:
        _attach(expense, receipt)
    expense.save()
    if old:
        transaction.on_commit(lambda: expense.receipt.storage.delete(old))
    return expense


@transaction.atomic
def expense_delete(*, expense: Expense, user) -> None:
    _check(user, expense.plan, "budgets.delete_expense")
    name = expense.receipt.name if expense.receipt else None
    storage = expense.receipt.storage
    expense.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
