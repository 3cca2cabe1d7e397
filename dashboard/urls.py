from django.urls import path

from dashboard.views import goals

app_name = "dashboard"

urlpatterns = [
    path("goals/", goals.goal_list, name="goals"),
]
