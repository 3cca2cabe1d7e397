"""The customer's survey page (``/q/<token>/``), opened without logging in."""

from django.urls import path, re_path

from delivery.views.public import unknown_link_view
from feedback.views import public

app_name = "feedback_public"

urlpatterns = [
    path("q/<str:token>/", public.answer_view, name="answer"),
    re_path(r"^q/(?P<rest>.*)$", unknown_link_view),
]
