from django import template

from carecrm.money import format_yuan

register = template.Library()


@register.filter(name="yuan")
def yuan_filter(value) -> str:
    """``{{ amount|yuan }}`` → ¥1,234.50; an unknown amount shows as a dash."""
    if value is None or value == "":
        return "—"
    return format_yuan(value)
