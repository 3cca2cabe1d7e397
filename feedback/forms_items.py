"""Forms for feedback items: entering one by hand, the list filters, resolving, the check
back with the customer, and the admin's deadlines by severity."""

from django import forms
from django.utils.translation import gettext_lazy as _

from carecrm.accounts.models import User
from carecrm.core.scoping import visible_to
from customers.filters import customer_search_condition
from customers.models import Customer
from customers.privacy import can_see_pii
from feedback.models import (
    FollowUpOutcome,
    ItemStatus,
    Severity,
    SeverityDeadline,
    Topic,
)


class ItemForm(forms.Form):
    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=Customer.objects.none(), required=False
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", _("Use the suggestion")), *list(Topic.choices)],
        required=False,
        help_text=_("Left on “Use the suggestion”, the category suggested from the words used."),
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Empty: the customer's relationship manager, else the department's manager."),
    )

    def __init__(self, *args, user, search: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        customers = visible_to(user, Customer.objects.order_by("name", "pk"))
        if self.is_bound:
            self.fields["customer"].queryset = customers
        else:
            found = (
                customers.filter(customer_search_condition(search, sees_contact=can_see_pii(user)))
                if search
                else customers.none()
            )
            self.fields["customer"].queryset = found[:30]
            self.fields["customer"].empty_label = (
                _("— search for the customer above —") if not search else _("— choose —")
            )
        owners = User.objects.filter(is_active=True).order_by("username")
        if not user.is_admin_role:
            owners = owners.filter(department_id=user.department_id)
        self.fields["owner"].queryset = owners


class ItemFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *list(ItemStatus.choices)], required=False
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=[("", _("All")), *list(Severity.choices)], required=False
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("All")), *list(Topic.choices)], required=False
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=_("All")
    )
    mine = forms.BooleanField(label=_("Only mine"), required=False)
    overdue = forms.BooleanField(label=_("SLA breached only"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        owners = User.objects.filter(is_active=True).order_by("username")
        if not user.is_admin_role:
            owners = owners.filter(department_id=user.department_id)
        self.fields["owner"].queryset = owners
        for field in self.fields.values():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select form-select-sm"


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResolveForm(forms.Form):
    resolution_note = forms.CharField(
        label=_("How was it resolved?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say how the item was resolved.")},
    )


class FollowUpForm(forms.Form):
    follow_up_outcome = forms.ChoiceField(
        label=_("What did the customer say?"),
        choices=FollowUpOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what the customer said.")},
    )
    follow_up_note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SeverityDeadlineForm(forms.ModelForm):
    class Meta:
        model = SeverityDeadline
        fields = ["respond_within_hours", "resolve_within_hours"]

    def clean(self):
        data = super().clean()
        respond, resolve = data.get("respond_within_hours"), data.get("resolve_within_hours")
        if respond and resolve and resolve < respond:
            self.add_error(
                "resolve_within_hours",
                _("The time to resolve cannot be shorter than the time to respond."),
            )
        return data


SeverityDeadlineFormSet = forms.modelformset_factory(
    SeverityDeadline, form=SeverityDeadlineForm, extra=0, can_delete=False
)
