"""``{% notification_bell %}``: the bell in the navigation bar with the unread count and
the latest notices (one query, only on pages that show the bar)."""

from django import template

from carecrm.core.notifications.selectors import bell

register = template.Library()

LATEST = 5


@register.inclusion_tag("core/_notification_bell.html", takes_context=True)
def notification_bell(context) -> dict:
    user = context["request"].user
    unread, latest = bell(user, latest=LATEST)
    return {"unread": unread, "latest": latest}
