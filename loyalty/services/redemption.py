"""Redeeming points (issue 17): staff spend a customer's points on a reward.

The check and the spending happen under the row lock on the customer's account: two
redemptions at the same moment (two staff, two tabs, an API client retrying) run one
after the other, and the second sees the balance the first left — it can never spend
points that are gone.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from carecrm.core.scoping import visible_to
from customers.models import Customer, CustomerStatus, VipLevel
from loyalty.models import EntryKind, PointsEntry
from loyalty.selectors.settings import level_rank, loyalty_settings
from loyalty.services.ledger import accounts_lock, entries_post

REDEEM_PERMISSION = "loyalty.redeem_points"
MAX_POINTS = 10_000_000


def _whole_points(value) -> int:
    if isinstance(value, bool):
        raise ValidationError({"points": _("Enter a whole number of points, such as 500.")})
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(
            {"points": _("Enter a whole number of points, such as 500.")}
        ) from None
    if number < 1:
        raise ValidationError({"points": _("Redeem at least 1 point.")})
    if number > MAX_POINTS:
        raise ValidationError(
            {"points": _("Redeem at most %(max)s points at a time.") % {"max": MAX_POINTS}}
        )
    return number


def points_redeem(
    *, customer: Customer, points, reward: str, note: str = "", user, request=None
) -> PointsEntry:
    """Spend ``points`` of the customer's balance on ``reward``. Refused (``ValidationError``
    naming the field) when the customer is not active, below the level that may redeem, or
    holds fewer points; ``PermissionDenied`` for a user who may not redeem or not see the
    customer."""
    if not user.has_perm(REDEEM_PERMISSION):
        raise PermissionDenied(_("You may not redeem points."))
    if not visible_to(user, Customer.objects.filter(pk=customer.pk)).exists():
        raise PermissionDenied(_("You may only redeem points of customers you can see."))
    amount = _whole_points(points)
    reward = (reward or "").strip()
    note = (note or "").strip()
    if not reward:
        raise ValidationError({"reward": _("Say what the points are redeemed for.")})
    if len(reward) > 200:
        raise ValidationError({"reward": _("The reward is longer than 200 characters.")})
    if len(note) > 500:
        raise ValidationError({"note": _("The note is longer than 500 characters.")})
    with transaction.atomic():
        account = accounts_lock([customer.pk])[customer.pk]
        # Read after the lock: the level or status may have changed since the page loaded.
        current = Customer.objects.only("status", "vip_level").get(pk=customer.pk)
        if current.status != CustomerStatus.ACTIVE:
            raise ValidationError(
                _("This customer was merged or anonymised; points cannot be redeemed.")
            )
        rules = loyalty_settings()
        if level_rank(current.vip_level) < level_rank(rules.redeem_min_level):
            raise ValidationError(
                _(
                    "Points can be redeemed from the %(level)s level up; this customer is "
                    "%(current)s."
                )
                % {
                    "level": VipLevel(rules.redeem_min_level).label,
                    "current": VipLevel(current.vip_level).label,
                }
            )
        if amount > account.balance:
            raise ValidationError(
                {
                    "points": _(
                        "The customer holds %(balance)s points; %(points)s cannot be redeemed."
                    )
                    % {"balance": account.balance, "points": amount}
                }
            )
        entry = PointsEntry(
            customer_id=customer.pk,
            kind=EntryKind.REDEMPTION,
            points=-amount,
            reward=reward,
            note=note,
            created_by=user,
            created_at=timezone.now(),
        )
        entries_post([entry])
        audit_record(
            actor=user,
            action=AuditAction.CHANGE,
            customer_id=customer.pk,
            obj=entry,
            detail={"points_redeemed": amount, "reward": reward},
            request=request,
        )
    return entry
