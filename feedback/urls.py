from django.urls import path

from feedback.views import items, surveys

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
]
