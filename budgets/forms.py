"""The budget pages' forms: they parse what was typed; every rule is in
``budgets.services`` and comes back on the form through ``add_service_errors``."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from budgets.models import BudgetLine, LineCategory
from carecrm.accounts.models import Department

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0")}


class LineForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=LineCategory.choices)
    description = forms.CharField(label=_("Description"), max_length=200)
    unit_price = forms.DecimalField(label=_("Unit price (¥)"), required=False, **MONEY)
    quantity = forms.DecimalField(
        label=_("Quantity"), required=False, max_digits=10, decimal_places=2, min_value=0
    )
    lump_sum = forms.DecimalField(
        label=_("or lump sum (¥)"),
        required=False,
        help_text=_("Leave unit price and quantity empty for a lump sum."),
        **MONEY,
    )

    @classmethod
    def for_line(cls, line: BudgetLine, **kwargs):
        lump = line.amount if line.unit_price is None else None
        initial = {
            "category": line.category,
            "description": line.description,
            "unit_price": line.unit_price,
            "quantity": line.quantity,
            "lump_sum": lump,
        }
        return cls(initial=initial, prefix=f"line{line.pk}", **kwargs)


class ContingencyForm(forms.Form):
    contingency_percent = forms.DecimalField(
        label=_("Contingency (%)"), max_digits=5, decimal_places=2
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SubmitForm(CommentForm):
    comment = forms.CharField(
        label=_("Note for the approver"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReturnForm(CommentForm):
    comment = forms.CharField(
        label=_("What should change"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class OverCapForm(CommentForm):
    comment = forms.CharField(
        label=_("Why this event may exceed the cap"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ApproveForm(CommentForm):
    approve_over_cap = forms.BooleanField(
        label=_("I approve it above the share cap"), required=False
    )


class ExpenseForm(forms.Form):
    line = forms.ModelChoiceField(label=_("Budget line"), queryset=BudgetLine.objects.none())
    amount = forms.DecimalField(
        label=_("Amount (¥)"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    spent_on = forms.DateField(
        label=_("Date paid"),
        widget=forms.DateInput(attrs={"type": "date"}),
        initial=timezone.localdate,
    )
    payee = forms.CharField(label=_("Payee"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    receipt = forms.FileField(
        label=_("Receipt"),
        required=False,
        help_text=_("A photo (JPEG, PNG, WebP) or a PDF."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}
        ),
    )

    def __init__(self, *args, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = BudgetLine.objects.filter(plan=plan).order_by(
            "position", "id"
        )
        self.fields["line"].label_from_instance = lambda line: (
            f"{line.get_category_display()} · {line.description}"
        )


class AnnualBudgetForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all())
    allocated = forms.DecimalField(label=_("Allocated (¥)"), **MONEY)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SettingsForm(forms.Form):
    contingency_min = forms.DecimalField(
        label=_("Lowest contingency (%)"), max_digits=5, decimal_places=2
    )
    contingency_default = forms.DecimalField(
        label=_("Default contingency (%)"), max_digits=5, decimal_places=2
    )
    contingency_max = forms.DecimalField(
        label=_("Highest contingency (%)"), max_digits=5, decimal_places=2
    )
    event_share_cap = forms.DecimalField(
        label=_("Largest share of the annual budget for one event (%)"),
        max_digits=5,
        decimal_places=2,
        help_text=_("A plan above this share needs an administrator's approval as well."),
    )
    receipt_max_mb = forms.DecimalField(
        label=_("Largest receipt file (MB)"),
        max_digits=6,
        decimal_places=1,
        min_value=Decimal("0.1"),
    )


class PlanCreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all())
    year = forms.IntegerField(label=_("Budget year"), min_value=2000, max_value=2100)
