"""Reading guest lists: the figures of the guests tab and the door, the filtered list,
waitlist positions, who a message reaches on which channel, and the guest behind a link."""

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from carecrm.channels import Channel
from carecrm.core.scoping import visible_to
from customers.models import Customer
from delivery.models import MessageStatus, OutboxMessage, SuppressionReason
from events.models import Event, Guest, GuestStatus
from events.sources import EVENT_INVITATION
from events.tokens import read_guest_token, token_matches

# Channels the delivery engine sends on, in the order used when the customer's preferred
# one cannot reach them.
MESSAGE_CHANNELS = (Channel.SMS, Channel.WECOM, Channel.EMAIL, Channel.PUSH)
REACH: dict[str, Q] = {
    Channel.SMS: ~Q(mobile=""),
    Channel.EMAIL: ~Q(email=""),
    Channel.WECOM: ~Q(wecom_external_id=""),
    Channel.PUSH: ~Q(push_token=""),
}


@dataclass(frozen=True)
class GuestFigures:
    invited: int = 0
    accepted: int = 0
    accepted_people: int = 0
    waitlisted: int = 0
    declined: int = 0
    checked_in: int = 0
    checked_in_people: int = 0
    walk_ins: int = 0


def guest_figures(event: Event) -> GuestFigures:
    """One aggregate over the event's guests ("accepted people" counts whole parties)."""
    accepted = Q(status=GuestStatus.ACCEPTED)
    arrived = Q(checked_in_at__isnull=False)
    row = Guest.objects.filter(event=event).aggregate(
        invited=Count("pk", filter=Q(status=GuestStatus.INVITED)),
        accepted=Count("pk", filter=accepted),
        accepted_people=Coalesce(Sum("party_size", filter=accepted), 0),
        waitlisted=Count("pk", filter=Q(status=GuestStatus.WAITLISTED)),
        declined=Count("pk", filter=Q(status=GuestStatus.DECLINED)),
        checked_in=Count("pk", filter=arrived),
        checked_in_people=Coalesce(Sum("party_size", filter=arrived), 0),
        walk_ins=Count("pk", filter=Q(source="walk_in")),
    )
    return GuestFigures(**row)


def places_taken(event: Event, *, excluding: int | None = None) -> int:
    """People of accepted parties: what counts against the event's capacity."""
    guests = Guest.objects.filter(event=event, status=GuestStatus.ACCEPTED)
    if excluding is not None:
        guests = guests.exclude(pk=excluding)
    return guests.aggregate(n=Coalesce(Sum("party_size"), 0))["n"]


def waitlist(event: Event) -> QuerySet[Guest]:
    """Waiting guests, first come first served."""
    return Guest.objects.filter(event=event, status=GuestStatus.WAITLISTED).order_by(
        "waitlisted_at", "pk"
    )


def waitlist_position(guest: Guest) -> int | None:
    if guest.status != GuestStatus.WAITLISTED or guest.waitlisted_at is None:
        return None
    ahead = waitlist(guest.event).filter(
        Q(waitlisted_at__lt=guest.waitlisted_at)
        | Q(waitlisted_at=guest.waitlisted_at, pk__lt=guest.pk)
    )
    return ahead.count() + 1


def visible_guests(user) -> QuerySet[Guest]:
    return visible_to(user, Guest.objects.select_related("customer", "event", "checked_in_by"))


def event_guests(
    event: Event, *, status: str = "", source: str = "", arrived: str = "", search: Q | None = None
) -> QuerySet[Guest]:
    """The event's guest list, filtered as the guests tab asks."""
    invitation = OutboxMessage.objects.filter(
        source__kind=EVENT_INVITATION, source__object_id=event.pk, customer=OuterRef("customer_id")
    ).order_by("-created_at", "-pk")
    guests = (
        Guest.objects.filter(event=event)
        .select_related("customer", "checked_in_by")
        .annotate(
            invitation_status=Subquery(invitation.values("status")[:1]),
            invitation_reason=Subquery(invitation.values("reason")[:1]),
        )
    )
    if status:
        guests = guests.filter(status=status)
    if source:
        guests = guests.filter(source=source)
    if arrived == "yes":
        guests = guests.filter(checked_in_at__isnull=False)
    elif arrived == "no":
        guests = guests.filter(checked_in_at__isnull=True)
    if search is not None:
        guests = guests.filter(customer__in=Customer.objects.filter(search))
    return guests


def invitation_label(guest: Guest) -> str:
    """How the guest's invitation fared, for staff: its message's status, or why it was
    not sent (no consent, unsubscribed …); empty when none was written (a walk-in)."""
    status = getattr(guest, "invitation_status", None)
    if not status:
        return ""
    if status == MessageStatus.SUPPRESSED:
        reason = getattr(guest, "invitation_reason", "")
        return str(SuppressionReason(reason).label) if reason in SuppressionReason.values else ""
    return str(MessageStatus(status).label)


def guest_for_token(token: str) -> Guest | None:
    """The guest a signed RSVP link names, or None for a bad, tampered or foreign token."""
    guest_id = read_guest_token(token)
    if guest_id is None:
        return None
    guest = (
        Guest.objects.select_related("event", "customer", "event__department")
        .filter(pk=guest_id)
        .first()
    )
    if guest is None or not token_matches(token, guest):
        return None
    return guest


def channel_audiences(customers: QuerySet[Customer]) -> list[tuple[str, QuerySet[Customer]]]:
    """One channel per customer: the preferred channel when it reaches them, else the first
    of ``MESSAGE_CHANNELS`` that does (consent and unsubscribes are delivery's business)."""
    prefers_usable = Q(pk__in=[])
    for channel in MESSAGE_CHANNELS:
        prefers_usable |= Q(preferred_channel=channel) & REACH[channel]
    result = []
    earlier: Q | None = None
    for channel in MESSAGE_CHANNELS:
        fallback = ~prefers_usable if earlier is None else ~prefers_usable & ~earlier
        result.append(
            (channel, customers.filter(REACH[channel] & (Q(preferred_channel=channel) | fallback)))
        )
        earlier = REACH[channel] if earlier is None else earlier | REACH[channel]
    return result
