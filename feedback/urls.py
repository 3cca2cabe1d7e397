from django.urls import path

from feedback.views import items, surveys

app_name = "feedback"

urlpatterns = [
    path("surveys/", surveys.survey_list, name="surveys"),
    path("items/", items.item_list, name="items"),
    path("items/mine/", items.item_list, {"mine": True}, name="my-items"),
    path("items/new/", items.item_create, name="item-create"),
    path("items/suggest/", items.item_suggest, name="item-suggest"),
    path("items/deadlines/", items.severity_deadlines, name="item-deadlines"),
    path("items/<int:pk>/", items.item_detail, name="item"),
] + [
    path(f"items/<int:pk>/{action}/", items.item_action, {"action": action}, name=f"item-{action}")
    for action in items.ACTIONS
]
