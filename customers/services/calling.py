"""Showing a masked phone number in full to call the customer ("show number").

Staff see phone numbers masked (``customers.privacy``). Someone who may contact a customer
— who may log an interaction with them and has them in scope — can have the full number
shown for a call, giving a reason. Every reveal is one audit entry (who, which customer,
why, when; ``AuditAction.PHONE_REVEAL``), which is also what the hourly limit
(``settings.PHONE_REVEALS_PER_HOUR``) counts, so the count cannot drift from the trail.
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext_lazy as _

from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from customers import selectors
from customers.models import Customer, CustomerStatus, RevealReason

CONTACT_PERMISSION = "customers.add_interaction"
REVEAL_WINDOW = dt.timedelta(hours=1)


class RevealLimitReached(ValidationError):
    """Over the hourly limit; ``again_at`` is when the next reveal is allowed."""

    def __init__(self, message, *, again_at: dt.datetime):
        super().__init__(message, code="reveal_limit")
        self.again_at = again_at


def can_contact(user, customer: Customer) -> bool:
    """Whether ``user`` may call ``customer``: the permission to log an interaction, and
    the customer active and in the user's scope (staff: their department and the
    customers they manage; managers: their department; admins: everyone)."""
    return (
        user.is_authenticated
        and user.has_perm(CONTACT_PERMISSION)
        and customer.status == CustomerStatus.ACTIVE
        and selectors.visible_customers(user).filter(pk=customer.pk).exists()
    )


def reveals_left(user, *, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    used = selectors.phone_reveal_count(user, since=now - REVEAL_WINDOW)
    return max(settings.PHONE_REVEALS_PER_HOUR - used, 0)


def _check_limit(user, now: dt.datetime) -> None:
    limit = settings.PHONE_REVEALS_PER_HOUR
    since = now - REVEAL_WINDOW
    used = selectors.phone_reveal_count(user, since=since)
    if used < limit:
        return
    # The window frees a place when the reveal that puts it over the limit ages out.
    oldest = selectors.phone_reveal_at(user, since=since, position=used - limit) or now
    again_at = oldest + REVEAL_WINDOW
    raise RevealLimitReached(
        _(
            "You have had %(limit)s phone numbers shown in the last hour, the most allowed. "
            "You can show another number at %(time)s."
        )
        % {"limit": limit, "time": time_format(timezone.localtime(again_at), "H:i")},
        again_at=again_at,
    )


def phone_reveal(*, customer: Customer, user, reason: str, note: str = "", request=None) -> str:
    """The customer's full mobile number (E.164, e.g. ``+8613812345678``) for ``user``
    to call, recorded in the audit trail with the reason. Raises ``PermissionDenied``
    for a user who may not contact this customer and ``RevealLimitReached`` past the
    hourly limit; nothing is recorded then."""
    if not can_contact(user, customer):
        raise PermissionDenied(_("You may not contact this customer."))
    note = (note or "").strip()
    if reason not in RevealReason.values:
        raise ValidationError({"reason": [_("Choose why you need the number.")]})
    if reason == RevealReason.OTHER and not note:
        raise ValidationError({"note": [_("Say why you need the number.")]})
    if not customer.mobile:
        raise ValidationError(_("This customer has no mobile number on record."))
    with transaction.atomic():
        # One reveal at a time per user (PostgreSQL row lock), so two tabs at once cannot
        # both take the last place of the hour.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        now = timezone.now()
        _check_limit(user, now)
        detail = {"field": "mobile", "reason": reason}
        if note:
            detail["note"] = note[:200]
        audit_record(
            actor=user,
            action=AuditAction.PHONE_REVEAL,
            customer_id=customer.pk,
            obj=customer,
            detail=detail,
            request=request,
        )
    return customer.mobile
