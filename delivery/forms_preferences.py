"""Forms of the customer-facing unsubscribe and preference pages and of the staff
opt-out page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import ConsentMethod
from delivery.models import CareKind, DeliveryChannel, Unsubscribe
from delivery.selectors.preferences import PreferenceState


class UnsubscribeChoice:
    CHANNEL = "channel"
    KIND = "kind"
    ALL = "all"


class UnsubscribeForm(forms.Form):
    choice = forms.ChoiceField(
        choices=[
            (UnsubscribeChoice.CHANNEL, _("This channel")),
            (UnsubscribeChoice.KIND, _("This kind of care")),
            (UnsubscribeChoice.ALL, _("Everything")),
        ]
    )


class PreferencesForm(forms.Form):
    """One switch per channel and per kind of care, and "nothing at all"."""

    all_off = forms.BooleanField(label=_("Send me no care messages at all"), required=False)

    def __init__(self, *args, state: PreferenceState, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("all_off", state.all_off)
        for channel in DeliveryChannel:
            name = f"channel_{channel.value}"
            self.fields[name] = forms.BooleanField(label=channel.label, required=False)
            self.initial.setdefault(name, state.channels.get(channel.value, False))
        for kind in CareKind:
            name = f"kind_{kind.value}"
            self.fields[name] = forms.BooleanField(label=kind.label, required=False)
            self.initial.setdefault(name, state.kinds.get(kind.value, True))

    def channel_fields(self):
        return [self[f"channel_{channel.value}"] for channel in DeliveryChannel]

    def kind_fields(self):
        return [self[f"kind_{kind.value}"] for kind in CareKind]

    def choices(self) -> dict:
        data = self.cleaned_data
        return {
            "channels": {c.value: data[f"channel_{c.value}"] for c in DeliveryChannel},
            "kinds": {k.value: data[f"kind_{k.value}"] for k in CareKind},
            "all_off": data["all_off"],
        }


class OptOutForm(forms.Form):
    """What a customer refused on a call (or in person), as staff record it."""

    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[("", _("All channels")), *DeliveryChannel.choices],
        required=False,
    )
    care_kind = forms.ChoiceField(
        label=_("Kind of care"),
        choices=[("", _("All kinds of care")), *CareKind.choices],
        required=False,
    )
    method = forms.ChoiceField(
        label=_("How the customer told us"),
        choices=[
            (ConsentMethod.CALL, ConsentMethod.CALL.label),
            (ConsentMethod.STAFF, ConsentMethod.STAFF.label),
        ],
        initial=ConsentMethod.CALL,
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class UnsubscribeField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unsubscribe) -> str:
        channel = obj.get_channel_display() if obj.channel else _("All channels")
        kind = obj.get_care_kind_display() if obj.care_kind else _("All kinds of care")
        return f"{channel} · {kind}"


class ResubscribeForm(forms.Form):
    unsubscribe = UnsubscribeField(
        label=_("Refusal to remove"), queryset=Unsubscribe.objects.none()
    )
    note = forms.CharField(
        label=_("When and how the customer asked"),
        max_length=200,
        help_text=_("Only remove a refusal when the customer asked for it."),
    )

    def __init__(self, *args, unsubscribes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unsubscribe"].queryset = unsubscribes
