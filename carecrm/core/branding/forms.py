"""The admin's brand form. A valid logo chosen alongside a mistake elsewhere is carried
in a hidden field, so fixing the mistake does not mean choosing the file again."""

import base64
import binascii

from django import forms
from django.utils.translation import gettext_lazy as _

from carecrm.core.branding.validation import (
    logo_content_type,
    logo_size_check,
    sms_signature_clean,
)
from carecrm.header_text import refuse_control_characters


class SenderBrandForm(forms.Form):
    company_name = forms.CharField(
        label=_("Company name"),
        max_length=60,
        validators=[refuse_control_characters],  # the email From header carries it
        help_text=_("Shown on the pages customers open from a message and as the email sender."),
    )
    sms_signature = forms.CharField(
        label=_("SMS signature"),
        required=False,
        max_length=40,
        strip=False,
        help_text=_(
            "2 to 16 characters, without 【】, exactly as registered with the SMS provider. "
            "Every SMS must then start or end with it."
        ),
    )
    contact_line = forms.CharField(
        label=_("Contact line"),
        required=False,
        max_length=120,
        help_text=_("Optional, e.g. a hotline and its hours; shown in page and email footers."),
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        help_text=_("PNG, JPEG or WebP, at most 256 KB and 1024×1024 pixels."),
    )
    pending_logo = forms.CharField(required=False, widget=forms.HiddenInput)
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    def clean_sms_signature(self) -> str:
        return sms_signature_clean(self.cleaned_data["sms_signature"])

    def clean_logo(self) -> bytes | None:
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        logo_size_check(upload.size)  # before reading a large file into memory
        data = upload.read()
        logo_content_type(data)
        return data

    def clean_pending_logo(self) -> bytes | None:
        value = self.cleaned_data.get("pending_logo")
        if not value:
            return None
        try:
            data = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
        try:
            logo_content_type(data)
        except forms.ValidationError:
            return None
        return data

    def chosen_logo(self) -> bytes | None:
        """The new logo: uploaded now, or kept from a submission that had a mistake."""
        return self.cleaned_data.get("logo") or self.cleaned_data.get("pending_logo")

    def kept_logo(self) -> dict | None:
        """A valid logo of this submission when the form comes back with errors:
        ``{"base64": …, "data_url": …}`` for the hidden field and the preview."""
        if (
            not self.is_bound
            or not hasattr(self, "cleaned_data")
            or self.cleaned_data.get("remove_logo")
        ):
            return None
        data = self.chosen_logo()
        if not data:
            return None
        encoded = base64.b64encode(data).decode()
        return {"base64": encoded, "data_url": f"data:{logo_content_type(data)};base64,{encoded}"}
