from django.urls import path

from feedback.views import items, results, surveys, targets

app_name = "feedback"

urlpatterns = [
    path("surveys/", surveys.survey_list, name="surveys"),
    path("items/", items.item_list, name="items"),
    path("surveys/<int:pk>/results/", results.survey_results_view, name="survey-results"),
    path(
        "surveys/<int:pk>/results/export.csv", results.survey_results_csv, name="survey-results-csv"
    ),
    path(
        "surveys/<int:pk>/results/export.xlsx",
        results.survey_results_xlsx,
        name="survey-results-xlsx",
    ),
    path("satisfaction/", results.satisfaction_view, name="satisfaction"),
    path("targets/", targets.targets_view, name="targets"),
    path("targets/handled/", targets.targets_handled, name="targets-handled"),
    path("targets/satisfaction/", targets.targets_satisfaction, name="targets-satisfaction"),
    path("targets/vip-coverage/", targets.targets_vip, name="targets-vip"),
]
