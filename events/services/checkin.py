"""Checking guests in at the door. A check-in is one conditional ``UPDATE … WHERE
checked_in_at IS NULL``: two phones scanning the same code at once record it once, and
the second is told who was first and when."""

from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from customers.services.records import customer_create
from events.models import Event, EventStatus, Guest, GuestSource, GuestStatus

CHECK_IN_STATUSES = (EventStatus.OPEN, EventStatus.HELD)


@dataclass(frozen=True)
class CheckIn:
    guest: Guest
    recorded: bool  # False: the guest was already checked in (``guest`` says when, by whom)


def _require_door_open(event: Event) -> None:
    if event.status not in CHECK_IN_STATUSES:
        raise ValidationError(_("Guests can be checked in only while the event is open or held."))


def guest_check_in(*, guest: Guest, user) -> CheckIn:
    _require_door_open(guest.event)
    recorded = bool(
        Guest.objects.filter(pk=guest.pk, checked_in_at__isnull=True).update(
            checked_in_at=timezone.now(), checked_in_by=user
        )
    )
    fresh = Guest.objects.select_related("customer", "event", "checked_in_by").get(pk=guest.pk)
    return CheckIn(guest=fresh, recorded=recorded)


def mobile_e164(text: str) -> str | None:
    """A mainland mobile typed any common way, as customers store it (E.164)."""
    try:
        number = phonenumbers.parse((text or "").strip(), "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def walk_in_add(
    *,
    event: Event,
    user,
    customer: Customer | None = None,
    name: str = "",
    mobile: str = "",
    party_size: int = 1,
    request=None,
) -> CheckIn:
    """A guest who came without an answer: an existing customer, or a new one made from a
    name and mobile through customers' own service (its checks and audit). Listed as a
    walk-in, accepted and checked in; a customer already on the list is just checked in."""
    _require_door_open(event)
    if not 1 <= party_size <= 1 + event.max_party_size:
        raise ValidationError(
            {
                "party_size": _("Choose between 1 and %(max)d people.")
                % {"max": 1 + event.max_party_size}
            }
        )
    if customer is None:
        e164 = mobile_e164(mobile)
        if not name.strip():
            raise ValidationError({"name": _("Enter the guest's name.")})
        if not e164:
            raise ValidationError({"mobile": _("Enter a valid mobile number.")})
        customer = Customer.objects.filter(mobile=e164, department=event.department).first()
        if customer is None:
            customer = customer_create(
                user=user,
                data={"name": name.strip(), "mobile": e164, "department": event.department},
                request=request,
            )
    if customer.department_id != event.department_id:
        raise ValidationError(_("Only customers of the event's department can be added."))
    now = timezone.now()
    try:
        with transaction.atomic():
            guest = Guest.objects.create(
                event=event,
                customer=customer,
                source=GuestSource.WALK_IN,
                status=GuestStatus.ACCEPTED,
                party_size=party_size,
                responded_at=now,
                checked_in_at=now,
                checked_in_by=user,
            )
        return CheckIn(guest=guest, recorded=True)
    except IntegrityError:
        guest = Guest.objects.select_related("event").get(event=event, customer=customer)
        return guest_check_in(guest=guest, user=user)
