from django.urls import path

from dashboard.views import goals, home, reports, targets

app_name = "dashboard"

urlpatterns = [
    path("reports/", reports.reports_page, name="reports"),
    path("reports/download.pdf", reports.report_download, {"kind": "pdf"}, name="report-pdf"),
    path("reports/download.xlsx", reports.report_download, {"kind": "xlsx"}, name="report-xlsx"),
    path("reports/deliveries/<int:pk>/send/", reports.delivery_send, name="report-delivery-send"),
    path("goals/", goals.goal_list, name="goals"),
    path("settings/", targets.targets_edit, name="targets"),
    path("work/", home.work_today, name="work"),
]
