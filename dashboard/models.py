"""The care programme's targets, set by admins and drawn on the dashboard as lines."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
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
