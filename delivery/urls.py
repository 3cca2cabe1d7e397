"""Staff pages of the delivery engine, mounted at ``/delivery/``: one message with its
history, the operations page (with retry now), the caps and quiet-hours settings and the
opt-out staff record from a call."""

from django.urls import path

from delivery.views import operations, optout, sources

app_name = "delivery_ops"

urlpatterns = [
    path("", operations.operations_view, name="operations"),
    path("retry/", operations.retry_view, name="retry"),
    path("uncertain/", operations.uncertain_settle_view, name="uncertain"),
    path("messages/", sources.message_log_view, name="messages"),
    path("messages/<int:pk>/", operations.message_detail_view, name="message"),
    path("sources/<int:pk>/", sources.source_detail_view, name="source"),
    path("sources/<int:pk>/state/", sources.source_state_view, name="source-state"),
    path("messages/<int:pk>/requeue/", operations.message_requeue_view, name="message-requeue"),
    path("settings/", operations.delivery_settings_view, name="settings"),
    path("settings/caps/new/", operations.frequency_cap_edit_view, name="cap-create"),
    path("settings/caps/<int:pk>/", operations.frequency_cap_edit_view, name="cap-edit"),
    path(
        "settings/caps/<int:pk>/delete/",
        operations.frequency_cap_delete_view,
        name="cap-delete",
    ),
    path(
        "settings/quiet-hours/new/",
        operations.quiet_hours_edit_view,
        name="quiet-hours-create",
    ),
    path(
        "settings/quiet-hours/<int:pk>/",
        operations.quiet_hours_edit_view,
        name="quiet-hours-edit",
    ),
    path(
        "settings/classes/",
        operations.source_kind_classes_edit_view,
        name="kind-classes",
    ),
    path("customers/<int:customer_id>/opt-out/", optout.optout_view, name="optout"),
]
