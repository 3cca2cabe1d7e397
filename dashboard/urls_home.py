"""The home page (``/``, named ``home`` without a namespace: every template and the login
redirect reverse it) is the dashboard."""

from django.urls import path

from dashboard.views import home

urlpatterns = [
    path("", home.home, name="home"),
]
