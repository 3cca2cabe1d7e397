"""Read-only admin: campaigns change only through their services (an edit must return an
approved campaign to draft, which a plain admin form would bypass)."""

from django.contrib import admin

from campaigns import models


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.CareCampaign)
class CareCampaignAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "status", "department", "owner", "priority", "created_at"]
    list_filter = ["status", "kind", "department"]
    search_fields = ["name"]


@admin.register(models.CampaignReview)
class CampaignReviewAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "review_round", "stage", "department", "reviewer", "decision"]
    list_filter = ["stage", "decision"]


@admin.register(models.CouponBatch)
class CouponBatchAdmin(ReadOnlyAdmin):
    list_display = ["name", "campaign", "value", "min_spend", "valid_days", "expires_on"]


@admin.register(models.Coupon)
class CouponAdmin(ReadOnlyAdmin):
    list_display = ["code", "batch", "customer", "occurrence", "expires_on", "redeemed_at"]
    search_fields = ["code"]
    raw_id_fields = ["customer"]


@admin.register(models.CareTask)
class CareTaskAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "customer", "channel", "due_on", "assigned_to", "status"]
    list_filter = ["status", "channel"]


@admin.register(models.TriggerEvent)
class TriggerEventAdmin(ReadOnlyAdmin):
    list_display = ["customer", "kind", "occurred_on", "source"]
    list_filter = ["kind"]
