"""``{% notification_bell %}``: the bell in the navigation bar with the unread count and
the latest notices (two queries, only on pages that show the bar)."""

from django import template

from carecrm.core.notifications.selectors import notifications_for, unread_count

register = template.Library()

LATEST = 5


@register.inclusion_tag("core/_notification_bell.html", takes_context=True)
def notification_bell(context) -> dict:
    user = context["request"].user
    return {"unread": unread_count(user), "latest": list(notifications_for(user)[:LATEST])}
