"""Forms of the product catalogue pages."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.ChoiceField(label=_("Category"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("active", _("On sale")), ("inactive", _("Discontinued")), ("all", _("All"))],
    )

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories"))] + [
            (category, category) for category in categories
        ]
        self.fields["q"].widget.attrs["placeholder"] = _("Name, SKU or category")
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs["class"] = f"{css} form-select-sm form-control-sm"
            field.widget.attrs["aria-label"] = str(field.label)

    def active(self) -> bool | None:
        status = self.cleaned_data.get("status") or "active"
        return None if status == "all" else status == "active"


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Product name"), max_length=120)
    category = forms.CharField(label=_("Category"), max_length=60, required=False)
    sku = forms.CharField(
        label=_("SKU"),
        max_length=40,
        required=False,
        help_text=_("Optional; unique when given."),
    )
    list_price = forms.DecimalField(
        label=_("List price (CNY)"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        help_text=_("Offered on the order form; staff may change it on a line, e.g. a discount."),
    )
    active = forms.BooleanField(
        label=_("On sale"),
        required=False,
        initial=True,
        help_text=_("Discontinued products stay on past orders but can no longer be picked."),
    )
