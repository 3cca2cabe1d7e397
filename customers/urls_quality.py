"""URLs of the data quality and privacy screens (under /customers/quality/)."""

from django.urls import path

from customers.views import quality

urlpatterns = [
    path("duplicates/", quality.duplicates, name="duplicates"),
    path("merge/<int:pk>/<int:other_pk>/", quality.merge, name="merge"),
    path("verifications/", quality.verifications, name="verifications"),
    path(
        "verifications/<int:pk>/",
        quality.verification_record_view,
        name="verification-record",
    ),
    path("unreachable/", quality.unreachable, name="unreachable"),
    path("policy/", quality.policy, name="quality-policy"),
    path("policy/draw/", quality.policy_draw_now, name="quality-policy-draw"),
    path("customer/<int:pk>/personal-data/", quality.personal_data_export, name="pii-export"),
    path("customer/<int:pk>/anonymise/", quality.anonymise, name="anonymise"),
    path("customer/<int:pk>/audit/", quality.customer_audit, name="audit"),
    path("audit/", quality.audit_log, name="audit-log"),
]
