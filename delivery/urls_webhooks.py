"""Provider webhooks, mounted at ``/api/v1/delivery/`` (signed, no login)."""

from django.urls import path

from delivery.views import webhooks

app_name = "delivery_webhooks"

urlpatterns = [
    path("receipts/<str:channel>/", webhooks.receipts_view, name="receipts"),
    path("inbound/sms/", webhooks.inbound_sms_view, name="inbound_sms"),
]
