"""Forms of the customer record screens. They parse and check one screen's input; the
services in ``customers.services.records`` apply the rules and save."""

import re
from collections.abc import Callable

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Fieldset, Layout, Row
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecrm.accounts.models import Department
from carecrm.core.scoping import department_choices_for
from customers.models import (
    Channel,
    ConsentMethod,
    ContactPerson,
    Customer,
    Gender,
    IntentKind,
    Interaction,
    InteractionKind,
    RevealReason,
)
from customers.privacy import can_see_pii, mask_email, mask_phone, mask_street
from customers.services.records import EDITABLE_FIELDS, normalise_email, normalise_mobile

LIST_SEPARATORS = re.compile(r"[,，;；、\n]+")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def split_list(value: str) -> list[str]:
    """ "咖啡, 茶具，礼盒" → ["咖啡", "茶具", "礼盒"] (Chinese and English separators)."""
    items: list[str] = []
    for item in LIST_SEPARATORS.split(value or ""):
        item = item.strip()
        if item and item not in items:
            items.append(item)
    return items


def tag_suggestion_attrs(param: str) -> dict:
    """htmx attributes of a tag input: as the user types, existing tags in their scope
    are offered below it (``customers:tag-suggestions``); works with a phone keyboard."""
    return {
        "hx-get": reverse("customers:tag-suggestions"),
        "hx-trigger": "input changed delay:250ms, focus",
        "hx-target": f"#tag-suggestions-{param}",
        "hx-sync": "this:replace",
        "hx-include": "this",
        "autocomplete": "off",
        "data-tag-input": param,
    }


def tag_suggestion_box(input_id: str, *, mode: str) -> str:
    param = input_id.removeprefix("id_")
    return (
        f'<div id="tag-suggestions-{param}" class="mt-n2 mb-2" data-tag-suggestions="{input_id}"'
        f' data-tag-mode="{mode}" aria-live="polite"></div>'
    )


class ParseOnlyModelForm(forms.ModelForm):
    """A model form that never touches its instance: validation against the database and
    saving belong to the service, which compares the instance before and after."""

    def _post_clean(self) -> None:
        pass

    def save(self, commit: bool = True):  # pragma: no cover - guard against misuse
        raise NotImplementedError("Call the service; this form only parses input.")


class MaskedContactFieldsMixin:
    """Users without ``view_customer_pii`` edit contact fields blind: the current value is
    shown masked as a placeholder and a blank field keeps it."""

    masked_fields: dict[str, Callable[[str], str]] = {}

    def _mask_contact_fields(self, user) -> None:
        self.contact_masked = bool(self.instance.pk) and not can_see_pii(user)
        if not self.contact_masked:
            return
        for name, mask in self.masked_fields.items():
            field = self.fields[name]
            current = getattr(self.instance, name)
            self.initial[name] = ""
            if current:
                field.widget.attrs["placeholder"] = mask(current)
                field.help_text = _("Hidden for your role. Leave blank to keep the current value.")

    def _keep_masked_values(self, cleaned_data: dict) -> None:
        if not self.contact_masked:
            return
        for name in self.masked_fields:
            if name in cleaned_data and not cleaned_data[name]:
                cleaned_data[name] = getattr(self.instance, name)


