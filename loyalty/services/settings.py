"""The programme's rules: admins set them, every change is audited. A new rate applies to
points recorded from then on; points already in the ledger never change."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from customers.models import VipLevel
from loyalty.models import LoyaltySettings

RATE_FIELDS = ("rate_normal", "rate_silver", "rate_gold", "rate_diamond")
POINT_FIELDS = ("birthday_bonus", "referral_bonus")
LEVEL_FIELDS = ("birthday_min_level", "redeem_min_level")
FIELDS = (*RATE_FIELDS, "earn_since", *POINT_FIELDS, *LEVEL_FIELDS, "expiry_months")
MAX_BONUS = 1_000_000
MAX_RATE = Decimal("100")


def _rate(value, field: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, TypeError):
        raise ValidationError(
            {field: _("Enter points per yuan, such as 0.1 (1 point for every ¥10).")}
        ) from None
    if not number.is_finite() or number < 0:
        raise ValidationError({field: _("A rate cannot be negative.")})
    if number > MAX_RATE:
        raise ValidationError({field: _("A rate above 100 points per yuan is surely a typo.")})
    if number != number.quantize(Decimal("0.0001")):
        raise ValidationError({field: _("A rate has at most four decimal places.")})
    return number.quantize(Decimal("0.0001"))


def _whole(value, field: str, *, maximum: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError({field: _("Enter a whole number.")}) from None
    if not 0 <= number <= maximum:
        raise ValidationError({field: _("Enter a number from 0 to %(max)s.") % {"max": maximum}})
    return number


def _level(value, field: str) -> str:
    if value not in VipLevel.values:
        raise ValidationError({field: _("Choose a VIP level.")})
    return value


def _day(value, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: _("Enter a date such as 2025-01-01.")}) from None


@transaction.atomic
def loyalty_settings_update(*, user, values: dict) -> LoyaltySettings:
    """Change the rules given in ``values`` (any of ``FIELDS``); admins only."""
    if not user.is_admin_role:
        raise PermissionDenied(_("Only an administrator can change the loyalty rules."))
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown setting: %(names)s") % {"names": ", ".join(sorted(unknown))}
        )
    current = (
        LoyaltySettings.objects.select_for_update().order_by("pk").first() or LoyaltySettings()
    )
    cleaned: dict = {}
    for name, value in values.items():
        if name in RATE_FIELDS:
            cleaned[name] = _rate(value, name)
        elif name in POINT_FIELDS:
            cleaned[name] = _whole(value, name, maximum=MAX_BONUS)
        elif name in LEVEL_FIELDS:
            cleaned[name] = _level(value, name)
        elif name == "expiry_months":
            cleaned[name] = _whole(value, name, maximum=120)
        else:
            cleaned[name] = _day(value, name)
    before = {name: str(getattr(current, name)) for name in FIELDS}
    for name, value in cleaned.items():
        setattr(current, name, value)
    current.updated_by = user
    current.save()
    after = {name: str(getattr(current, name)) for name in FIELDS}
    audit_record(
        actor=user,
        action=AuditAction.CHANGE,
        obj=current,
        detail={
            "before": {k: v for k, v in before.items() if after[k] != v},
            "after": {k: v for k, v in after.items() if before[k] != v},
        },
    )
    return current
