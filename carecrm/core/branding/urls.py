from django.urls import path

from carecrm.core.branding import views

app_name = "brand"

urlpatterns = [
    path("settings/brand/", views.brand_settings_view, name="settings"),
    path("brand/logo/<slug:version>/", views.brand_logo_view, name="logo"),
]
