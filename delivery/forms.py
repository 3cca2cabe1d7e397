"""Forms of the delivery pages: the message log's filters, retry now, frequency caps and
quiet hours."""

from django import forms
from django.utils.translation import gettext_lazy as _

from delivery.models import (
    DeliveryChannel,
    FrequencyCap,
    MessageClass,
    MessageStatus,
    QuietHours,
    SuppressionReason,
)

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


ANY = _("Any")


def _any(choices) -> list:
    return [("", ANY), *choices]


class MessageFilterForm(forms.Form):
    """The message log's filters; an invalid value is dropped rather than an error."""

    q = forms.CharField(label=_("Customer"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_any(MessageStatus.choices)
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=_any(DeliveryChannel.choices)
    )
    reason = forms.ChoiceField(
        label=_("Suppressed because"), required=False, choices=_any(SuppressionReason.choices)
    )

    def filters(self) -> dict:
        if self.is_valid():
            return self.cleaned_data
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MessageLogForm(MessageFilterForm):
    """The filters of the log of every sender: also the kind of sender, one sender (among
    those the user may open), the class and the planned send dates."""

    source_kind = forms.ChoiceField(label=_("Kind of sender"), required=False)
    source = forms.TypedChoiceField(label=_("Sender"), required=False, coerce=int)
    message_class = forms.ChoiceField(
        label=_("Class"), required=False, choices=_any(MessageClass.choices)
    )
    planned_from = forms.DateField(label=_("Planned from"), required=False, widget=DATE)
    planned_until = forms.DateField(label=_("Planned until"), required=False, widget=DATE)

    SELECTS = ("source_kind", "source", "channel", "status", "message_class", "reason")

    def __init__(self, *args, kinds=(), sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source_kind"].choices = _any(kinds)
        self.fields["source"].choices = _any(sources)

    def selects(self) -> list:
        return [self[name] for name in self.SELECTS]


class RetryFailedForm(forms.Form):
    error_code = forms.ChoiceField(
        label=_("Error code"), required=False, widget=forms.Select(attrs={"class": "form-select"})
    )

    ALL = "__all__"

    def __init__(self, *args, codes: list[tuple[str, int]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["error_code"].choices = [(self.ALL, _("Every failed message"))] + [
            (code, f"{code or _('(no code)')} · {count}") for code, count in codes
        ]

    def code(self) -> str | None:
        value = self.cleaned_data.get("error_code", self.ALL)
        return None if value in (self.ALL, None) else value


class FrequencyCapForm(forms.ModelForm):
    class Meta:
        model = FrequencyCap
        fields = ["channel", "max_messages", "period_days", "active"]
        labels = {"channel": _("Channel")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [
            ("", _("All channels together")),
            *DeliveryChannel.choices,
        ]

    def clean(self):
        cleaned = super().clean()
        channel = cleaned.get("channel", "")
        days = cleaned.get("period_days")
        if days is not None:
            others = FrequencyCap.objects.filter(channel=channel or "", period_days=days)
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error(
                    "period_days",
                    _(
                        "There is already a cap over %(days)d days for this channel: "
                        "change that one instead."
                    )
                    % {"days": days},
                )
        return cleaned

    def validate_unique(self):
        """The clean() message above says it better than the constraint's."""


class QuietHoursForm(forms.ModelForm):
    class Meta:
        model = QuietHours
        fields = ["channel", "starts_at", "ends_at", "active"]
        widgets = {"starts_at": TIME, "ends_at": TIME}
        help_texts = {
            "starts_at": _("Local time (Asia/Shanghai). A window may span midnight."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["channel"].disabled = True

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts is not None and starts == ends:
            self.add_error(
                "ends_at", _("“From” and “until” are the same time: the window would be empty.")
            )
        channel = cleaned.get("channel")
        if channel and not self.instance.pk and QuietHours.objects.filter(channel=channel).exists():
            self.add_error(
                "channel", _("This channel has quiet hours already: change them instead.")
            )
        return cleaned

    def validate_unique(self):
        """Checked in clean() with a clearer message."""


class SourceKindClassForm(forms.Form):
    """One choice per registered kind of sender: its messages count against frequency
    caps (care and marketing) or are exempt (service the customer asked for)."""

    CHOICES = [
        ("care", _("Counts against caps (care and marketing)")),
        ("service", _("Exempt from caps (service the customer asked for)")),
    ]

    def __init__(self, *args, rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = list(rows)
        for row in self.rows:
            self.fields[f"kind_{row.key}"] = forms.ChoiceField(
                label=row.label,
                choices=self.CHOICES,
                initial=row.message_class,
                widget=forms.RadioSelect,
            )

    def bound_rows(self) -> list:
        """(row, bound field) per kind, for the template's table."""
        return [(row, self[f"kind_{row.key}"]) for row in self.rows]

    def counts(self) -> dict[str, bool]:
        return {row.key: self.cleaned_data[f"kind_{row.key}"] == "care" for row in self.rows}
