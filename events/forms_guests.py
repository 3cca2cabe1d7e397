"""The invitation's own words, edited on the guests tab."""

from django import forms

from events.models import Event


class InvitationTextsForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = ["invitation_text", "invitation_email_subject", "invitation_email_body"]
        widgets = {
            "invitation_text": forms.Textarea(attrs={"rows": 3}),
            "invitation_email_body": forms.Textarea(attrs={"rows": 5}),
        }
