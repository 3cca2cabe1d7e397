"""Forms of the import screens: the upload and the column mapping."""

from django import forms
from django.utils.translation import gettext_lazy as _

from carecrm.accounts.models import Department
from carecrm.channels import ConsentChannel
from carecrm.core.scoping import department_choices_for
from customers.models import ExistingCustomerMode, ImportKind, ImportPreset
from customers.selectors_imports import visible_import_presets
from customers.services.importing_consent import ConsentBasis
from customers.services.importing_fields import field_choices

ACCEPTED_FILES = ",".join(
    (
        ".csv",
        ".txt",
        ".tsv",
        ".xlsx",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
)


class PresetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ImportPreset) -> str:
        return f"{obj.name} ({obj.get_kind_display()} · {obj.department})"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GBK) or Excel .xlsx, first row = column headers, up to 50 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_FILES}),
    )
    kind = forms.ChoiceField(
        label=_("What the file contains"),
        choices=ImportKind.choices,
        initial=ImportKind.CUSTOMERS,
        widget=forms.RadioSelect,
    )
    department = forms.ModelChoiceField(
        label=_("Import into department"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("New customers are filed under this department."),
    )
    existing_mode = forms.ChoiceField(
        label=_("Customers that already exist"),
        choices=ExistingCustomerMode.choices,
        initial=ExistingCustomerMode.UPDATE,
        widget=forms.RadioSelect,
        help_text=_(
            "Matched by mobile phone, then email. Updating fills in and overwrites the "
            "imported fields; empty cells never erase anything."
        ),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: check every row and show a preview, write nothing"),
        required=False,
    )
    preset = PresetChoiceField(
        label=_("Column mapping preset"),
        queryset=ImportPreset.objects.none(),
        required=False,
        empty_label=_("— recognise the headers —"),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        departments = department_choices_for(user, Department.objects.order_by("name"))
        self.fields["department"].queryset = departments
        if user.is_admin_role:
            self.fields["department"].required = True
        else:
            # staff and managers always import into their own department
            del self.fields["department"]
        self.fields["preset"].queryset = visible_import_presets(user)

    def clean(self):
        cleaned = super().clean()
        preset = cleaned.get("preset")
        if preset is not None and preset.kind != cleaned.get("kind"):
            self.add_error(
                "preset",
                _("This preset is for %(kind)s files.") % {"kind": preset.get_kind_display()},
            )
        return cleaned


class ImportMappingForm(forms.Form):
    """One select per column of the file, pre-filled with the job's mapping; for customers
    also the file's consent basis (optional)."""

    consent_basis = forms.CharField(
        label=_("Consent basis"),
        max_length=200,
        required=False,
        help_text=_("What the customers agreed to and when, e.g. “consented at registration”."),
    )
    consent_basis_date = forms.DateField(
        label=_("Consent given on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    consent_basis_source = forms.CharField(
        label=_("Where it is recorded"),
        max_length=200,
        required=False,
        help_text=_("e.g. the store's membership sign-up forms, 2026-03"),
    )
    consent_basis_channels = forms.MultipleChoiceField(
        label=_("Channels it covers"),
        choices=ConsentChannel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    preset_name = forms.CharField(
        label=_("Save this mapping as a preset named"),
        max_length=100,
        required=False,
        help_text=_("Optional; an existing preset of the same name is replaced."),
    )

    def __init__(self, *args, columns: list[str], kind: str, mapping: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.columns = columns
        self.kind = kind
        if kind != ImportKind.CUSTOMERS:
            for name in [name for name in self.fields if name.startswith("consent_basis")]:
                del self.fields[name]
        choices = [("", _("— do not import —")), *field_choices(kind)]
        for index, column in enumerate(columns):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=column, choices=choices, required=False, initial=mapping.get(column, "")
            )

    def column_fields(self):
        return [self[f"column_{index}"] for index in range(len(self.columns))]

    def mapping(self) -> dict[str, str]:
        return {
            column: self.cleaned_data.get(f"column_{index}", "")
            for index, column in enumerate(self.columns)
        }

    def basis_fields(self):
        return [self[name] for name in self.fields if name.startswith("consent_basis")]

    def basis(self) -> ConsentBasis | None:
        """The basis the user filled in (checked by the service), ``None`` if left empty."""
        if self.kind != ImportKind.CUSTOMERS:
            return None
        return ConsentBasis.from_input(self.cleaned_data)
