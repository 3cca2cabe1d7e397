from django.urls import path

from events.views import events

app_name = "events"

urlpatterns = [
    path("", events.event_list, name="list"),
    path("<int:pk>/", events.event_detail, name="detail"),
]
