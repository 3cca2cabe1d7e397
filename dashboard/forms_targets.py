"""The programme targets form: the model's own limits, plus bounds no sensible target
passes, each refused with a message that says which."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from dashboard.models import ProgrammeTargets
from dashboard.services.targets import TARGET_FIELDS

# Above these a target is a typing mistake (a growth of 5,000 % a year, 900 referrals).
MAX_GROWTH = Decimal("1000")
MAX_REFERRALS = Decimal("100")


class ProgrammeTargetsForm(forms.ModelForm):
    class Meta:
        model = ProgrammeTargets
        fields = TARGET_FIELDS
        help_texts = {
            # The satisfaction the dashboard measures is the feedback pages' CSAT.
            "satisfaction_percent": _(
                "CSAT: answers of 4 or 5 ÷ all answers to 1–5 rating questions, as on the "
                "satisfaction pages."
            ),
            "nps": _("From −100 to 100."),
            "vip_repurchase_percent": _(
                "Share of VIPs who had bought before a period that buy again in it."
            ),
            "vip_growth_percent": _("Growth of the VIP count against the same day a year before."),
            "referrals_per_vip": _("Customers referred a year, per VIP."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("step", "0.1")
            field.widget.attrs.setdefault("inputmode", "decimal")

    def clean_vip_growth_percent(self):
        value = self.cleaned_data["vip_growth_percent"]
        if value is not None and value > MAX_GROWTH:
            raise forms.ValidationError(
                _("A growth target above %(max)s percent a year is not realistic.")
                % {"max": MAX_GROWTH}
            )
        return value

    def clean_referrals_per_vip(self):
        value = self.cleaned_data["referrals_per_vip"]
        if value is not None and value > MAX_REFERRALS:
            raise forms.ValidationError(
                _("At most %(max)s referrals per VIP a year.") % {"max": MAX_REFERRALS}
            )
        return value
