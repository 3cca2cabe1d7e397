"""Forms of the campaign pages: input validation of one screen each; the rules themselves
live in the services."""

import datetime as dt

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from campaigns.models import (
    DEFAULT_CARE_KIND,
    CampaignKind,
    CareCampaign,
    CareKind,
    CompanyDay,
    CompanyDayKind,
    ContentTemplate,
    CouponBatch,
    ReviewDecision,
    TaskOutcome,
    TouchChannel,
)
from campaigns.recurrence_form import RecurrenceRuleFields
from campaigns.selectors.campaigns import visible_company_days
from campaigns.services.campaigns import EDITABLE_FIELDS, EDITABLE_RELATIONS
from carecrm.accounts.models import Department, User
from carecrm.core.scoping import department_choices_for
from customers.selectors import visible_customers

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CampaignForm(RecurrenceRuleFields, forms.ModelForm):
    event_link = forms.URLField(label=_("Event link"), required=False, assume_scheme="https")

    class Meta:
        model = CareCampaign
        fields = [*EDITABLE_FIELDS, *EDITABLE_RELATIONS]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "backup_plan": forms.Textarea(attrs={"rows": 3}),
            "goal_deadline": DATE,
            "starts_on": DATE,
            "ends_on": DATE,
            "send_time": TIME,
            "send_at": DATETIME,
            "include_segments": forms.SelectMultiple(attrs={"size": 6}),
            "exclude_segments": forms.SelectMultiple(attrs={"size": 6}),
            "review_departments": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, user, segment: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        from segmentation.forms import offer_segments

        self.user = user
        for name in ("include_segments", "exclude_segments"):
            offer_segments(self.fields[name], user)
        self.fields["include_segments"].help_text = _(
            "Customers in any of these segments; none chosen: every customer of the department."
        )
        self.fields["department"].queryset = department_choices_for(user, Department.objects.all())
        self.fields["department"].required = not user.is_admin_role
        owners = User.objects.filter(is_active=True)
        if not user.is_admin_role:
            owners = owners.filter(department_id=user.department_id)
        self.fields["owner"].queryset = owners.order_by("username")
        self.fields["company_day"].queryset = visible_company_days(
            user, kind=CompanyDayKind.INDUSTRY
        )
        self.fields["send_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        self.fields["days_before"].help_text = _("0 = on the day itself.")
        self.add_recurrence_fields()
        care_kind = self.fields["care_kind"]
        care_kind.required = False
        care_kind.choices = [("", _("Follows the campaign kind")), *CareKind.choices]
        care_kind.help_text = format_lazy(
            _(
                "Customers may refuse one kind of care and keep the others. Until you "
                "choose one, it follows the campaign kind: {birthday} → {birthday_care}, "
                "{holiday} → {holiday_care}, {trigger} → {service_care}, otherwise "
                "{promotion_care}."
            ),
            birthday=CampaignKind.BIRTHDAY.label,
            birthday_care=CareKind.BIRTHDAY.label,
            holiday=CampaignKind.HOLIDAY.label,
            holiday_care=CareKind.HOLIDAY.label,
            trigger=CampaignKind.TRIGGER.label,
            service_care=CareKind.SERVICE.label,
            promotion_care=CareKind.PROMOTION.label,
        )
        # What campaigns.js switches the care kind to when the kind changes.
        care_kind.widget.attrs["data-defaults"] = ",".join(
            f"{kind}:{care}" for kind, care in DEFAULT_CARE_KIND.items()
        )
        if not self.instance.pk:
            self.initial.setdefault("department", user.department_id)
            self.initial.setdefault("owner", user.pk)
            self.initial.setdefault("days_before", 3)
            # "Use in a new …" on a segment's page: ?segment=<id> comes preselected.
            if segment and segment.isdigit() and not self.is_bound:
                chosen = self.fields["include_segments"].queryset.filter(pk=int(segment))
                self.initial["include_segments"] = list(chosen.values_list("pk", flat=True))

            # Not the model's default (offers): the kind decides until staff choose.
            self.initial["care_kind"] = DEFAULT_CARE_KIND.get(self.initial.get("kind") or "", "")

    def clean(self):
        cleaned = super().clean()
        self.compose_recurrence(cleaned)
        kind = cleaned.get("kind")
        care_kind = cleaned.get("care_kind")
        before = self.instance.kind if self.instance.pk else self.initial.get("kind")
        # Left as it was while the kind changed, or never set: it follows the kind — unless
        # staff had chosen a care kind of their own before (not the old kind's default).
        if kind and (
            not care_kind
            or (
                "care_kind" not in self.changed_data
                and kind != before
                and care_kind == DEFAULT_CARE_KIND.get(before or "", care_kind)
            )
        ):
            cleaned["care_kind"] = DEFAULT_CARE_KIND.get(kind, CareKind.PROMOTION)
        return cleaned

    def service_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in EDITABLE_FIELDS}

    def service_relations(self) -> dict:
        return {name: self.cleaned_data[name] for name in EDITABLE_RELATIONS}