class CustomerForm(MaskedContactFieldsMixin, ParseOnlyModelForm):
    masked_fields = {"mobile": mask_phone, "email": mask_email, "street": mask_street}

    preferred_categories = forms.CharField(
        label=_("Preferred product categories"),
        required=False,
        help_text=_("Separate with commas, e.g. coffee, tea sets"),
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separate with commas; new tags are created")
    )
    mobile = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        max_length=30,
        help_text=_("Chinese numbers without +86 are fine, e.g. 138 1234 5678"),
    )
    email = forms.CharField(label=_("Email"), required=False, max_length=254)

    class Meta:
        model = Customer
        fields = [f for f in EDITABLE_FIELDS if f not in ("mobile", "email")]
        widgets = {
            "birthday": DATE_WIDGET,
            "registered_on": DATE_WIDGET,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["mobile", "email"])
        self.user = user
        instance = self.instance
        if instance.pk:
            self.initial.setdefault("mobile", instance.mobile)
            self.initial.setdefault("email", instance.email)
            self.initial["preferred_categories"] = ", ".join(instance.preferred_categories or [])
            self.initial["tags"] = ", ".join(tag.name for tag in instance.tags.all())
        self._mask_contact_fields(user)

        departments = department_choices_for(user, Department.objects.all())
        if instance.pk:
            departments = Department.objects.filter(
                Q(pk__in=departments.values("pk")) | Q(pk=instance.department_id)
            )
        self.fields["department"].queryset = departments
        if departments.count() == 1:
            self.fields["department"].empty_label = None
        if not instance.pk and user.department_id:
            self.initial.setdefault("department", user.department_id)

        managers = get_user_model().objects.filter(is_active=True)
        if not user.is_admin_role:
            allowed = Q(department_id__in=departments.values("pk"))
            if instance.relationship_manager_id:
                allowed |= Q(pk=instance.relationship_manager_id)
            managers = managers.filter(allowed)
        self.fields["relationship_manager"].queryset = managers.select_related(
            "department"
        ).order_by("department__name", "username")
        self.fields["relationship_manager"].label_from_instance = lambda u: (
            f"{u} · {u.department}" if u.department_id else str(u)
        )
        self.fields["relationship_manager"].empty_label = _("None assigned")
        if (
            not instance.pk
            and not self.is_bound
            and not (user.is_admin_role or user.is_manager_role)
        ):
            # Staff who record a new customer look after them unless they say otherwise;
            # managers and admins record for their teams and choose.
            self.initial.setdefault("relationship_manager", user.pk)
        self.fields["department"].empty_label = _("Choose a department")
        self.fields["gender"].choices = [("", _("Not specified")), *Gender.choices]
        self.fields["preferred_channel"].choices = [("", _("No preference")), *Channel.choices]
        self.fields["tags"].widget.attrs.update(tag_suggestion_attrs("tags"))
        for name in ("lunar_birth_month", "lunar_birth_day"):
            self.fields[name].widget.attrs.update({"min": 1, "max": 12 if "month" in name else 30})
        self.fields["lunar_birth_month"].help_text = _(
            "Leave blank to work it out from the solar birthday"
        )

        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("Customer"),
                Row(Column("name", css_class="col-md-6"), Column("kind"), Column("gender")),
                Row(Column("source"), Column("registered_on"), Column("industry")),
            ),
            Fieldset(
                _("Contact"),
                Row(Column("mobile"), Column("email"), Column("preferred_channel")),
                Row(Column("wecom_external_id"), Column("push_token")),
            ),
            Fieldset(
                _("Address"),
                Row(Column("province"), Column("city"), Column("district"), Column("region")),
                "street",
            ),
            Fieldset(
                _("Birthday"),
                Row(Column("birthday"), Column("celebrates_lunar_birthday", css_class="pt-md-4")),
                Div(
                    Row(
                        Column("lunar_birth_month"),
                        Column("lunar_birth_day"),
                        Column("lunar_birth_leap_month", css_class="pt-md-4"),
                    ),
                    css_class="js-lunar-fields",
                ),
            ),
            Fieldset(
                _("Care team and preferences"),
                Row(Column("department"), Column("relationship_manager")),
                Row(
                    Column("preferred_categories"),
                    Column("tags", HTML(tag_suggestion_box("id_tags", mode="list"))),
                ),
                "notes",
            ),
        )

    def clean_mobile(self) -> str:
        return normalise_mobile(self.cleaned_data["mobile"])

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])

    def clean_preferred_categories(self) -> list[str]:
        return split_list(self.cleaned_data["preferred_categories"])

    def clean_tags(self) -> list[str]:
        tags = split_list(self.cleaned_data["tags"])
        too_long = [tag for tag in tags if len(tag) > 50]
        if too_long:
            raise ValidationError(
                _("A tag has at most 50 characters: %(tag)s") % {"tag": too_long[0]}
            )
        return tags

    def clean(self):
        cleaned_data = super().clean()
        self._keep_masked_values(cleaned_data)
        return cleaned_data

    def service_data(self) -> dict:
        return {field: self.cleaned_data[field] for field in EDITABLE_FIELDS}


