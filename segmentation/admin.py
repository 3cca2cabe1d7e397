from django.contrib import admin

from segmentation.models import (
    CoverageReport,
    ManagerPolicy,
    RelationshipManager,
    RiskAlert,
    RiskRule,
    ScoringRun,
    Segment,
    TierPolicy,
)


@admin.register(TierPolicy)
class TierPolicyAdmin(admin.ModelAdmin):
    """Read-only here: a new version is saved from the tier policy page, with a preview."""

    list_display = ("version", "created_at", "created_by", "note")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ScoringRun)
class ScoringRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "trigger", "policy", "customers_scored", "customers_changed")
    list_filter = ("trigger",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "department", "last_count", "updated_at")
    list_filter = ("kind", "department")
    search_fields = ("name",)
    readonly_fields = ("rules",)


@admin.register(ManagerPolicy)
class ManagerPolicyAdmin(admin.ModelAdmin):
    list_display = ("max_vips_per_manager", "coverage_min_level", "updated_at")

    def has_add_permission(self, request):
        return not ManagerPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RelationshipManager)
class RelationshipManagerAdmin(admin.ModelAdmin):
    list_display = ("user", "region", "accepts_new")
    list_filter = ("accepts_new",)


@admin.register(RiskRule)
class RiskRuleAdmin(admin.ModelAdmin):
    list_display = ("kind", "enabled", "threshold", "period_days", "severity", "min_level")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RiskAlert)
class RiskAlertAdmin(admin.ModelAdmin):
    list_display = ("customer", "rule", "severity", "status", "assigned_to", "due_at")
    list_filter = ("status", "severity", "rule")
    raw_id_fields = ("customer", "assigned_to", "escalated_to")

    def has_add_permission(self, request):
        return False


@admin.register(CoverageReport)
class CoverageReportAdmin(admin.ModelAdmin):
    list_display = ("month", "manager", "department", "vip_count", "contacted_count")
    list_filter = ("month",)
