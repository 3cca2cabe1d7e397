"""The one vocabulary of contact channels. Every app's channel choices are a named subset
of ``Channel`` (same values, same labels), so they can never drift apart:

- ``CONSENT_CHANNELS``: what a customer consents to be contacted on (``customers``);
- ``MESSAGE_CHANNELS``: what the delivery engine sends on (``delivery``);
- ``OFFLINE_CHANNELS``: touches made by a person, which become care tasks (``campaigns``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    WECOM = "wecom", _("WeCom")
    PUSH = "push", _("App push")
    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Visit")


MESSAGE_CHANNELS = (Channel.SMS, Channel.EMAIL, Channel.WECOM, Channel.PUSH)
CONSENT_CHANNELS = (*MESSAGE_CHANNELS, Channel.PHONE)
OFFLINE_CHANNELS = (Channel.PHONE, Channel.VISIT)


def channel_choices(name: str, members) -> type[models.TextChoices]:
    """A ``TextChoices`` holding ``members`` of ``Channel`` with their values and labels."""
    return models.TextChoices(name, [(m.name, (m.value, m.label)) for m in members])


MessageChannel = channel_choices("MessageChannel", MESSAGE_CHANNELS)
ConsentChannel = channel_choices("ConsentChannel", CONSENT_CHANNELS)
OfflineChannel = channel_choices("OfflineChannel", OFFLINE_CHANNELS)
