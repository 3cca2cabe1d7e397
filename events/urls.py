"""Staff pages of events. Each tab of an event has its own route; the public RSVP page is
in ``events.urls_public``."""

from django.urls import path

from events.views import checkin, events, guests, review

app_name = "events"

urlpatterns = [
    path("", events.event_list, name="list"),
    path("<int:pk>/", events.event_detail, name="detail"),
    # tabs of one event (views owned by their modules; see events/views/)
    path("<int:pk>/timeline/", events.event_detail, name="timeline"),
    path("<int:pk>/team/", events.event_detail, name="team"),
    path("<int:pk>/guests/", guests.guests_tab, name="guests"),
    path("<int:pk>/guests/invite/", guests.guests_invite, name="guests-invite"),
    path("<int:pk>/guests/add/", guests.guest_add, name="guests-add"),
    path("<int:pk>/guests/remind/", guests.guests_reminder, name="guests-remind"),
    path("<int:pk>/guests/export/", guests.guests_export, name="guests-export"),
    path("<int:pk>/guests/texts/", guests.invitation_texts, name="guests-texts"),
    path("<int:pk>/check-in/", checkin.checkin_page, name="checkin"),
    path("<int:pk>/check-in/counter/", checkin.checkin_counter, name="checkin-counter"),
    path("<int:pk>/check-in/walk-in/", checkin.walk_in, name="checkin-walk-in"),
    # the page a guest's QR code opens (pk: the guest)
    path("guests/<int:pk>/check-in/", checkin.guest_checkin, name="guest-checkin"),
    path("<int:pk>/budget/", events.event_detail, name="budget"),
    path("<int:pk>/review/", review.review_view, name="review"),
    path("<int:pk>/review/export.xlsx", review.review_xlsx, name="review_xlsx"),
    path("<int:pk>/review/report.pdf", review.review_pdf, name="review_pdf"),
]
