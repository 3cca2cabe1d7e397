"""Free texts in pages as the viewer may see them (``customers.privacy``)."""

from django import template

from customers.privacy import text_for

register = template.Library()


@register.filter(name="text_for")
def text_for_filter(text, user) -> str:
    """``{{ message.error|text_for:user }}``: contacts inside the text masked unless the
    user holds the PII permission."""
    return text_for(user, "" if text is None else str(text))
