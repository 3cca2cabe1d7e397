"""Forms of the segmentation screens (validation of one screen's input)."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from customers.models import Channel, InteractionKind, InteractionOutcome
from segmentation.models import (
    ManagerPolicy,
    RelationshipManager,
    RiskRule,
    Segment,
    SegmentKind,
    TierPolicy,
)
from segmentation.rules import RuleError, validate_rules
from segmentation.selectors import visible_segments

POLICY_GROUPS = (
    (
        _("RFM window and value tiers"),
        (
            "window_days",
            "high_spend_top_percent",
            "high_repurchase_rate",
            "high_aov_multiple",
            "medium_min_purchases",
            "potential_intent_events",
            "potential_intent_days",
        ),
    ),
    (
        _("Lifecycle"),
        ("new_customer_months", "churn_days", "falling_drop_percent", "lost_days"),
    ),
    (
        _("Silver (VIP)"),
        ("silver_annual_spend", "silver_monthly_spend", "silver_purchases", "silver_loyalty"),
    ),
    (
        _("Gold (SVIP)"),
        ("gold_annual_spend", "gold_monthly_spend", "gold_purchases", "gold_loyalty"),
    ),
    (
        _("Diamond (SVIP+)"),
        ("diamond_annual_spend", "diamond_monthly_spend", "diamond_purchases", "diamond_loyalty"),
    ),
)


class TierPolicyForm(forms.ModelForm):
    note = forms.CharField(
        label=_("Reason for the change"),
        max_length=300,
        required=False,
        help_text=_("Required when saving; shown in the version history."),
    )

    class Meta:
        model = TierPolicy
        fields = TierPolicy.THRESHOLD_FIELDS

    def groups(self):
        return [(title, [self[name] for name in names]) for title, names in POLICY_GROUPS]

    def threshold_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in TierPolicy.THRESHOLD_FIELDS}


class SegmentForm(forms.ModelForm):
    rules_json = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Segment
        fields = ("name", "description", "kind", "static_list", "department")
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, departments, static_lists, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["department"].queryset = departments
        self.fields["static_list"].queryset = static_lists
        if user.is_admin_role:
            self.fields["department"].empty_label = _("All departments")
        else:
            self.fields["department"].required = True
            self.fields["department"].empty_label = None
        if self.instance.pk and not self.is_bound:
            self.initial["rules_json"] = json.dumps(self.instance.rules or {})

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == SegmentKind.STATIC:
            if not cleaned.get("static_list"):
                self.add_error("static_list", _("Choose the static list this segment wraps."))
            cleaned["rules"] = {}
        elif kind == SegmentKind.DYNAMIC:
            cleaned["static_list"] = None
            try:
                rules = json.loads(cleaned.get("rules_json") or "{}")
                cleaned["rules"] = validate_rules(rules)
            except (ValueError, RuleError) as exc:
                raise ValidationError(
                    _("The rules are not valid: %(error)s") % {"error": exc}
                ) from exc
        return cleaned


class ManagerPolicyForm(forms.ModelForm):
    class Meta:
        model = ManagerPolicy
        fields = ("max_vips_per_manager", "coverage_min_level")


class RelationshipManagerForm(forms.ModelForm):
    class Meta:
        model = RelationshipManager
        fields = ("user", "region", "accepts_new")

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users


class RiskRuleForm(forms.ModelForm):
    class Meta:
        model = RiskRule
        fields = ("enabled", "threshold", "period_days", "severity", "min_level")
        widgets = {
            "enabled": forms.CheckboxInput(attrs={"class": "form-check-input"}),
            "threshold": forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
            "period_days": forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
            "severity": forms.Select(attrs={"class": "form-select form-select-sm"}),
            "min_level": forms.Select(attrs={"class": "form-select form-select-sm"}),
        }


RiskRuleFormSet = forms.modelformset_factory(RiskRule, form=RiskRuleForm, extra=0)


class AssignManagerForm(forms.Form):
    manager = forms.ModelChoiceField(label=_("Relationship manager"), queryset=None)

    def __init__(self, *args, managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = managers


class ContactLogForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Contact"),
        choices=[
            (InteractionKind.CALL.value, InteractionKind.CALL.label),
            (InteractionKind.VISIT.value, InteractionKind.VISIT.label),
        ],
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", "—"), *Channel.choices], required=False
    )
    occurred_at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=InteractionOutcome.choices)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}))


class AlertResolveForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("E.g. called the customer, offered compensation, complaint closed."),
    )


def segment_label(segment: Segment) -> str:
    """Departments often keep segments of the same name ("高价值客户"): say whose."""
    return f"{segment.name} · {segment.department or _('All departments')}"


def offer_segments(field: forms.ModelMultipleChoiceField, user) -> None:
    """Let ``field`` choose among the segments ``user`` may see, each named with its
    department, by name."""
    field.queryset = visible_segments(user).order_by("name", "department__name")
    field.label_from_instance = segment_label
