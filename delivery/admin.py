"""Read-only operator views of the delivery tables. Every change goes through delivery's
services (caps and quiet hours audited, messages moved only by the engine's state
machine), never through a plain admin form."""

from django.contrib import admin

from delivery import models


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.MessageSource)
class MessageSourceAdmin(ReadOnlyAdmin):
    list_display = ["label", "kind", "object_id", "department", "state", "created_at"]
    list_filter = ["kind", "state", "department"]
    search_fields = ["label"]


class MessageEventInline(admin.TabularInline):
    model = models.MessageEvent
    fields = ["at", "kind", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "source",
        "customer",
        "channel",
        "message_class",
        "status",
        "reason",
        "planned_on",
        "attempts",
        "sent_at",
    ]
    list_filter = ["status", "channel", "message_class", "reason", "source__kind"]
    list_select_related = ["source", "customer"]
    raw_id_fields = ["source", "customer"]
    search_fields = ["provider_id", "=id"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    # The address and the text are personal data: shown on the message page, masked
    # for users without the PII permission and audited there.
    exclude = ["address", "body", "html_body", "subject", "links", "claim"]
    inlines = [MessageEventInline]


@admin.register(models.FrequencyCap)
class FrequencyCapAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "channel", "max_messages", "period_days", "active", "updated_at"]


@admin.register(models.QuietHours)
class QuietHoursAdmin(ReadOnlyAdmin):
    list_display = ["channel", "starts_at", "ends_at", "active", "updated_at"]


@admin.register(models.SourceKindClass)
class SourceKindClassAdmin(ReadOnlyAdmin):
    list_display = ["kind", "counts_against_caps", "updated_at", "updated_by"]


@admin.register(models.Unsubscribe)
class UnsubscribeAdmin(ReadOnlyAdmin):
    list_display = ["customer", "channel", "care_kind", "source", "created_at"]
    list_filter = ["source", "channel", "care_kind"]
    raw_id_fields = ["customer", "message", "recorded_by"]


@admin.register(models.DispatchRun)
class DispatchRunAdmin(ReadOnlyAdmin):
    list_display = ["day", "started_at", "finished_at", "queued", "suppressed"]
