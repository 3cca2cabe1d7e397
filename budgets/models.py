"""Budget tables (care programme §6): each department's annual budget, and plans — an
event's budget — made of lines by category with a contingency on the subtotal, approved by
a manager, with the actual expenses booked against their lines.

A plan belongs to an owner of a registered kind (``budgets.registry``): an event today.
Its subtotal, contingency and total are stored, computed by ``budgets.services`` with the
shared money helper whenever a line changes, so a year's committed amount is one SQL sum."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carecrm.core.scoping import ScopeRule

MONEY = {"max_digits": 14, "decimal_places": 2}


class BudgetSettings(models.Model):
    """The company's budget rules, set by an admin (one row)."""

    contingency_min = models.DecimalField(
        _("lowest contingency (%)"), max_digits=5, decimal_places=2, default=Decimal("10.00")
    )
    contingency_max = models.DecimalField(
        _("highest contingency (%)"), max_digits=5, decimal_places=2, default=Decimal("15.00")
    )
    contingency_default = models.DecimalField(
        _("default contingency (%)"), max_digits=5, decimal_places=2, default=Decimal("10.00")
    )
    event_share_cap = models.DecimalField(
        _("largest share of the annual budget for one event (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("20.00"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        help_text=_("A plan above this share needs an administrator's approval as well."),
    )
    receipt_max_bytes = models.PositiveIntegerField(
        _("largest receipt file (bytes)"), default=10 * 1024 * 1024
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("budget settings")
        verbose_name_plural = _("budget settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(contingency_min__gte=0)
                & Q(contingency_min__lte=models.F("contingency_default"))
                & Q(contingency_default__lte=models.F("contingency_max"))
                & Q(contingency_max__lte=100),
                name="budgetsettings_contingency_range",
                violation_error_message=_(
                    "The contingency range must hold the default: lowest ≤ default ≤ highest."
                ),
            ),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class AnnualBudget(models.Model):
    """What a department may spend on care in a calendar year."""

    SCOPE = ScopeRule(department="department")

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="annual_budgets",
    )
    allocated = models.DecimalField(
        _("allocated (CNY)"), **MONEY, validators=[MinValueValidator(Decimal("0"))]
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("annual budget")
        verbose_name_plural = _("annual budgets")
        ordering = ["-year", "department__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "department"],
                name="annualbudget_one_per_department_year",
                violation_error_message=_("This department already has a budget for that year."),
            ),
            models.CheckConstraint(
                condition=Q(allocated__gte=0), name="annualbudget_allocated_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.year}"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting approval")
    APPROVED = "approved", _("Approved")


class BudgetPlan(models.Model):
    """The budget of one event (or another registered owner), in one department's year."""

    SCOPE = ScopeRule(department="department", owner="created_by")

    owner_kind = models.CharField(_("belongs to"), max_length=30, blank=True)
    owner_id = models.PositiveBigIntegerField(null=True, blank=True)
    title = models.CharField(_("title"), max_length=200)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="budget_plans",
    )
    year = models.PositiveSmallIntegerField(
        _("budget year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    contingency_percent = models.DecimalField(
        _("contingency (%)"), max_digits=5, decimal_places=2, default=Decimal("10.00")
    )
    subtotal = models.DecimalField(_("subtotal"), **MONEY, default=Decimal("0.00"))
    contingency = models.DecimalField(_("contingency"), **MONEY, default=Decimal("0.00"))
    total = models.DecimalField(_("total"), **MONEY, default=Decimal("0.00"))
    status = models.CharField(
        _("status"), max_length=12, choices=PlanStatus, default=PlanStatus.DRAFT
    )
    review_round = models.PositiveIntegerField(_("review round"), default=0)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The admin's explicit approval of a plan above the share cap, for the total it saw.
    over_cap_approved_at = models.DateTimeField(null=True, blank=True)
    over_cap_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    over_cap_approved_total = models.DecimalField(**MONEY, null=True, blank=True)
    # The lines as last approved, so a later change shows the approver what moved.
    approved_snapshot = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("budget plan")
        verbose_name_plural = _("budget plans")
        ordering = ["-year", "-created_at", "-id"]
        permissions = [
            ("approve_budgetplan", _("Can approve budget plans")),
            ("approve_over_cap_budgetplan", _("Can approve a plan above the annual share cap")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["owner_kind", "owner_id"],
                condition=Q(owner_id__isnull=False),
                name="budgetplan_one_per_owner",
            ),
            models.CheckConstraint(
                condition=Q(contingency_percent__gte=0) & Q(contingency_percent__lte=100),
                name="budgetplan_contingency_percent_range",
            ),
        ]
        indexes = [models.Index(fields=["department", "year", "status"], name="plan_dept_year")]

    def __str__(self) -> str:
        return self.title


class LineCategory(models.TextChoices):
    VENUE = "venue", _("Venue")
    MATERIALS = "materials", _("Materials")
    GIFTS = "gifts", _("Gifts")
    PERSONNEL = "personnel", _("Personnel")
    CATERING = "catering", _("Catering")
    PROMOTION = "promotion", _("Promotion")
    OTHER = "other", _("Other")


class BudgetLine(models.Model):
    """One line: unit price × quantity, or a lump sum (no unit price). ``amount`` is
    stored, computed by the service with the money helper."""

    SCOPE = ScopeRule(department="plan__department", owner="plan__created_by")

    plan = models.ForeignKey(BudgetPlan, on_delete=models.CASCADE, related_name="lines")
    category = models.CharField(_("category"), max_length=12, choices=LineCategory)
    description = models.CharField(_("description"), max_length=200)
    unit_price = models.DecimalField(
        _("unit price"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(Decimal("0"))])
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_price__isnull=True, quantity__isnull=True)
                | Q(unit_price__isnull=False, quantity__isnull=False),
                name="budgetline_price_and_quantity_together",
                violation_error_message=_(
                    "Give both a unit price and a quantity, or neither for a lump sum."
                ),
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budgetline_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.description


def receipt_path(expense: "Expense", filename: str) -> str:
    return f"budgets/receipts/{expense.plan_id}/{filename}"


class Expense(models.Model):
    """Money actually spent, booked against one line of a plan."""

    SCOPE = ScopeRule(department="plan__department", owner="plan__created_by")

    plan = models.ForeignKey(BudgetPlan, on_delete=models.CASCADE, related_name="expenses")
    line = models.ForeignKey(
        BudgetLine, verbose_name=_("budget line"), on_delete=models.PROTECT, related_name="expenses"
    )
    amount = models.DecimalField(
        _("amount"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))]
    )
    spent_on = models.DateField(_("date"))
    payee = models.CharField(_("payee"), max_length=200)
    description = models.CharField(_("description"), max_length=300, blank=True)
    receipt = models.FileField(_("receipt"), upload_to=receipt_path, blank=True)
    receipt_name = models.CharField(max_length=200, blank=True)
    receipt_type = models.CharField(max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        ordering = ["-spent_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="expense_amount_positive"),
        ]
        indexes = [models.Index(fields=["plan", "line"], name="expense_plan_line")]

    def __str__(self) -> str:
        return f"{self.payee} {self.amount}"


class ReviewAction(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    OVER_CAP_APPROVED = "over_cap_approved", _("Approved above the share cap")
    RETURNED = "returned", _("Returned for changes")
    REOPENED = "reopened", _("Changed after approval")


class PlanReview(models.Model):
    """The plan's approval history: who did what, with the comment and, for a change
    after approval, the differences from the approved lines."""

    SCOPE = ScopeRule(department="plan__department", owner="plan__created_by")

    plan = models.ForeignKey(BudgetPlan, on_delete=models.CASCADE, related_name="reviews")
    round = models.PositiveIntegerField(_("round"))
    action = models.CharField(_("action"), max_length=20, choices=ReviewAction)
    comment = models.TextField(_("comment"), blank=True)
    diff = models.JSONField(default=list, blank=True)
    total = models.DecimalField(_("total"), **MONEY)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("budget review")
        verbose_name_plural = _("budget reviews")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.plan} {self.action}"
