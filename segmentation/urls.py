from django.urls import path

from segmentation.views import alerts, managers, policy, segments, trends

app_name = "segmentation"

urlpatterns = [
    path("", segments.segment_list, name="list"),
    path("new/", segments.segment_create, name="create"),
    path("count/", segments.segment_live_count, name="live-count"),
    path("<int:pk>/", segments.segment_detail, name="detail"),
    path("<int:pk>/edit/", segments.segment_edit, name="edit"),
    path("<int:pk>/delete/", segments.segment_remove, name="delete"),
    path("<int:pk>/export.csv", segments.segment_export_csv, name="export"),
    path("<int:pk>/export.xlsx", segments.segment_export_xlsx_view, name="export-xlsx"),
    path("<int:pk>/trends/", trends.segment_trends_view, name="trends"),
    path("<int:pk>/trends/export/", trends.segment_trends_download, name="trends-export"),
    path("policy/", policy.policy_detail, name="policy"),
    path("policy/edit/", policy.policy_edit, name="policy-edit"),
    path("policy/run/", policy.policy_run_now, name="policy-run"),
    path("policy/preview/<int:pk>/", policy.policy_preview_status, name="policy-preview-status"),
    path(
        "policy/preview/<int:pk>/<str:column>/",
        policy.policy_preview_members,
        name="policy-preview-members",
    ),
    path("help/", policy.rules_help, name="help"),
    path("managers/", managers.manager_list, name="managers"),
    path("vips/", managers.vip_list, name="vips"),
    path("vips/auto-assign/", managers.vip_auto_assign, name="vips-auto-assign"),
    path("vips/<int:pk>/", managers.vip_detail, name="vip"),
    path("coverage/", managers.coverage, name="coverage"),
    path("alerts/", alerts.alert_inbox, name="alerts"),
    path("alerts/bulk/", alerts.alert_bulk, name="alerts-bulk"),
    path("alerts/<int:pk>/", alerts.alert_detail, name="alert"),
    path("alerts/<int:pk>/acknowledge/", alerts.alert_acknowledge_view, name="alert-acknowledge"),
    path("alerts/<int:pk>/resolve/", alerts.alert_resolve_view, name="alert-resolve"),
    path("alerts/rules/", alerts.risk_rules, name="risk-rules"),
]
