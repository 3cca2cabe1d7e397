"""Coupon batches and the coupons issued to customers."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.models.campaign import CareCampaign
from campaigns.models.choices import RedemptionSource
from carecrm.core.scoping import ScopeRule


class CouponBatch(models.Model):
    """The coupon a campaign hands out (care programme §3: a small no-threshold birthday coupon):
    one unique code per recipient and occurrence, valid ``valid_days`` from issue and never
    after ``expires_on``."""

    SCOPE = ScopeRule(department="campaign__department", owner="campaign__owner")

    campaign = models.OneToOneField(
        CareCampaign, on_delete=models.CASCADE, related_name="coupon_batch"
    )
    name = models.CharField(_("name"), max_length=100)
    value = models.DecimalField(
        _("value (CNY)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    min_spend = models.DecimalField(
        _("minimum spend (CNY)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("0 means no threshold."),
    )
    valid_days = models.PositiveSmallIntegerField(
        _("valid for (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    expires_on = models.DateField(_("never valid after"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("coupon batch")
        verbose_name_plural = _("coupon batches")
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="couponbatch_value_positive"),
            models.CheckConstraint(
                condition=Q(min_spend__gte=0), name="couponbatch_min_spend_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_threshold(self) -> bool:
        return self.min_spend > 0


class Coupon(models.Model):
    """One customer's coupon from one occurrence of a campaign. The code comes from
    ``secrets`` and is unique across all batches."""

    SCOPE = ScopeRule(department="customer__department", owner="customer__relationship_manager")

    batch = models.ForeignKey(CouponBatch, on_delete=models.CASCADE, related_name="coupons")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="coupons"
    )
    occurrence = models.DateField(_("occasion"))
    code = models.CharField(_("code"), max_length=20, unique=True)
    issued_at = models.DateTimeField(_("issued at"))
    expires_on = models.DateField(_("valid until"))
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True)
    order_no = models.CharField(_("order number"), max_length=64, blank=True)
    redeemed_amount = models.DecimalField(
        _("order amount (CNY)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    redemption_source = models.CharField(
        _("recorded via"), max_length=10, choices=RedemptionSource, blank=True
    )
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-issued_at", "-id"]
        permissions = [("redeem_coupon", _("Can record coupon redemptions"))]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "customer", "occurrence"], name="coupon_one_per_occurrence"
            )
        ]
        indexes = [
            models.Index(fields=["batch", "redeemed_at"], name="coupon_batch_redeemed"),
            models.Index(fields=["customer", "-issued_at"], name="coupon_customer"),
            # A campaign's coupons, the latest issued first a keyset page at a time.
            models.Index(fields=["batch", "issued_at", "id"], name="coupon_batch_issued"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_redeemed(self) -> bool:
        return self.redeemed_at is not None
