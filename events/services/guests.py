"""A guest's answer (RSVP) and the waitlist. Every change takes the event row's lock
(``SELECT … FOR UPDATE``) in one transaction, so on PostgreSQL two answers at once are
decided one after the other and accepted parties never exceed the capacity; a place that
frees up (a decline, a smaller party) goes to the first waiting guests that fit, who get
a service message."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Event, EventStatus, Guest, GuestStatus
from events.selectors.guests import places_taken, waitlist
from events.services.invitations import guest_notice
from events.sources import EVENT_PROMOTION, EVENT_RSVP

NOTE_MAX_LENGTH = Guest._meta.get_field("dietary_note").max_length
ANSWERABLE = (EventStatus.OPEN,)


class EventClosed(Exception):
    """The event no longer takes answers (held, reviewed, cancelled, or not open yet)."""


@dataclass
class Answer:
    guest: Guest
    promoted: list[Guest] = field(default_factory=list)


def max_party(event: Event) -> int:
    """The customer plus the guests they may bring."""
    return 1 + event.max_party_size


def _validate(event: Event, party_size, note: str) -> tuple[int, str]:
    errors = {}
    try:
        size = int(party_size)
    except (TypeError, ValueError):
        size = 0
    if not 1 <= size <= max_party(event):
        errors["party_size"] = _("Choose between 1 and %(max)d people.") % {"max": max_party(event)}
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        errors["dietary_note"] = _("Please keep the note to %(max)d characters.") % {
            "max": NOTE_MAX_LENGTH
        }
    if errors:
        raise ValidationError(errors)
    return size, note


def _promote(event: Event, now) -> list[Guest]:
    """Accept the first waiting guests whose party fits the free places (the caller holds
    the event's lock)."""
    if event.capacity is None:
        free = None
    else:
        free = event.capacity - places_taken(event)
        if free <= 0:
            return []
    promoted = []
    for guest in waitlist(event).select_for_update():
        if free is not None and guest.party_size > free:
            continue
        guest.status = GuestStatus.ACCEPTED
        guest.promoted_at = now
        guest.save(update_fields=["status", "promoted_at"])
        promoted.append(guest)
        if free is not None:
            free -= guest.party_size
            if free <= 0:
                break
    return promoted


def guest_respond(*, guest: Guest, attending: bool, party_size=1, dietary_note: str = "") -> Answer:
    """Record a guest's answer; answering again edits it. Accepting a full event puts the
    guest on the waitlist (keeping their place in it when they edit). A guest already
    accepted who asks for more places than are free keeps their answer and is told how
    many are left. Raises ``EventClosed`` or ``ValidationError`` (keyed by field)."""
    now = timezone.now()
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=guest.event_id)
        if event.status not in ANSWERABLE:
            raise EventClosed
        guest = Guest.objects.select_for_update().get(pk=guest.pk)
        if attending:
            size, note = _validate(event, party_size, dietary_note)
        was = guest.status
        guest.responded_at = now
        if not attending:
            guest.status = GuestStatus.DECLINED
            guest.waitlisted_at = None
        else:
            taken = places_taken(event, excluding=guest.pk)
            fits = event.capacity is None or taken + size <= event.capacity
            if fits:
                guest.status = GuestStatus.ACCEPTED
                guest.waitlisted_at = None
            elif was == GuestStatus.ACCEPTED:
                free = max(event.capacity - taken, 0)
                raise ValidationError(
                    {
                        "party_size": _("Only %(free)d places are left; choose fewer people.")
                        % {"free": free}
                    }
                )
            else:
                guest.status = GuestStatus.WAITLISTED
                if was != GuestStatus.WAITLISTED or guest.waitlisted_at is None:
                    guest.waitlisted_at = now
            guest.party_size, guest.dietary_note = size, note
        guest.save(
            update_fields=["status", "party_size", "dietary_note", "responded_at", "waitlisted_at"]
        )
        promoted = _promote(event, now) if event.capacity is not None else []
        guest.event = event
    _notify(guest, promoted)
    return Answer(guest=guest, promoted=promoted)


def waitlist_promote(*, event: Event) -> list[Guest]:
    """Give free places to waiting guests and tell them. Call it after the capacity grew
    (the event's edit) so newcomers do not take places the waitlist should get."""
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        promoted = _promote(event, timezone.now())
    _notify(None, promoted)
    return promoted


def _notify(guest: Guest | None, promoted: list[Guest]) -> None:
    if guest is not None and guest.status in (GuestStatus.ACCEPTED, GuestStatus.WAITLISTED):
        guest_notice(guest, EVENT_RSVP)
    for other in promoted:
        if guest is not None and other.pk == guest.pk:
            continue
        guest_notice(other, EVENT_PROMOTION)
