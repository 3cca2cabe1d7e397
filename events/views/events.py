from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render

from carecrm.core.scoping import get_visible_or_404
from events.selectors.events import visible_events


@login_required
@permission_required("events.view_event", raise_exception=True)
def event_list(request):
    return render(request, "events/event_list.html", {"events": visible_events(request.user)[:200]})


@login_required
@permission_required("events.view_event", raise_exception=True)
def event_detail(request, pk: int):
    event = get_visible_or_404(request.user, visible_events(request.user), pk=pk)
    return render(request, "events/event_detail.html", {"event": event})
