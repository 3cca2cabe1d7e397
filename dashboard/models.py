"""The care programme's targets, set by admins and drawn on the dashboard as lines, and
the recorded outcomes of campaign and event goals."""

import datetime as dt
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecrm.core.scoping import ScopeRule

_PERCENT = {
    "max_digits": 5,
    "decimal_places": 1,
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
}


class ProgrammeTargets(models.Model):
    """One row: the VIP programme's targets (care programme §2, §3, §7). Admins change
    them on the dashboard's settings page; nothing in the code assumes their values."""

    satisfaction_percent = models.DecimalField(
        _("satisfaction target (%)"),
        default=Decimal("90.0"),
        help_text=_("Share of satisfied answers (top two of five, or 9–10 of ten)."),
        **_PERCENT,
    )
    nps = models.DecimalField(
        _("NPS target"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("50.0"),
        validators=[MinValueValidator(Decimal("-100")), MaxValueValidator(Decimal("100"))],
    )
    vip_repurchase_percent = models.DecimalField(
        _("VIP repurchase rate target (%)"), default=Decimal("80.0"), **_PERCENT
    )
    vip_growth_percent = models.DecimalField(
        _("VIP count growth target (% a year)"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("5.0"),
        validators=[MinValueValidator(Decimal("-100"))],
    )
    vip_contact_percent = models.DecimalField(
        _("monthly VIP contact coverage target (%)"),
        default=Decimal("100.0"),
        help_text=_("Every VIP should have at least one real contact a month."),
        **_PERCENT,
    )
    churn_percent = models.DecimalField(
        _("churn rate ceiling (%)"),
        default=Decimal("10.0"),
        help_text=_("Churn above this is drawn red."),
        **_PERCENT,
    )
    referrals_per_vip = models.DecimalField(
        _("referrals per VIP a year"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("5.0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    updated_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("programme targets")
        verbose_name_plural = _("programme targets")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "ProgrammeTargets":
        targets, _created = cls.objects.get_or_create(pk=1)
        return targets


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly care report")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent")


class ReportDelivery(models.Model):
    """One emailed report: to whom, for which period and scope, and what became of it.
    Unique per recipient, period and kind, so a beat task that runs twice sends once;
    a failed send keeps its error and is tried again on the next run."""

    SCOPE = ScopeRule(department="department", owner="recipient")

    recipient = models.ForeignKey(
        "accounts.User",
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="report_deliveries",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every department (an administrator's report)."),
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=ReportKind, default=ReportKind.MONTHLY
    )
    period_start = models.DateField(_("first day"))
    period_end = models.DateField(_("day after the last"))
    email = models.EmailField(_("sent to"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "-pk"]
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        permissions = [("download_report", _("Can download care reports"))]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "period_start", "kind"],
                name="dashboard_one_report_per_recipient_and_period",
            )
        ]
        indexes = [models.Index(fields=["status", "attempts"], name="dashboard_delivery_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start:%Y-%m} → {self.recipient}"

    @property
    def period_last_day(self):
        return self.period_end - dt.timedelta(days=1)


class GoalKind(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    EVENT = "event", _("Event")


class GoalOutcome(models.Model):
    """Whether a campaign's or an event's goal was met, recorded the day after its
    deadline (``dashboard.record_goal_outcomes``) with the figure it was judged on, so
    that orders, scores or answers arriving later do not rewrite the result. It belongs
    to the goal as it stood: if the goal's metric, target or deadline is changed later,
    the outcome no longer applies and the goal is judged again at its new deadline."""

    kind = models.CharField(_("kind"), max_length=10, choices=GoalKind)
    campaign = models.OneToOneField(
        "campaigns.CareCampaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="goal_outcome",
    )
    event_goal = models.OneToOneField(
        "events.EventGoal",
        verbose_name=_("event goal"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outcome",
    )
    metric = models.CharField(_("metric"), max_length=20)
    baseline = models.DecimalField(
        _("baseline"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    deadline = models.DateField(_("deadline"))
    actual = models.DecimalField(_("actual"), max_digits=14, decimal_places=2)
    met = models.BooleanField(_("met"))
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        verbose_name = _("goal outcome")
        verbose_name_plural = _("goal outcomes")
        ordering = ["-deadline", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="campaign", campaign__isnull=False, event_goal__isnull=True)
                    | Q(kind="event", campaign__isnull=True, event_goal__isnull=False)
                ),
                name="goaloutcome_one_goal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.campaign_id or self.event_goal_id}: {self.met}"

    def applies_to(self, *, metric: str, target, deadline) -> bool:
        """Whether this outcome was decided for the goal as it stands now."""
        return self.metric == metric and self.target == target and self.deadline == deadline
