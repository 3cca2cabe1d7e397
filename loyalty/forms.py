"""The loyalty pages' forms: they parse what was typed; the rules are in
``loyalty.services`` (and ``customers.services.referrals``) and come back on the form
through ``add_service_errors``."""

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, VipLevel
from customers.privacy import mask_phone
from loyalty.models import EntryKind

RATE = {"max_digits": 7, "decimal_places": 4, "min_value": Decimal("0")}
DATE = forms.DateInput(attrs={"type": "date"})


class RedeemForm(forms.Form):
    points = forms.IntegerField(
        label=_("Points to redeem"),
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
    )
    reward = forms.CharField(
        label=_("Reward"),
        max_length=200,
        help_text=_("What the customer receives, e.g. a coffee voucher or a gift box."),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SettingsForm(forms.Form):
    rate_normal = forms.DecimalField(label=_("Points per yuan: normal"), **RATE)
    rate_silver = forms.DecimalField(label=_("Points per yuan: silver"), **RATE)
    rate_gold = forms.DecimalField(label=_("Points per yuan: gold"), **RATE)
    rate_diamond = forms.DecimalField(
        label=_("Points per yuan: diamond"),
        help_text=_("0.1 is 1 point for every ¥10 spent; points are rounded down."),
        **RATE,
    )
    earn_since = forms.DateField(
        label=_("Orders earn points from"),
        required=False,
        widget=DATE,
        help_text=_("Orders placed before this day earn no points. Empty: every order."),
    )
    expiry_months = forms.IntegerField(
        label=_("Points expire after (months)"),
        min_value=0,
        max_value=120,
        help_text=_(
            "Points not spent this long after they were earned expire, oldest first. 0: never."
        ),
    )
    birthday_bonus = forms.IntegerField(label=_("Birthday bonus (points)"), min_value=0)
    birthday_min_level = forms.ChoiceField(
        label=_("Birthday bonus from level"), choices=VipLevel.choices
    )
    referral_bonus = forms.IntegerField(
        label=_("Referral bonus (points)"),
        min_value=0,
        help_text=_("To the referrer, once for each referred customer who becomes a VIP."),
    )
    redeem_min_level = forms.ChoiceField(
        label=_("Points may be redeemed from level"), choices=VipLevel.choices
    )


class ReferrerForm(forms.Form):
    referrer = forms.ModelChoiceField(
        label=_("Referrer"), queryset=Customer.objects.none(), empty_label=_("— choose —")
    )
    referred_on = forms.DateField(
        label=_("Referred on"),
        required=False,
        widget=DATE,
        help_text=_("Empty: today."),
    )

    def __init__(self, *args, candidates=None, masked: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.masked = masked
        self.fields["referrer"].queryset = (
            candidates if candidates is not None else Customer.objects.none()
        )
        self.fields["referrer"].label_from_instance = self.label_of
        self.fields["referred_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    def label_of(self, customer: Customer) -> str:
        mobile = mask_phone(customer.mobile) if self.masked else customer.mobile
        parts = [customer.name, mobile, f"#{customer.pk}"]
        return " · ".join(part for part in parts if part)


class LedgerFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *EntryKind.choices]
    )


class ReferralFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, mobile or last 4 digits")}
        ),
    )
    vip = forms.ChoiceField(
        label=_("VIP now"),
        required=False,
        choices=[("", _("All")), ("yes", _("VIP (silver or above)")), ("no", _("Not VIP"))],
    )
    bonus = forms.ChoiceField(
        label=_("Referral bonus"),
        required=False,
        choices=[("", _("All")), ("granted", _("Granted")), ("pending", _("Due, not granted yet"))],
    )
    manager = forms.ModelChoiceField(
        label=_("Relationship manager"),
        required=False,
        queryset=get_user_model().objects.none(),
        empty_label=_("All"),
    )
    referred_from = forms.DateField(label=_("Referred from"), required=False, widget=DATE)
    referred_to = forms.DateField(label=_("Referred until"), required=False, widget=DATE)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True).order_by("display_name", "username")
        if user is not None and not user.is_admin_role:
            users = users.filter(department_id=user.department_id)
        self.fields["manager"].queryset = users

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("referred_from"), cleaned.get("referred_to")
        if start and end and start > end:
            self.add_error("referred_to", _("The end of the period is before its start."))
        return cleaned


class AccountFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, mobile or last 4 digits")}
        ),
    )
    balance = forms.ChoiceField(
        label=_("Balance"),
        required=False,
        choices=[
            ("", _("All")),
            ("positive", _("Holding points")),
            ("negative", _("Below zero")),
        ],
    )
