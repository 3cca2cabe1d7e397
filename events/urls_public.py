"""The guest's RSVP page (``/e/<token>/``), opened without logging in."""

from django.urls import path, re_path

from delivery.views.public import unknown_link_view
from events.views import public

app_name = "events_public"

urlpatterns = [
    path("e/<str:token>/", public.rsvp_view, name="rsvp"),
    re_path(r"^e/(?P<rest>.*)$", unknown_link_view),
]
