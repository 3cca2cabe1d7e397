from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from carecrm.accounts.models import Department, Role
from carecrm.accounts.selectors import ACTIVE_CHOICES, department_choices


class LoginForm(AuthenticationForm):
    """Django's login form; axes counts its failures and locks after the limit."""


# --- the administrators' user and department pages -------------------------------------

ROLE_DESCRIPTIONS = {
    Role.STAFF: _(
        "Works with the customers of their department and the ones they manage: contacts, "
        "orders, care tasks and campaigns."
    ),
    Role.MANAGER: _(
        "Everything staff do for the whole department, and approves campaigns and budgets, "
        "exports, merges and anonymises customers."
    ),
    Role.ADMIN: _(
        "Sees every department and changes the settings: users, departments, tiers, "
        "sending limits and the sender brand."
    ),
}


def role_options(selected: str) -> list[dict]:
    """The three roles with what each may do, for the radio buttons."""
    return [
        {
            "value": role.value,
            "label": role.label,
            "description": ROLE_DESCRIPTIONS[role],
            "checked": str(selected) == role.value,
        }
        for role in Role
    ]


class _DepartmentField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        queryset = department_choices()
        super().__init__(
            queryset=queryset,
            required=False,
            label=_("Department"),
            empty_label=_("No department (administrators only)"),
            help_text=_(
                "Staff and managers see the customers of their department; administrators "
                "see every department."
            ),
            **kwargs,
        )


class _UserFields(forms.Form):
    display_name = forms.CharField(label=_("Full name"), max_length=60)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Work phone"), max_length=30, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"] = _DepartmentField()
        # Field order: department before the role.
        self.order_fields(["username", "display_name", "email", "phone", "department", "role"])

    def role_options(self) -> list[dict]:
        value = self["role"].value() or Role.STAFF.value
        return role_options(value)


class UserCreateForm(_UserFields):
    SET_PASSWORD, INVITE = "password", "invite"

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("What they log in with: letters, digits and @ . + - _ only."),
    )
    access = forms.ChoiceField(
        label=_("How they get a password"),
        choices=[
            (INVITE, _("Send an invitation email with a link to set their own password")),
            (SET_PASSWORD, _("Set an initial password now and tell them yourself")),
        ],
        initial=INVITE,
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters; not a common password or a row of keys."),
    )
    password_confirm = forms.CharField(
        label=_("Initial password again"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        departments = list(self.fields["department"].queryset[:2])
        if len(departments) == 1:
            self.fields["department"].initial = departments[0].pk
        self.fields["role"].initial = Role.STAFF.value

    def clean(self):
        data = super().clean()
        if data.get("access") == self.SET_PASSWORD:
            password = data.get("password")
            if not password:
                self.add_error("password", _("Type the initial password, or send an invitation."))
            elif password != data.get("password_confirm"):
                self.add_error("password_confirm", _("The two passwords differ."))
        elif data.get("access") == self.INVITE and not data.get("email"):
            self.add_error("email", _("An email address is needed to send the invitation."))
        return data

    @property
    def invite(self) -> bool:
        return self.cleaned_data.get("access") == self.INVITE


class UserEditForm(_UserFields):
    pass


class UserPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_confirm"):
            self.add_error("password_confirm", _("The two passwords differ."))
        return data


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(),
        required=False,
        label=_("Department"),
        empty_label=_("All departments"),
    )
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("All roles")), *Role.choices]
    )
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Active and deactivated")), *ACTIVE_CHOICES],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = department_choices()
        for name in ("department", "role", "active"):
            self.fields[name].widget.attrs["class"] = "form-select"


class DepartmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("A short identifier for imports and the API: letters, digits, - and _."),
    )
    region = forms.CharField(label=_("Region"), max_length=50, required=False)
