"""Forms of the survey pages: input checks of one screen each; the rules live in the
services."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carecrm.accounts.models import Department
from carecrm.core.scoping import department_choices_for, visible_to
from customers.models import Customer
from events.models import Event
from feedback.models import Question, ResponseSource, Survey
from segmentation.forms import offer_segments

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class SurveyForm(forms.ModelForm):
    use_template = forms.BooleanField(
        label=_("Start from the kind's ready-made questions"), required=False, initial=True
    )

    class Meta:
        model = Survey
        fields = [
            "kind",
            "title",
            "title_en",
            "intro",
            "intro_en",
            "thanks",
            "thanks_en",
            "opens_at",
            "closes_at",
            "anonymous",
            "trigger",
            "trigger_delay_days",
            "target_segments",
            "event",
            "department",
        ]
        widgets = {
            "intro": forms.Textarea(attrs={"rows": 2}),
            "intro_en": forms.Textarea(attrs={"rows": 2}),
            "opens_at": DATETIME,
            "closes_at": DATETIME,
            "target_segments": forms.SelectMultiple(attrs={"size": 5}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False
        self.fields["title"].help_text = _("Empty: the ready-made title of the kind.")
        offer_segments(self.fields["target_segments"], user)
        self.fields["event"].queryset = visible_to(user, Event.objects.all()).order_by("-starts_at")
        self.fields["department"].queryset = department_choices_for(user, Department.objects.all())
        for name in ("opens_at", "closes_at"):
            self.fields[name].input_formats = DATETIME_FORMATS
        if self.instance.pk:
            del self.fields["use_template"]
            del self.fields["department"]
        else:
            self.initial.setdefault("department", user.department_id)

    def clean(self):
        data = super().clean()
        if not data.get("title") and not data.get("use_template"):
            self.add_error("title", _("Give the survey a title."))
        return data

    def service_fields(self) -> dict:
        skip = ("use_template", "target_segments", "department")
        return {k: v for k, v in self.cleaned_data.items() if k not in skip}


class QuestionForm(forms.ModelForm):
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For choice questions: one a line, Chinese | English."),
    )

    class Meta:
        model = Question
        fields = ["kind", "text", "text_en", "topic", "required"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["choices"] = "\n".join(
                f"{c.text} | {c.text_en}" if c.text_en else c.text
                for c in self.instance.choices.all()
            )

    def service_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "choices"}


class CustomerField(forms.CharField):
    """A customer of the user's visible ones, named by mobile or customer number."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("Customer (mobile or customer ID)"))
        kwargs.setdefault("max_length", 40)
        super().__init__(*args, **kwargs)


def find_customer(user, text: str) -> Customer | None:
    """A mobile (its last 11 digits) or a customer ID; None unless exactly one matches."""
    digits = (text or "").strip().replace(" ", "").replace("-", "").lstrip("+")
    if not digits.isdigit():
        return None
    query = Q(mobile__endswith=digits[-11:]) if len(digits) >= 11 else Q(pk=int(digits))
    matches = list(visible_to(user, Customer.objects.filter(query))[:2])
    return matches[0] if len(matches) == 1 else None


class InviteCustomerForm(forms.Form):
    customer = CustomerField()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_customer(self):
        customer = find_customer(self.user, self.cleaned_data["customer"])
        if customer is None:
            raise forms.ValidationError(_("No single customer you can see matches this."))
        return customer


class StaffEntryForm(InviteCustomerForm):
    source = forms.ChoiceField(
        label=_("Collected"),
        choices=[
            (ResponseSource.PHONE, ResponseSource.PHONE.label),
            (ResponseSource.FACE_TO_FACE, ResponseSource.FACE_TO_FACE.label),
        ],
    )
