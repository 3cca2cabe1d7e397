"""Forms of the data quality and privacy screens."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from carecrm.core.models import AuditAction
from carecrm.phone import normalise_mobile
from customers.models import (
    Customer,
    DataQualityPolicy,
    VerificationMethod,
    VerificationOutcome,
)
from customers.privacy import customer_contact_view
from customers.services.merge import (
    COMBINABLE_GROUPS,
    KEEP_BOTH,
    KEEP_DUPLICATE,
    KEEP_SURVIVOR,
    MERGE_FIELD_GROUPS,
)


class MergeForm(forms.Form):
    """Which record survives and, per field group, whose value it keeps. Columns are the
    two customers as shown (left/right); the service speaks of survivor/duplicate."""

    survivor = forms.ChoiceField(
        label=_("Record that stays"),
        choices=[("left", _("Left")), ("right", _("Right"))],
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, left: Customer, right: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.left, self.right = left, right
        for group, (label, names) in MERGE_FIELD_GROUPS.items():
            choices = [("left", _("Left")), ("right", _("Right"))]
            if group in COMBINABLE_GROUPS:
                choices.append((KEEP_BOTH, _("Both")))
            left_empty = all(_is_empty(getattr(left, n)) for n in names)
            right_empty = all(_is_empty(getattr(right, n)) for n in names)
            self.fields[f"keep_{group}"] = forms.ChoiceField(
                label=label,
                choices=choices,
                widget=forms.RadioSelect,
                required=False,
                initial="right" if left_empty and not right_empty else "left",
            )
        self.fields["survivor"].initial = "left"

    def field_choices(self) -> dict[str, str]:
        """Per group: keep the survivor's value, the duplicate's, or both."""
        survivor_side = self.cleaned_data["survivor"]
        choices = {}
        for group in MERGE_FIELD_GROUPS:
            side = self.cleaned_data.get(f"keep_{group}") or survivor_side
            if side == KEEP_BOTH:
                choices[group] = KEEP_BOTH
            else:
                choices[group] = KEEP_SURVIVOR if side == survivor_side else KEEP_DUPLICATE
        return choices

    def survivor_and_duplicate(self) -> tuple[Customer, Customer]:
        if self.cleaned_data["survivor"] == "left":
            return self.left, self.right
        return self.right, self.left

    def rows(self, user) -> list[dict]:
        """The comparison table: one row per field group with both values as the user may
        see them."""
        contacts = {
            "left": customer_contact_view(self.left, user),
            "right": customer_contact_view(self.right, user),
        }
        rows = []
        for group, (label, _names) in MERGE_FIELD_GROUPS.items():
            values = {
                side: _display(group, customer, contacts[side])
                for side, customer in (("left", self.left), ("right", self.right))
            }
            rows.append(
                {
                    "group": group,
                    "label": label,
                    "left": values["left"],
                    "right": values["right"],
                    "same": values["left"] == values["right"],
                    "field": self[f"keep_{group}"],
                    "combinable": group in COMBINABLE_GROUPS,
                }
            )
        return rows


def _is_empty(value) -> bool:
    return value in (None, "", [], False)


def _display(group: str, customer: Customer, contact: dict) -> str:
    if group == "mobile":
        return contact["mobile"]
    if group == "email":
        return contact["email"]
    if group == "address":
        return " ".join(
            p for p in (customer.province, customer.city, customer.district, contact["street"]) if p
        )
    if group == "birthday":
        if not customer.birthday and not customer.lunar_birth_month:
            return ""
        text = customer.birthday.isoformat() if customer.birthday else ""
        if customer.celebrates_lunar_birthday and customer.lunar_birth_month:
            lunar = _("lunar %(month)s/%(day)s") % {
                "month": customer.lunar_birth_month,
                "day": customer.lunar_birth_day or "?",
            }
            text = f"{text} ({lunar})" if text else str(lunar)
        return text
    if group == "preferred_categories":
        return ", ".join(customer.preferred_categories or [])
    name = MERGE_FIELD_GROUPS[group][1][0]
    field = Customer._meta.get_field(name)
    if field.choices:
        return getattr(customer, f"get_{name}_display")()
    value = getattr(customer, name)
    return "" if value is None else str(value)


class VerificationOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (VerificationOutcome.CONFIRMED, _("Confirmed — the contact details are right")),
            (VerificationOutcome.CHANGED, _("Changed — the customer gave new details")),
            (
                VerificationOutcome.UNREACHABLE,
                _("Unreachable — nobody answered or the number is dead"),
            ),
        ],
        widget=forms.RadioSelect,
    )
    method = forms.ChoiceField(label=_("How"), choices=VerificationMethod.choices)
    mobile = forms.CharField(
        label=_("New mobile phone"),
        required=False,
        max_length=30,
        help_text=_("Only when the outcome is “Changed”."),
    )
    email = forms.EmailField(label=_("New email"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=255)

    def clean_mobile(self) -> str:
        raw = self.cleaned_data["mobile"].strip()
        return normalise_mobile(raw) if raw else ""

    def clean(self):
        cleaned = super().clean()
        wants_new_contact = cleaned.get("outcome") == VerificationOutcome.CHANGED
        has_new_contact = cleaned.get("mobile") or cleaned.get("email")
        if wants_new_contact and not has_new_contact and "mobile" not in self.errors:
            self.add_error("mobile", _("Enter the new mobile phone or email."))
        return cleaned


class DataQualityPolicyForm(forms.ModelForm):
    sample_percent = forms.DecimalField(
        label=_("Monthly verification sample (%)"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(5), MaxValueValidator(10)],
        help_text=_("Between 5 % and 10 % of each department's customers with a contact."),
    )

    class Meta:
        model = DataQualityPolicy
        fields = ["sample_percent", "exclude_verified_within_days", "task_due_days"]
        help_texts = {
            "exclude_verified_within_days": _(
                "Customers whose contact was verified more recently are not drawn."
            ),
            "task_due_days": _("Due date of each verification, counted from the draw."),
        }

    def clean_task_due_days(self) -> int:
        value = self.cleaned_data["task_due_days"]
        if value < 1:
            raise forms.ValidationError(_("Allow at least one day."))
        return value


class AnonymiseForm(forms.Form):
    reason = forms.CharField(
        label=_("Request"),
        max_length=200,
        help_text=_("Who asked and how, e.g. “Customer's email of 3 May, ticket 4411”."),
    )
    confirm = forms.BooleanField(
        label=_("I understand that the personal data is erased for good and cannot be restored."),
    )


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(
        label=_("Who"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("Anyone"),
    )
    action = forms.ChoiceField(
        label=_("Action"), choices=[("", _("Any action")), *AuditAction.choices], required=False
    )
    customer = forms.IntegerField(label=_("Customer ID"), required=False, min_value=1)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, with_customer: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = get_user_model().objects.order_by("username")
        if not with_customer:
            del self.fields["customer"]
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs["class"] = f"{css} {css}-sm"

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned
