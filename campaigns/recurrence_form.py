"""The pickers of a repeating schedule on the campaign form. They replace typing an RFC 5545
rule: the form composes the rule from the pickers and shows a stored rule in them."""

from django import forms
from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.translation import gettext_lazy as _

from campaigns.selectors.recurrence import (
    FREQUENCIES,
    ORDINALS,
    WEEKDAY_CODES,
    RuleParts,
    compose_rule,
    describe_rule,
    split_rule,
)

WEEKDAY_CHOICES = [(code, WEEKDAYS[index]) for index, code in enumerate(WEEKDAY_CODES)]
MONTH_CHOICES = [(str(number), name) for number, name in MONTHS.items()]
MONTHLY_MODES = (("day", _("On a day of the month")), ("weekday", _("On a weekday of the month")))

RULE_FIELDS = (
    "rule_frequency",
    "rule_interval",
    "rule_weekdays",
    "rule_month_mode",
    "rule_month_day",
    "rule_ordinal",
    "rule_ordinal_weekday",
    "rule_month",
)


class RecurrenceRuleFields:
    """Mixed into a ModelForm whose model has an ``rrule`` field."""

    def add_recurrence_fields(self) -> None:
        stored = self.initial.get("rrule") or getattr(self.instance, "rrule", "")
        parts = split_rule(stored)
        starts_on = getattr(self.instance, "starts_on", None)
        if parts.frequency == "WEEKLY" and not parts.weekdays and starts_on:
            parts.weekdays = [WEEKDAY_CODES[starts_on.weekday()]]  # what the rule means
        self.rule_extra = parts.extra
        self.rule_description = describe_rule(stored) if stored else ""
        self.fields["rrule"].widget = forms.HiddenInput()
        self.fields["rrule"].required = False
        self.fields["rule_frequency"] = forms.ChoiceField(
            label=_("Repeats"),
            choices=FREQUENCIES,
            required=False,
            initial=parts.frequency or "WEEKLY",
        )
        self.fields["rule_interval"] = forms.IntegerField(
            label=_("Every"),
            min_value=1,
            max_value=52,
            required=False,
            initial=parts.interval,
            help_text=_("1 = every week (month, year); 2 = every other one."),
        )
        self.fields["rule_weekdays"] = forms.MultipleChoiceField(
            label=_("On"),
            choices=WEEKDAY_CHOICES,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-inline"}),
            required=False,
            initial=parts.weekdays,
        )
        self.fields["rule_month_mode"] = forms.ChoiceField(
            label=_("Day of the month"),
            choices=MONTHLY_MODES,
            widget=forms.RadioSelect,
            required=False,
            initial="weekday" if parts.monthly_by_weekday else "day",
        )
        self.fields["rule_month_day"] = forms.IntegerField(
            label=_("Day"),
            min_value=1,
            max_value=31,
            required=False,
            initial=parts.month_day if (parts.month_day or 0) > 0 else None,
            help_text=_("29–31 are skipped in shorter months."),
        )
        self.fields["rule_ordinal"] = forms.TypedChoiceField(
            label=_("Which"),
            choices=ORDINALS,
            coerce=int,
            required=False,
            initial=parts.ordinal or 1,
        )
        self.fields["rule_ordinal_weekday"] = forms.ChoiceField(
            label=_("Weekday"),
            choices=WEEKDAY_CHOICES,
            required=False,
            initial=parts.ordinal_weekday or "MO",
        )
        self.fields["rule_month"] = forms.TypedChoiceField(
            label=_("Month"), choices=MONTH_CHOICES, coerce=int, required=False, initial=parts.month
        )

    def compose_recurrence(self, cleaned: dict) -> None:
        """Set ``rrule`` from the pickers when the campaign repeats on a custom schedule."""
        frequency = cleaned.get("rule_frequency")
        if cleaned.get("recurrence") != "rrule" or not frequency:
            return
        parts = RuleParts(frequency=frequency, interval=cleaned.get("rule_interval") or 1)
        parts.extra = self.rule_extra
        if frequency == "WEEKLY":
            parts.weekdays = list(cleaned.get("rule_weekdays") or [])
            if not parts.weekdays:
                self.add_error("rule_weekdays", _("Pick at least one weekday."))
        elif frequency == "MONTHLY":
            if cleaned.get("rule_month_mode") == "weekday":
                parts.ordinal = cleaned.get("rule_ordinal") or 1
                parts.ordinal_weekday = cleaned.get("rule_ordinal_weekday") or "MO"
            else:
                parts.month_day = cleaned.get("rule_month_day")
                if not parts.month_day:
                    self.add_error("rule_month_day", _("Give the day of the month."))
        elif frequency == "YEARLY":
            parts.month = cleaned.get("rule_month")
            parts.month_day = cleaned.get("rule_month_day")
            if not (parts.month and parts.month_day):
                self.add_error("rule_month_day", _("Give the month and the day."))
        cleaned["rrule"] = compose_rule(parts)
