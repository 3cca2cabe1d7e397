from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from budgets import api as budgets_api
from campaigns import api as campaigns_api
from carecrm.accounts.api import ObtainExpiringAuthToken
from carecrm.accounts.forms import LoginForm
from carecrm.accounts.views import SetPasswordDoneView, SetPasswordView
from carecrm.core import views as core_views
from customers import api as customers_api
from dashboard import api as dashboard_api
from delivery import api as delivery_api
from events import api as events_api
from events import api_guests as events_api_guests
from feedback import api as feedback_api
from feedback import api_items as feedback_api_items
from loyalty import api as loyalty_api
from segmentation import api as segmentation_api

api_router = DefaultRouter()
for app_api in (
    customers_api,
    segmentation_api,
    delivery_api,
    campaigns_api,
    budgets_api,
    events_api,
    events_api_guests,
    feedback_api,
    feedback_api_items,
    loyalty_api,
    dashboard_api,
):
    app_api.register(api_router)

urlpatterns = [
    path("", include("dashboard.urls_home")),
    path("health/", core_views.health, name="health"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/set-password/done/",
        SetPasswordDoneView.as_view(),
        name="set_password_done",
    ),
    path(
        "accounts/set-password/<uidb64>/<token>/",
        SetPasswordView.as_view(),
        name="set_password",
    ),
    path("settings/", include("carecrm.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("customers/", include("customers.urls")),
    path("segments/", include("segmentation.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("delivery/", include("delivery.urls")),
    path("events/", include("events.urls")),
    path("budgets/", include("budgets.urls")),
    path("feedback/", include("feedback.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("loyalty/", include("loyalty.urls")),
    path("", include("delivery.urls_public")),
    path("", include("events.urls_public")),
    path("", include("feedback.urls_public")),
    path("", include("carecrm.core.branding.urls")),
    path("notifications/", include("carecrm.core.notifications.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/delivery/", include("delivery.urls_webhooks")),
    path("api/v1/", include(api_router.urls)),
    path("api/v1/auth/token/", ObtainExpiringAuthToken.as_view(), name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "carecrm.core.errors.bad_request"
handler403 = "carecrm.core.errors.permission_denied"
handler404 = "carecrm.core.errors.page_not_found"
handler500 = "carecrm.core.errors.server_error"
