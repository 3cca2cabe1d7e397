"""The goals page's filters, read from GET and checked, so a mistyped address shows what
was ignored instead of failing."""

from django import forms
from django.utils.translation import gettext_lazy as _

from carecrm.accounts.models import Department
from dashboard.models import GoalKind
from dashboard.selectors.goals import STATE_CHOICES

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class GoalFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any state")), *STATE_CHOICES],
        error_messages={"invalid_choice": _("“%(value)s” is not a goal state; showing all.")},
    )
    kind = forms.ChoiceField(
        label=_("Goals of"),
        required=False,
        choices=[("", _("Campaigns and events")), *GoalKind.choices],
        error_messages={
            "invalid_choice": _("“%(value)s” is neither campaigns nor events; showing both.")
        },
    )
    deadline_from = forms.DateField(
        label=_("Deadline from"),
        required=False,
        widget=DATE_WIDGET,
        error_messages={"invalid": _("Enter the first deadline day as YYYY-MM-DD.")},
    )
    deadline_to = forms.DateField(
        label=_("Deadline to"),
        required=False,
        widget=DATE_WIDGET,
        error_messages={"invalid": _("Enter the last deadline day as YYYY-MM-DD.")},
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("All departments"),
        error_messages={"invalid_choice": _("No such department; showing all departments.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_admin_role:
            self.fields["department"].queryset = Department.objects.order_by("name")
        else:
            del self.fields["department"]
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.update({"class": f"{css} {css}-sm", "id": f"f-{name}"})

    def clean(self):
        data = super().clean()
        first, last = data.get("deadline_from"), data.get("deadline_to")
        if first and last and last < first:
            self.add_error(
                "deadline_to", _("The last deadline day is before the first; pick a later one.")
            )
        return data

    def filters(self) -> dict:
        """The valid filters (an invalid one is left out and reported by the form)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in self.fields if name not in self.errors}
