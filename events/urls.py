"""Staff pages of events. Each tab of an event has its own route; the public RSVP page is
in ``events.urls_public``."""

from django.urls import path

from events.views import events

app_name = "events"

urlpatterns = [
    path("", events.event_list, name="list"),
    path("<int:pk>/", events.event_detail, name="detail"),
    # tabs of one event (views owned by their modules; see events/views/)
    path("<int:pk>/timeline/", events.event_detail, name="timeline"),
    path("<int:pk>/team/", events.event_detail, name="team"),
    path("<int:pk>/guests/", events.event_detail, name="guests"),
    path("<int:pk>/check-in/", events.event_detail, name="checkin"),
    path("<int:pk>/budget/", events.event_detail, name="budget"),
    path("<int:pk>/review/", events.event_detail, name="review"),
]