class ContentForm(forms.Form):
    subject = forms.CharField(label=_("Subject / title"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    html_body = forms.CharField(
        label=_("HTML body"), required=False, widget=forms.Textarea(attrs={"rows": 10})
    )

    def __init__(self, *args, channel: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel = channel
        if channel == TouchChannel.EMAIL:
            self.fields["subject"].label = _("Subject")
            self.fields["body"].label = _("Plain-text part")
            self.fields["body"].help_text = _("Left empty, it is made from the HTML.")
        elif channel in (TouchChannel.WECOM, TouchChannel.PUSH):
            self.fields["subject"].label = _("Title")
            self.fields["body"].label = _("Message")
        elif channel == TouchChannel.SMS:
            self.fields["body"].label = _("SMS text")
            self.fields["body"].help_text = _(
                "Start or end with your signature 【…】 and include the opt-out “回T退订”."
            )
        else:
            self.fields["body"].label = _("Call or visit script")
        if channel != TouchChannel.EMAIL:
            del self.fields["html_body"]
        if channel in (TouchChannel.SMS, TouchChannel.PHONE, TouchChannel.VISIT):
            del self.fields["subject"]


class CouponBatchForm(forms.ModelForm):
    class Meta:
        model = CouponBatch
        fields = ["name", "value", "min_spend", "valid_days", "expires_on"]
        widgets = {"expires_on": DATE}


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class DepartmentReviewForm(DecisionForm):
    decision = forms.ChoiceField(label=_("Decision"), choices=ReviewDecision.choices)

    field_order = ["decision", "comment"]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class TaskCompleteForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=TaskOutcome.choices)
    note = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}))
    follow_up_due = forms.DateField(label=_("Follow up on"), required=False, widget=DATE)


class TaskCancelForm(forms.Form):
    reason = forms.CharField(label=_("Why is it cancelled?"), max_length=500)


class RedeemForm(forms.Form):
    code = forms.CharField(label=_("Coupon code"), max_length=30)
    order_no = forms.CharField(label=_("Order number"), max_length=64, required=False)
    amount = forms.DecimalField(
        label=_("Order amount (CNY)"), max_digits=14, decimal_places=2, required=False, min_value=0
    )


class RedemptionImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: code, and optionally order_no, amount, redeemed_at (UTF-8)."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(_("Upload a .csv file."))
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file may be at most 5 MB."))
        return upload


class TemplateForm(forms.ModelForm):
    class Meta:
        model = ContentTemplate
        fields = ["name", "channel", "department", "subject", "body", "html_body"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 6}),
            "html_body": forms.Textarea(attrs={"rows": 8}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = department_choices_for(user, Department.objects.all())
        self.fields["department"].required = not user.is_admin_role
        self.fields["department"].help_text = _("Empty: available to every department.")
        if not self.instance.pk:
            self.initial.setdefault("department", user.department_id)


class CompanyDayForm(forms.ModelForm):
    customer_id = forms.IntegerField(
        label=_("Customer ID"),
        required=False,
        help_text=_("For a customer's company anniversary: the customer's ID."),
    )

    class Meta:
        model = CompanyDay
        fields = ["name", "kind", "month", "day", "since_year", "department"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["department"].queryset = department_choices_for(user, Department.objects.all())
        self.fields["department"].required = not user.is_admin_role
        if not self.instance.pk:
            self.initial.setdefault("department", user.department_id)

    def clean(self):
        cleaned = super().clean()
        month, day = cleaned.get("month"), cleaned.get("day")
        if month and day:
            try:
                dt.date(2000, month, day)
            except ValueError:
                self.add_error("day", _("This month has no such day."))
        customer_id = cleaned.get("customer_id")
        if cleaned.get("kind") == CompanyDayKind.CUSTOMER_ANNIVERSARY:
            customer = (
                visible_customers(self.user).filter(pk=customer_id).first() if customer_id else None
            )
            if customer is None:
                self.add_error("customer_id", _("Give the ID of a customer you can see."))
            cleaned["customer"] = customer
        else:
            cleaned["customer"] = None
        return cleaned
