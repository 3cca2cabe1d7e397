"""Tier policy, scoring runs and tier history, saved segments, relationship managers and
risk alerts (care programme §2 and §4).

The derived figures themselves (RFM scores, tiers, levels, ...) live on
``customers.Customer`` and are written in bulk by ``segmentation.services.scoring``.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from carecrm.core.scoping import ScopeRule
from customers.models import (
    RfmSegment,  # noqa: F401  (re-exported: segmentation names it)
    ValueTier,
    VipLevel,
)

# Ordering used to tell an upgrade from a downgrade.
VALUE_TIER_RANK = {
    ValueTier.UNSCORED: 0,
    ValueTier.LOW: 1,
    ValueTier.POTENTIAL: 2,
    ValueTier.MEDIUM: 3,
    ValueTier.HIGH: 4,
}
VIP_LEVEL_RANK = {VipLevel.NORMAL: 0, VipLevel.SILVER: 1, VipLevel.GOLD: 2, VipLevel.DIAMOND: 3}
# care programme §2/§3: "VIP" means silver and up.
VIP_LEVELS = (VipLevel.SILVER, VipLevel.GOLD, VipLevel.DIAMOND)

_MONEY = {"max_digits": 14, "decimal_places": 2}


def _money(label, default):
    """An optional money threshold; empty disables the criterion."""
    return models.DecimalField(
        label,
        **_MONEY,
        default=default,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )


# Stored untranslated (the first version is created by a migration); shown translated.
DEFAULTS_NOTE = gettext_noop("Defaults from the care programme (§2)")


class TierPolicy(models.Model):
    """Every threshold of the scoring run. Rows are never edited: each save by an admin is
    a new ``version`` recording who changed which values (``changes``); the highest version
    is in force. The exact rules using these fields are in ``segmentation.services.scoring``
    and on the help page."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    # RFM and value tiers.
    window_days = models.PositiveIntegerField(
        _("scoring window (days)"),
        default=365,
        validators=[MinValueValidator(30), MaxValueValidator(1095)],
        help_text=_("Frequency, monetary value and spend-based rules look at this many days."),
    )
    high_spend_top_percent = models.PositiveSmallIntegerField(
        _("high value: top % by spend in the window"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    high_repurchase_rate = models.DecimalField(
        _("high value: repurchase rate above"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.5000"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("0.5 = 50 %"),
    )
    high_aov_multiple = models.DecimalField(
        _("high value: average order value above × mean"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.50"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    medium_min_purchases = models.PositiveSmallIntegerField(
        _("medium value: at least this many purchases in the window"),
        default=2,
        validators=[MinValueValidator(1)],
    )
    potential_intent_events = models.PositiveSmallIntegerField(
        _("potential value: at least this many intent events"),
        default=2,
        validators=[MinValueValidator(1)],
    )
    potential_intent_days = models.PositiveSmallIntegerField(
        _("potential value: intent events within (days)"),
        default=30,
        validators=[MinValueValidator(1)],
    )
    # Lifecycle.
    new_customer_months = models.PositiveSmallIntegerField(
        _("new customer: relationship under (months)"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    churn_days = models.PositiveSmallIntegerField(
        _("churn risk: no purchase for (days)"), default=90, validators=[MinValueValidator(7)]
    )
    falling_drop_percent = models.PositiveSmallIntegerField(
        _("churn risk: purchases fell by at least (%)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Purchases in the last churn period against the period before it."),
    )
    lost_days = models.PositiveIntegerField(
        _("lost: no purchase for (days)"), default=365, validators=[MinValueValidator(30)]
    )
    # VIP levels: a level is reached when ANY of its filled-in criteria is met.
    silver_annual_spend = _money(_("silver: spend in the window above (¥)"), Decimal("100000"))
    silver_monthly_spend = _money(_("silver: monthly average above (¥)"), Decimal("5000"))
    silver_purchases = models.PositiveIntegerField(
        _("silver: purchases in the window above"), default=10, null=True, blank=True
    )
    silver_loyalty = models.PositiveSmallIntegerField(
        _("silver: loyalty score above"),
        default=80,
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )
    gold_annual_spend = _money(_("gold: spend in the window above (¥)"), Decimal("200000"))
    gold_monthly_spend = _money(_("gold: monthly average above (¥)"), Decimal("15000"))
    gold_purchases = models.PositiveIntegerField(
        _("gold: purchases in the window above"), default=24, null=True, blank=True
    )
    gold_loyalty = models.PositiveSmallIntegerField(
        _("gold: loyalty score above"),
        default=None,
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )
    diamond_annual_spend = _money(_("diamond: spend in the window above (¥)"), Decimal("500000"))
    diamond_monthly_spend = _money(_("diamond: monthly average above (¥)"), None)
    diamond_purchases = models.PositiveIntegerField(
        _("diamond: purchases in the window above"), default=None, null=True, blank=True
    )
    diamond_loyalty = models.PositiveSmallIntegerField(
        _("diamond: loyalty score above"),
        default=None,
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )

    note = models.CharField(_("reason for the change"), max_length=300, blank=True)
    changes = models.JSONField(_("changed values"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    THRESHOLD_FIELDS = (
        "window_days",
        "high_spend_top_percent",
        "high_repurchase_rate",
        "high_aov_multiple",
        "medium_min_purchases",
        "potential_intent_events",
        "potential_intent_days",
        "new_customer_months",
        "churn_days",
        "falling_drop_percent",
        "lost_days",
        "silver_annual_spend",
        "silver_monthly_spend",
        "silver_purchases",
        "silver_loyalty",
        "gold_annual_spend",
        "gold_monthly_spend",
        "gold_purchases",
        "gold_loyalty",
        "diamond_annual_spend",
        "diamond_monthly_spend",
        "diamond_purchases",
        "diamond_loyalty",
    )

    class Meta:
        verbose_name = _("tier policy")
        verbose_name_plural = _("tier policies")
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lost_days__gt=models.F("churn_days")),
                name="tierpolicy_lost_after_churn",
                violation_error_message=_("“Lost” must need more days than “churn risk”."),
            ),
        ]

    def __str__(self) -> str:
        return _("Tier policy v%(version)s") % {"version": self.version}

    @property
    def note_text(self) -> str:
        """The reason in the reader's language when it is the built-in first version's."""
        return _(DEFAULTS_NOTE) if self.note == DEFAULTS_NOTE else self.note

    def thresholds(self) -> dict:
        return {name: getattr(self, name) for name in self.THRESHOLD_FIELDS}


class PreviewStatus(models.TextChoices):
    PENDING = "pending", _("Computing")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class PolicyPreview(models.Model):
    """What a draft policy would change, computed in the background (a million customers
    take longer than a web request may) without writing any customer. ``matrices`` holds
    ``{field: {"old|new": count}}``; the customers who would move are kept as
    :class:`PolicyPreviewMove` rows so each cell can be listed."""

    values = models.JSONField(_("draft thresholds"))
    status = models.CharField(
        _("status"), max_length=10, choices=PreviewStatus, default=PreviewStatus.PENDING
    )
    as_of = models.DateTimeField(_("as of"), null=True, blank=True)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    matrices = models.JSONField(_("moves"), default=dict, blank=True)
    failure = models.TextField(_("failure"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("tier policy preview")
        verbose_name_plural = _("tier policy previews")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_status_display()}"


class PolicyPreviewMove(models.Model):
    preview = models.ForeignKey(PolicyPreview, on_delete=models.CASCADE, related_name="moves")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=20)
    old_value = models.CharField(max_length=12)
    new_value = models.CharField(max_length=12)

    class Meta:
        indexes = [
            models.Index(
                fields=["preview", "field", "old_value", "new_value", "customer", "id"],
                name="previewmove_cell",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.field}: {self.old_value} → {self.new_value}"


class RunTrigger(models.TextChoices):
    NIGHTLY = "nightly", _("Nightly run")
    MANUAL = "manual", _("Started by hand")
    POLICY = "policy", _("New tier policy")
    LIVE = "live", _("New orders (live)")


class ScoringRun(models.Model):
    """One scoring run over all active customers and what it changed."""

    policy = models.ForeignKey(TierPolicy, on_delete=models.PROTECT, related_name="runs")
    trigger = models.CharField(_("trigger"), max_length=10, choices=RunTrigger)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    as_of = models.DateTimeField(_("as of"))
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    customers_scored = models.PositiveIntegerField(_("customers scored"), default=0)
    customers_changed = models.PositiveIntegerField(_("customers updated"), default=0)
    tier_changes = models.PositiveIntegerField(_("value tier changes"), default=0)
    level_changes = models.PositiveIntegerField(_("VIP level changes"), default=0)
    distribution = models.JSONField(_("distribution after the run"), default=dict, blank=True)
    # Where the run's ranks turned (see ``segmentation.services.scoring.cut_points``): live
    # scores place a customer among this run's customers without ranking everyone again.
    cut_points = models.JSONField(_("cut points"), default=dict, blank=True)

    class Meta:
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} {self.as_of:%Y-%m-%d %H:%M}"


class ChangedField(models.TextChoices):
    VALUE_TIER = "value_tier", _("Value tier")
    VIP_LEVEL = "vip_level", _("VIP level")


class Direction(models.TextChoices):
    UP = "up", _("Upgrade")
    DOWN = "down", _("Downgrade")


class TierChange(models.Model):
    """One customer's move between value tiers or VIP levels, with the figures that caused
    it (the reason) and the policy version and run that decided it."""

    SCOPE = ScopeRule(department="customer__department", owner="customer__relationship_manager")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="tier_changes"
    )
    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(_("what"), max_length=10, choices=ChangedField)
    old_value = models.CharField(_("from"), max_length=10)
    new_value = models.CharField(_("to"), max_length=10)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction)
    spend_window = models.DecimalField(_("spend in the window"), **_MONEY)
    purchases_window = models.PositiveIntegerField(_("purchases in the window"))
    loyalty_score = models.PositiveSmallIntegerField(_("loyalty score"))
    repurchase_rate = models.DecimalField(_("repurchase rate"), max_digits=5, decimal_places=4)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-changed_at"], name="tierchange_customer"),
            models.Index(fields=["run", "field"], name="tierchange_run_field"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.field}: {self.old_value} → {self.new_value}"

    def value_label(self, value: str) -> str:
        choices = ValueTier if self.field == ChangedField.VALUE_TIER else VipLevel
        return dict(choices.choices).get(value, value)

    @property
    def old_label(self) -> str:
        return self.value_label(self.old_value)

    @property
    def new_label(self) -> str:
        return self.value_label(self.new_value)


class SegmentKind(models.TextChoices):
    DYNAMIC = "dynamic", _("Dynamic (rules)")
    STATIC = "static", _("Static list")


class Segment(models.Model):
    """A saved audience. Dynamic segments hold validated ``rules`` (see
    ``segmentation.rules``); static ones wrap a ``customers.StaticList``. Members are read
    through ``segmentation.selectors.segment_customers`` only."""

    SCOPE = ScopeRule(department="department", owner="created_by")

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=SegmentKind)
    rules = models.JSONField(_("rules"), default=dict, blank=True)
    static_list = models.ForeignKey(
        "customers.StaticList",
        verbose_name=_("static list"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="segments",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Members come from this department's customers; empty = all departments."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    last_count = models.PositiveIntegerField(_("members at last count"), null=True, blank=True)
    last_counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "name"],
                name="segment_unique_name",
                violation_error_message=_("A segment with this name already exists."),
            ),
            models.CheckConstraint(
                condition=Q(kind="dynamic", static_list__isnull=True)
                | Q(kind="static", static_list__isnull=False),
                name="segment_static_has_list",
                violation_error_message=_("A static segment needs a list; a dynamic one none."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ManagerPolicy(models.Model):
    """Admin settings for relationship managers (care programme §4); one row, pk=1. The database
    triggers installed by migration 0002 read ``max_vips_per_manager`` from this table."""

    max_vips_per_manager = models.PositiveIntegerField(
        _("VIPs per relationship manager at most"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )
    coverage_min_level = models.CharField(
        _("monthly contact needed from level"),
        max_length=10,
        choices=[(level.value, level.label) for level in VIP_LEVELS],
        default=VipLevel.SILVER,
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("relationship manager policy")
        verbose_name_plural = _("relationship manager policies")

    def __str__(self) -> str:
        return str(_("Relationship manager policy"))


class RelationshipManager(models.Model):
    """A user who looks after VIPs. Auto-assignment spreads VIPs over the active managers
    of the customer's department, preferring those covering the customer's region."""

    SCOPE = ScopeRule(department="user__department", owner="user")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="relationship_manager_profile",
    )
    region = models.CharField(
        _("region"), max_length=50, blank=True, help_text=_("Empty: the whole department.")
    )
    accepts_new = models.BooleanField(_("takes new VIPs"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("relationship manager")
        verbose_name_plural = _("relationship managers")
        ordering = ["user__username"]

    def __str__(self) -> str:
        return str(self.user)


class CoverageReport(models.Model):
    """The monthly contact coverage of one manager's VIPs (care programme §3/§4: at least one real
    contact a month), frozen on the first day of the next month."""

    SCOPE = ScopeRule(department="department", owner="manager")

    month = models.DateField(_("month"), help_text=_("First day of the month"))
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("relationship manager"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="coverage_reports",
    )
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.CASCADE, related_name="+"
    )
    vip_count = models.PositiveIntegerField(_("VIPs"))
    contacted_count = models.PositiveIntegerField(_("contacted"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("coverage report")
        verbose_name_plural = _("coverage reports")
        ordering = ["-month", "manager_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "manager", "department"],
                condition=Q(manager__isnull=False),
                name="coverage_once_per_manager_month",
            ),
            models.UniqueConstraint(
                fields=["month", "department"],
                condition=Q(manager__isnull=True),
                name="coverage_once_unassigned_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.manager_id}"

    @property
    def overdue_count(self) -> int:
        return self.vip_count - self.contacted_count

    @property
    def coverage_percent(self) -> int:
        return 100 if not self.vip_count else round(100 * self.contacted_count / self.vip_count)


class RiskRuleKind(models.TextChoices):
    SPEND_DROP = "spend_drop", _("Spending fell")
    COMPLAINTS = "complaints", _("Complaints")
    NO_CONTACT = "no_contact", _("No contact")
    LOW_SURVEY = "low_survey", _("Low survey score")


class Severity(models.TextChoices):
    HIGH = "high", _("High risk")
    NORMAL = "normal", _("Normal")


class RiskRule(models.Model):
    """One churn early-warning rule (care programme §4); what ``threshold`` and ``period_days``
    mean depends on ``kind`` (see ``segmentation.services.alerts``)."""

    kind = models.CharField(_("rule"), max_length=12, choices=RiskRuleKind, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    threshold = models.DecimalField(
        _("threshold"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    period_days = models.PositiveSmallIntegerField(
        _("period (days)"), validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    severity = models.CharField(_("severity"), max_length=6, choices=Severity)
    min_level = models.CharField(
        _("applies from VIP level"), max_length=10, choices=VipLevel, default=VipLevel.NORMAL
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("risk rule")
        verbose_name_plural = _("risk rules")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class RiskAlert(models.Model):
    """A graded churn warning for one customer, to be answered by ``due_at`` (care programme §4:
    24 h, high risk 12 h); an open alert past its deadline escalates to a manager of the
    customer's department. At most one unresolved alert per customer and rule."""

    SCOPE = ScopeRule(department="customer__department", owner="assigned_to")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="risk_alerts"
    )
    rule = models.ForeignKey(RiskRule, on_delete=models.PROTECT, related_name="alerts")
    severity = models.CharField(_("severity"), max_length=6, choices=Severity)
    status = models.CharField(
        _("status"), max_length=12, choices=AlertStatus, default=AlertStatus.OPEN
    )
    detail = models.JSONField(_("figures"), default=dict, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="risk_alerts",
    )
    due_at = models.DateTimeField(_("respond by"))
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("escalated to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalated_alerts",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(_("resolution"), blank=True)
    created_at = models.DateTimeField(_("raised at"))

    class Meta:
        verbose_name = _("risk alert")
        verbose_name_plural = _("risk alerts")
        ordering = ["due_at", "id"]
        permissions = [("handle_riskalert", _("Can acknowledge and resolve risk alerts"))]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "rule"],
                condition=~Q(status="resolved"),
                name="riskalert_one_unresolved_per_rule",
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | ~Q(resolution_note=""),
                name="riskalert_resolved_has_note",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="riskalert_status_due"),
            models.Index(fields=["assigned_to", "status"], name="riskalert_assignee"),
            models.Index(fields=["escalated_to", "status"], name="riskalert_escalated"),
            # The inbox is read soonest due first, a keyset page at a time.
            models.Index(fields=["due_at", "id"], name="riskalert_due_id"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} · {self.customer}"
