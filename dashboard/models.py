"""The care programme's targets, set by admins and drawn on the dashboard as lines, and
the recorded outcomes of campaign and event goals."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
