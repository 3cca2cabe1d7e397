from django import template

from campaigns.models import CampaignStatus

register = template.Library()

STATUS_BADGES = {
    CampaignStatus.DRAFT: "secondary",
    CampaignStatus.IN_REVIEW: "info",
    CampaignStatus.CHANGES_REQUESTED: "warning",
    CampaignStatus.APPROVED: "primary",
    CampaignStatus.ACTIVE: "success",
    CampaignStatus.PAUSED: "dark",
    CampaignStatus.FINISHED: "light",
}


@register.filter
def status_badge(status: str) -> str:
    """The Bootstrap colour of a campaign status badge."""
    return STATUS_BADGES.get(status, "secondary")


@register.filter
def get(mapping: dict, key):
    return mapping.get(key) if mapping else None


@register.filter
def percent(value) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


@register.filter
def sms_encoding(count) -> str:
    """An SMS count's encoding in words (never "UCS-2" / "GSM-7")."""
    from django.utils.translation import gettext as _

    if getattr(count, "encoding", "") == "GSM-7":
        return _("Latin letters only")
    return _("Chinese or other characters")


@register.filter
def sms_encoding_detail(count) -> str:
    """What the encoding means for the length: characters in one SMS, and per part when
    the message is split."""
    from django.utils.translation import gettext as _

    from campaigns.content import SMS_GSM_PART, SMS_GSM_SINGLE, SMS_UCS2_PART, SMS_UCS2_SINGLE

    if getattr(count, "encoding", "") == "GSM-7":
        single, part = SMS_GSM_SINGLE, SMS_GSM_PART
    else:
        single, part = SMS_UCS2_SINGLE, SMS_UCS2_PART
    return _("Up to %(single)d characters in one SMS; %(part)d per part when longer") % {
        "single": single,
        "part": part,
    }
