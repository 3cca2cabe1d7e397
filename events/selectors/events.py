"""Reading events within the user's scope."""

from carecrm.core.scoping import visible_to
from events.models import Event


def visible_events(user):
    return visible_to(user, Event.objects.select_related("department", "owner"))
