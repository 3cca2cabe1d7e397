from django.urls import path

from dashboard.views import home, targets

app_name = "dashboard"

urlpatterns = [
    path("settings/", targets.targets_edit, name="targets"),
    path("work/", home.work_today, name="work"),
]
