"""Staff pages of events. Each tab of an event has its own route (see events/views/)."""

from django.urls import path

from events.views import budget, checkin, events, guests, review, team, timeline

app_name = "events"

urlpatterns = [
    path("", events.event_list_view, name="list"),
    path("new/", events.event_create_view, name="create"),
    path("my-tasks/", team.my_tasks_view, name="my-tasks"),
    path("<int:pk>/", events.event_detail_view, name="detail"),
    path("<int:pk>/edit/", events.event_edit_view, name="edit"),
    path("<int:pk>/approve/", events.event_approve_view, name="approve"),
    path("<int:pk>/open/", events.event_open_view, name="open"),
    path("<int:pk>/held/", events.event_held_view, name="held"),
    path("<int:pk>/cancel/", events.event_cancel_view, name="cancel"),
    # tabs of one event
    path("<int:pk>/timeline/", timeline.timeline_view, name="timeline"),
    path("<int:pk>/timeline/generate/", timeline.timeline_generate_view, name="timeline-generate"),
    path("<int:pk>/milestones/new/", timeline.milestone_create_view, name="milestone-create"),
    path("milestones/<int:pk>/", timeline.milestone_edit_view, name="milestone"),
    path("milestones/<int:pk>/delete/", timeline.milestone_delete_view, name="milestone-delete"),
    path("<int:pk>/team/", team.team_view, name="team"),
    path("<int:pk>/team/add/", team.member_add_view, name="member-add"),
    path("team-members/<int:pk>/remove/", team.member_remove_view, name="member-remove"),
    path("<int:pk>/tasks/new/", team.task_create_view, name="task-create"),
    path("tasks/<int:pk>/", team.task_edit_view, name="task"),
    path("tasks/<int:pk>/status/", team.task_status_view, name="task-status"),
    path("tasks/<int:pk>/delete/", team.task_delete_view, name="task-delete"),
    path("<int:pk>/budget/", budget.budget_view, name="budget"),
    path("<int:pk>/budget/create/", budget.budget_create_view, name="budget-create"),
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
    path("<int:pk>/review/", review.review_view, name="review"),
    path("<int:pk>/review/export.xlsx", review.review_xlsx, name="review_xlsx"),
    path("<int:pk>/review/report.pdf", review.review_pdf, name="review_pdf"),
]
