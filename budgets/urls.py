from django.urls import path

from budgets.views import overview

app_name = "budgets"

urlpatterns = [
    path("", overview.budget_overview, name="overview"),
]
