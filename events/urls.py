"""Staff pages of events. Each tab of an event has its own route; the public RSVP page is
in ``events.urls_public``."""

from django.urls import path

from events.views import events, review

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
    path("<int:pk>/review/", review.review_view, name="review"),
    path("<int:pk>/review/export.xlsx", review.review_xlsx, name="review_xlsx"),
    path("<int:pk>/review/report.pdf", review.review_pdf, name="review_pdf"),
]
