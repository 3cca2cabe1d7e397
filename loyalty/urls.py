from django.urls import path

from loyalty.views import points, referrals, settings

app_name = "loyalty"

urlpatterns = [
    path("", points.overview, name="overview"),
    path("customers/<int:customer_id>/", points.ledger, name="ledger"),
    path("customers/<int:customer_id>/redeem/", points.redeem, name="redeem"),
    path("customers/<int:customer_id>/referrer/", referrals.referrer_edit, name="referrer"),
    path("referrals/", referrals.referral_list_view, name="referrals"),
    path("referrals/managers/", referrals.referral_managers, name="referral-managers"),
    path("settings/", settings.settings_view, name="settings"),
]
