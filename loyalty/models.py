"""Loyalty points and referrals.

Points live in a ledger: every change to a customer's points is one ``PointsEntry`` row
(earned on an order, reversed by a refund, a birthday or referral bonus, redeemed,
expired), never edited afterwards. ``PointsAccount.balance`` is the sum of the customer's
entries, kept in step in the same transaction as each entry under a row lock on the
account (``loyalty.services.ledger``), so it can be read without summing and two
redemptions cannot both spend the same points. Who referred whom is
``customers.Customer.referred_by``; the bonus for a referral is a ledger entry that the
database allows once per referred customer, ever.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecrm.core.scoping import ScopeRule
from customers.models import VipLevel

RATE = {"max_digits": 7, "decimal_places": 4}
RATE_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class LoyaltySettings(models.Model):
    """The programme's rules, set by an admin (one row)."""

    rate_normal = models.DecimalField(
        _("points per yuan, normal"), **RATE, default=Decimal("0.1"), validators=RATE_VALIDATORS
    )
    rate_silver = models.DecimalField(
        _("points per yuan, silver"), **RATE, default=Decimal("0.12"), validators=RATE_VALIDATORS
    )
    rate_gold = models.DecimalField(
        _("points per yuan, gold"), **RATE, default=Decimal("0.15"), validators=RATE_VALIDATORS
    )
    rate_diamond = models.DecimalField(
        _("points per yuan, diamond"), **RATE, default=Decimal("0.2"), validators=RATE_VALIDATORS
    )
    earn_since = models.DateField(
        _("orders earn points from"),
        null=True,
        blank=True,
        help_text=_("Orders placed before this day earn no points (the programme's start)."),
    )
    birthday_bonus = models.PositiveIntegerField(_("birthday bonus (points)"), default=200)
    birthday_min_level = models.CharField(
        _("lowest VIP level for the birthday bonus"),
        max_length=10,
        choices=VipLevel,
        default=VipLevel.SILVER,
    )
    referral_bonus = models.PositiveIntegerField(_("referral bonus (points)"), default=100)
    redeem_min_level = models.CharField(
        _("lowest VIP level that may redeem"),
        max_length=10,
        choices=VipLevel,
        default=VipLevel.SILVER,
    )
    expiry_months = models.PositiveSmallIntegerField(
        _("points expire after (months)"),
        default=24,
        validators=[MaxValueValidator(120)],
        help_text=_("0: points never expire."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("loyalty settings")
        verbose_name_plural = _("loyalty settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(rate_normal__gte=0)
                & Q(rate_silver__gte=0)
                & Q(rate_gold__gte=0)
                & Q(rate_diamond__gte=0),
                name="loyaltysettings_rates_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(expiry_months__lte=120), name="loyaltysettings_expiry_range"
            ),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    def rate_for(self, level: str) -> Decimal:
        return getattr(self, f"rate_{level}", self.rate_normal)


class PointsAccount(models.Model):
    """A customer's points balance: always the sum of the customer's ledger entries."""

    SCOPE = ScopeRule(department="customer__department", owner="customer__relationship_manager")

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="points_account",
    )
    balance = models.BigIntegerField(_("balance"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        permissions = [("redeem_points", _("Can redeem a customer's points"))]
        # The accounts list, biggest balance first a keyset page at a time.
        indexes = [models.Index(fields=["balance", "id"], name="points_account_balance")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.balance}"


class EntryKind(models.TextChoices):
    EARN = "earn", _("Purchase")
    CORRECTION = "correction", _("Order corrected")
    REVERSAL = "reversal", _("Refund")
    BIRTHDAY = "birthday", _("Birthday bonus")
    REFERRAL = "referral", _("Referral bonus")
    REDEMPTION = "redemption", _("Redeemed")
    EXPIRY = "expiry", _("Expired")


# Expiry is first in, first out. An entry with ``earned_at`` belongs to a lot of points
# dated then, which ages towards expiry: a purchase, its correction and the reversal of
# that purchase's refund (all dated by the purchase, so a lot never goes below zero), a
# bonus. An entry without consumes points, oldest lots first: a redemption, an expiry, and
# a refund whose purchase cannot be told.


class PointsEntry(models.Model):
    """One change to a customer's points. Rows are only ever added."""

    SCOPE = ScopeRule(department="customer__department", owner="customer__relationship_manager")

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="points_entries",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind)
    points = models.BigIntegerField(_("points"))
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # The date of the lot of points this entry adds to or takes back from (the purchase's
    # date); empty for an entry that consumes the oldest points (see above).
    earned_at = models.DateTimeField(_("counts from"), null=True, blank=True)
    order = models.ForeignKey(
        "customers.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="points_entries",
    )
    # A refund's reversal: the purchase it takes points back from, when it can be told.
    original_order = models.ForeignKey(
        "customers.Order",
        verbose_name=_("refunded order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rate = models.DecimalField(_("points per yuan"), **RATE, null=True, blank=True)
    # The order amount this entry accounts for (a correction follows a changed amount).
    basis = models.DecimalField(
        _("order amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    referral = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("referred customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referral_bonus_entries",
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    reward = models.CharField(_("reward"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(kind="earn"),
                name="points_earn_once_per_order",
                violation_error_message=_("This order has already earned points."),
            ),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(kind="reversal"),
                name="points_reversal_once_per_refund",
                violation_error_message=_("This refund has already taken points back."),
            ),
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(kind="referral"),
                name="points_referral_bonus_once",
                violation_error_message=_("The bonus for this referral was already granted."),
            ),
            models.UniqueConstraint(
                fields=["customer", "year"],
                condition=Q(kind="birthday"),
                name="points_birthday_once_a_year",
                violation_error_message=_("This year's birthday bonus was already granted."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["earn", "birthday", "referral"], points__gte=0)
                | Q(kind__in=["reversal", "redemption", "expiry"], points__lte=0)
                | Q(kind="correction"),
                name="points_entry_sign_by_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["earn", "reversal", "correction"]) | Q(order__isnull=False),
                name="points_order_entry_has_order",
            ),
            models.CheckConstraint(
                condition=~Q(kind="referral") | Q(referral__isnull=False),
                name="points_referral_entry_names_referral",
            ),
            models.CheckConstraint(
                condition=~Q(kind="birthday") | Q(year__isnull=False),
                name="points_birthday_entry_has_year",
            ),
            models.CheckConstraint(
                condition=~Q(kind="redemption") | Q(points__lt=0),
                name="points_redemption_spends_points",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at", "-id"], name="points_customer_recent"),
            models.Index(fields=["customer", "kind"], name="points_customer_kind"),
            models.Index(fields=["kind", "created_at"], name="points_kind_created"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.points:+d}"
