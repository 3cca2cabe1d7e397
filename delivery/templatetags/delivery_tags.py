from django import template

from delivery.models import MessageStatus
from delivery.selectors.messages import message_text_for_staff

register = template.Library()

MESSAGE_BADGES = {
    MessageStatus.QUEUED: "secondary",
    MessageStatus.SENDING: "info",
    MessageStatus.SENT: "primary",
    MessageStatus.DELIVERED: "success",
    MessageStatus.FAILED: "danger",
    MessageStatus.BOUNCED: "warning",
    MessageStatus.SUPPRESSED: "light",
}


@register.filter
def message_badge(status: str) -> str:
    """The Bootstrap colour of an outbox message's status badge."""
    return MESSAGE_BADGES.get(status, "secondary")


@register.filter
def channel_icon(channel: str) -> str:
    return {"sms": "chat-text", "email": "envelope", "wecom": "wechat", "push": "phone"}.get(
        channel, "send"
    )


@register.filter
def links_redacted(text) -> str:
    """A message text with the customer's signed links replaced by placeholders."""
    return message_text_for_staff("" if text is None else str(text))


@register.filter
def percent(value) -> str:
    """A rate (0–1) as a percentage; "—" when nothing it divides by has happened yet."""
    return "—" if value is None else f"{value * 100:.1f} %"


SOURCE_BADGES = {"active": "success", "paused": "warning", "cancelled": "secondary"}


@register.filter
def source_badge(state: str) -> str:
    return SOURCE_BADGES.get(state, "secondary")


@register.filter
def source_kind_label(key: str) -> str:
    """The registered label of a kind of sender (its key when no app registered it)."""
    from delivery.registry import source_kinds

    kind = source_kinds.get(key)
    return kind.label if kind else key
