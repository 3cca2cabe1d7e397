from django.urls import path

from dashboard.views import targets

app_name = "dashboard"

urlpatterns = [
    path("settings/", targets.targets_edit, name="targets"),
]
