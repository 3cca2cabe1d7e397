from django.urls import path

from feedback.views import items, results, surveys, targets

app_name = "feedback"

urlpatterns = [
    path("surveys/", surveys.survey_list, name="surveys"),
    path("surveys/new/", surveys.survey_create_view, name="survey-create"),
    path("surveys/<int:pk>/", surveys.survey_detail, name="survey"),
    path("surveys/<int:pk>/edit/", surveys.survey_edit, name="survey-edit"),
    path("surveys/<int:pk>/status/", surveys.survey_status, name="survey-status"),
    path("surveys/<int:pk>/questions/add/", surveys.question_add, name="question-add"),
    path("surveys/<int:pk>/invite/", surveys.survey_invite, name="survey-invite"),
    path("surveys/<int:pk>/remind/", surveys.survey_remind_view, name="survey-remind"),
    path("surveys/<int:pk>/answers/", surveys.response_entry, name="survey-entry"),
    path("questions/<int:pk>/edit/", surveys.question_edit, name="question-edit"),
    path("questions/<int:pk>/move/", surveys.question_move_view, name="question-move"),
    path("questions/<int:pk>/delete/", surveys.question_delete_view, name="question-delete"),
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
    path("items/mine/", items.item_list, {"mine": True}, name="my-items"),
    path("items/new/", items.item_create, name="item-create"),
    path("items/suggest/", items.item_suggest, name="item-suggest"),
    path("items/deadlines/", items.severity_deadlines, name="item-deadlines"),
    path("items/<int:pk>/", items.item_detail, name="item"),
] + [
    path(f"items/<int:pk>/{action}/", items.item_action, {"action": action}, name=f"item-{action}")
    for action in items.ACTIONS
]
