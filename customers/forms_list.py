"""Forms of the customer list: row selection, bulk actions, export, static lists."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from carecrm.accounts.models import Department
from carecrm.core.scoping import department_choices_for, visible_to
from customers.filters import manager_choices
from customers.forms import tag_suggestion_attrs
from customers.list_columns import columns_for
from customers.models import SavedCustomerView, StaticList, Tag
from customers.selectors import tags_in_scope

MAX_SELECTED_IDS = 1000  # a page holds at most 100; more means "select all" was meant


class IdListField(forms.Field):
    """The ticked row checkboxes (``ids=3&ids=7``) as a list of integers."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            ids = sorted({int(item) for item in value})
        except (TypeError, ValueError) as exc:
            raise ValidationError(_("The selection is not valid; reload the page.")) from exc
        if len(ids) > MAX_SELECTED_IDS:
            raise ValidationError(
                _("Select at most %(max)d rows, or use “select all matching”.")
                % {"max": MAX_SELECTED_IDS}
            )
        return ids


class CustomerSelectionForm(forms.Form):
    """Which customers an action applies to: ticked ids, or every customer matching the
    list's filters (``select_all`` plus the filter query string of the page)."""

    ids = IdListField(required=False)
    select_all = forms.BooleanField(required=False)
    filters = forms.CharField(required=False, max_length=4000)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("ids") and not cleaned.get("select_all"):
            raise ValidationError(_("Select at least one customer first."))
        return cleaned


class BulkAction:
    TAG_ADD = "tag_add"
    TAG_REMOVE = "tag_remove"
    ASSIGN_MANAGER = "assign_manager"
    ADD_TO_LIST = "add_to_list"

    choices = [
        (TAG_ADD, _("Add tag")),
        (TAG_REMOVE, _("Remove tag")),
        (ASSIGN_MANAGER, _("Assign relationship manager")),
        (ADD_TO_LIST, _("Add to static list")),
    ]


NO_MANAGER = "none"
BULK_FORM_ID = "bulk-form"


class BulkActionForm(CustomerSelectionForm):
    action = forms.ChoiceField(choices=BulkAction.choices)
    tag_name = forms.CharField(label=_("Tag"), max_length=50, required=False)
    remove_tag = forms.ModelChoiceField(
        label=_("Tag"), queryset=Tag.objects.all(), required=False, empty_label=_("Choose a tag…")
    )
    manager = forms.ChoiceField(label=_("Relationship manager"), required=False)
    static_list = forms.ModelChoiceField(
        label=_("Static list"),
        queryset=StaticList.objects.none(),
        required=False,
        empty_label=_("Choose a list…"),
    )
    new_list_name = forms.CharField(label=_("…or a new list named"), max_length=100, required=False)

    def __init__(self, *args, request, **kwargs):
        # Its dialogs share the page with the filter panel, which has a "manager" field too.
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        self.request = request
        # Read when the field is shown or validated: the list page shows the form's dialogs
        # empty and loads each one's choices when it opens (``bulk_dialog_fields``).
        self.fields["manager"].choices = self._manager_choices
        self.fields["remove_tag"].queryset = tags_in_scope(request.user).order_by("name")
        self.fields["static_list"].queryset = visible_to(
            request.user, StaticList.objects.select_related("department")
        ).order_by("name")
        # The dialogs live outside the <form> that htmx swaps; tie their fields to it.
        for name in ("tag_name", "remove_tag", "manager", "static_list", "new_list_name"):
            widget = self.fields[name].widget
            widget.attrs["form"] = BULK_FORM_ID
            widget.attrs["class"] = (
                "form-select" if isinstance(widget, forms.Select) else "form-control"
            )
        self.fields["tag_name"].widget.attrs.update(tag_suggestion_attrs("tag_name"))

    @cached_property
    def manager_users(self) -> dict:
        managers = manager_choices(self.request).select_related("department")
        return {str(user.pk): user for user in managers}

    def _manager_choices(self) -> list[tuple[str, str]]:
        show_department = self.request.user.is_admin_role
        return [
            ("", _("Choose a manager…")),
            (NO_MANAGER, _("Nobody (remove the manager)")),
            *(
                (pk, f"{user} · {user.department}" if show_department else str(user))
                for pk, user in self.manager_users.items()
            ),
        ]

    def clean_manager(self):
        value = self.cleaned_data.get("manager")
        if value == NO_MANAGER:
            return None
        return self.manager_users[value] if value else ""

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == BulkAction.TAG_ADD and not cleaned.get("tag_name", "").strip():
            self.add_error("tag_name", _("Enter the tag to add."))
        elif action == BulkAction.TAG_REMOVE and not cleaned.get("remove_tag"):
            self.add_error("remove_tag", _("Choose the tag to remove."))
        elif action == BulkAction.ASSIGN_MANAGER and cleaned.get("manager") == "":
            self.add_error("manager", _("Choose a relationship manager."))
        elif (
            action == BulkAction.ADD_TO_LIST
            and not cleaned.get("static_list")
            and not cleaned.get("new_list_name", "").strip()
        ):
            self.add_error("static_list", _("Choose a list or enter a name for a new one."))
        return cleaned


class ExportFormat:
    CSV = "csv"
    XLSX = "xlsx"
    choices = [(CSV, "CSV"), (XLSX, "Excel (XLSX)")]


class ExportForm(CustomerSelectionForm):
    format = forms.ChoiceField(choices=ExportFormat.choices)
    static_list = forms.IntegerField(required=False, widget=forms.HiddenInput)


class StaticListForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none())

    def __init__(self, *args, user, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing or not user.is_admin_role:
            # The list belongs to the user's department (or stays where it is when edited).
            del self.fields["department"]
        else:
            self.fields["department"].queryset = department_choices_for(
                user, Department.objects.all()
            )


class ListColumnsForm(forms.Form):
    """The column chooser of the customer list."""

    columns = forms.MultipleChoiceField(
        label=_("Columns"), required=False, widget=forms.CheckboxSelectMultiple
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["columns"].choices = [
            (column.key, column.label) for column in columns_for(user)
        ]


class SavedViewForm(forms.Form):
    """Save the list's current filters, sort and columns under a name."""

    name = forms.CharField(
        label=_("Name"),
        max_length=SavedCustomerView.NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. My gold customers")}),
    )
    is_default = forms.BooleanField(label=_("Open this view when I visit the list"), required=False)
    query = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["class"] = "form-control form-control-sm"
        self.fields["is_default"].widget.attrs["class"] = "form-check-input"


class SavedViewRenameForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=SavedCustomerView.NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