# Kinds of interaction that say how it happened: the channel is not asked again.
IMPLIED_CHANNELS = {InteractionKind.CALL: Channel.PHONE}


def default_kind_and_channel(customer: Customer) -> tuple[str, str]:
    """What a new interaction most likely is, from the customer's preferred channel: a
    call (phone or no preference), or a consultation on that channel."""
    preferred = customer.preferred_channel
    if not preferred or preferred == Channel.PHONE:
        return InteractionKind.CALL, Channel.PHONE
    return InteractionKind.CONSULTATION, preferred


class InteractionForm(ParseOnlyModelForm):
    class Meta:
        model = Interaction
        fields = ["kind", "channel", "occurred_at", "staff", "summary", "outcome", "follow_up_due"]
        widgets = {
            "occurred_at": DATETIME_WIDGET,
            "follow_up_due": DATE_WIDGET,
            "summary": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        who = Q(department_id=customer.department_id) | Q(pk=user.pk)
        if customer.relationship_manager_id:
            who |= Q(pk=customer.relationship_manager_id)
        self.fields["staff"].queryset = (
            get_user_model().objects.filter(who, is_active=True).order_by("username")
        )
        self.fields["staff"].required = True
        self.fields["staff"].empty_label = None
        self.fields["channel"].choices = [("", _("Not recorded")), *Channel.choices]
        self.fields["kind"].widget.attrs["data-implies-channel"] = "1"
        if not self.is_bound:
            self.initial.setdefault(
                "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
            )
            self.initial.setdefault("staff", user.pk)
            kind, channel = default_kind_and_channel(customer)
            self.initial.setdefault("kind", kind)
            if self.initial["kind"] in IMPLIED_CHANNELS:
                self.initial["channel"] = IMPLIED_CHANNELS[self.initial["kind"]]
            else:
                self.initial.setdefault("channel", channel)
        self.fields["occurred_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        self.fields["follow_up_due"].help_text = _("Leave blank when no follow-up is needed")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("kind"),
                Column("channel", css_class="js-channel-field"),
                Column("occurred_at"),
                Column("staff"),
            ),
            "summary",
            Row(Column("outcome"), Column("follow_up_due")),
        )

    def clean(self):
        cleaned_data = super().clean()
        # One question, not two: a call is recorded on the phone channel, as it always
        # was (the campaigns' phone tasks log kind "call", channel "phone" too).
        implied = IMPLIED_CHANNELS.get(cleaned_data.get("kind"))
        if implied:
            cleaned_data["channel"] = implied
        return cleaned_data


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("How was it resolved?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OrderForm(forms.Form):
    order_no = forms.CharField(
        label=_("Order number"),
        max_length=64,
        required=False,
        help_text=_("Leave blank to have one made, e.g. CC-20261207-000123"),
    )
    ordered_at = forms.DateTimeField(
        label=_("Ordered at"), widget=DATETIME_WIDGET, input_formats=["%Y-%m-%dT%H:%M"]
    )
    store = forms.CharField(label=_("Store or channel"), max_length=100, required=False)


class OrderLineForm(forms.Form):
    # Set by the picker (static/js/order-products.js) when a catalogue product is chosen;
    # empty for an "other item" typed by hand. The service checks the product exists.
    catalogue_product = forms.IntegerField(required=False, widget=forms.HiddenInput)
    product = forms.CharField(label=_("Product"), max_length=120)
    category = forms.CharField(label=_("Category"), max_length=60, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=10,
        decimal_places=2,
        initial=1,
        help_text=_("Negative for a refund"),
    )
    unit_price = forms.DecimalField(label=_("Unit price (CNY)"), max_digits=14, decimal_places=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-control form-control-sm"
            field.widget.attrs["aria-label"] = str(field.label)
            if name in ("quantity", "unit_price"):
                field.widget.attrs["class"] += " text-end"
        self.fields["catalogue_product"].widget.attrs = {"data-product-id": ""}
        self.fields["product"].widget.attrs.update(
            {
                "data-product-search": "",
                "autocomplete": "off",
                "placeholder": _("Search the catalogue or type an item"),
            }
        )

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity == 0:
            raise ValidationError(_("The quantity cannot be zero."))
        return quantity


class BaseOrderLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict]:
        return [
            form.cleaned_data for form in self.forms if form.has_changed() and form.cleaned_data
        ]


OrderLineFormSet = forms.formset_factory(
    OrderLineForm,
    formset=BaseOrderLineFormSet,
    extra=2,
    min_num=1,
    validate_min=True,
    max_num=50,
    validate_max=True,
)


class ConsentDecision:
    KEEP = ""
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"


class ConsentForm(forms.Form):
    """One channel's decision; the page shows one of these per channel."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        required=False,
        choices=[
            (ConsentDecision.KEEP, _("No change")),
            (ConsentDecision.GRANTED, _("Agreed to be contacted")),
            (ConsentDecision.WITHDRAWN, _("Withdrawn / refused")),
        ],
    )
    method = forms.ChoiceField(
        label=_("How"), required=False, choices=[("", _("Not recorded")), *ConsentMethod.choices]
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, channel: str, current=None, **kwargs):
        super().__init__(*args, prefix=channel, **kwargs)
        self.channel = Channel(channel)
        self.current = current

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("decision") and not cleaned_data.get("method"):
            self.add_error("method", _("Say how the customer made this decision."))
        return cleaned_data

    @property
    def granted(self) -> bool | None:
        decision = self.cleaned_data.get("decision")
        if not decision:
            return None
        return decision == ConsentDecision.GRANTED


class ContactPersonForm(MaskedContactFieldsMixin, ParseOnlyModelForm):
    masked_fields = {"mobile": mask_phone, "email": mask_email}

    mobile = forms.CharField(label=_("Mobile phone"), required=False, max_length=30)
    email = forms.CharField(label=_("Email"), required=False, max_length=254)

    class Meta:
        model = ContactPerson
        fields = ["name", "title", "is_primary"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["name", "title", "mobile", "email", "is_primary"])
        if self.instance.pk:
            self.initial.setdefault("mobile", self.instance.mobile)
            self.initial.setdefault("email", self.instance.email)
        self._mask_contact_fields(user)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_mobile(self) -> str:
        return normalise_mobile(self.cleaned_data["mobile"])

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])

    def clean(self):
        cleaned_data = super().clean()
        self._keep_masked_values(cleaned_data)
        return cleaned_data

    def service_data(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("name", "title", "mobile", "email", "is_primary")
        }


class FollowUpFilterForm(forms.Form):
    MINE = "mine"
    ALL = "all"

    who = forms.ChoiceField(
        label=_("Whose"),
        required=False,
        choices=[(ALL, _("Everyone I can see")), (MINE, _("Mine"))],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *InteractionKind.choices]
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class IntentForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=IntentKind.choices)
    product = forms.CharField(label=_("Product"), max_length=120, required=False)
    category = forms.CharField(label=_("Category"), max_length=60, required=False)
    occurred_at = forms.DateTimeField(
        label=_("When"), widget=DATETIME_WIDGET, input_formats=["%Y-%m-%dT%H:%M"]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault(
                "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
            )

    def clean(self):
        cleaned_data = super().clean()
        if not cleaned_data.get("product") and not cleaned_data.get("category"):
            raise ValidationError(_("Name the product or at least its category."))
        return cleaned_data


class PhoneRevealForm(forms.Form):
    """Why a full number is shown (audited with the reveal)."""

    reason = forms.ChoiceField(
        label=_("Why do you need the number?"),
        choices=RevealReason.choices,
        initial=RevealReason.CARE_CALL,
    )
    note = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("Say why, in a few words")}),
    )

    def clean(self):
        cleaned_data = super().clean()
        if (
            cleaned_data.get("reason") == RevealReason.OTHER
            and not cleaned_data.get("note", "").strip()
        ):
            self.add_error("note", _("Say why you need the number."))
        return cleaned_data
