from django.urls import path

from feedback.views import items, surveys

app_name = "feedback"

urlpatterns = [
    path("surveys/", surveys.survey_list, name="surveys"),
    path("items/", items.item_list, name="items"),
]
