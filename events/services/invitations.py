"""Inviting customers and reminding guests: guest rows first (set-based), then one
``messages_enqueue`` per channel so delivery applies consent, unsubscribes, caps and
quiet hours and sends each message once (docs/delivery.md)."""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, CustomerStatus
from delivery.models import CareKind, Priority
from delivery.selectors.suppression import local_zone
from delivery.services.enqueue import DispatchResult, messages_enqueue
from events.models import Event, EventStatus, Guest, GuestSource, GuestStatus
from events.selectors.guests import channel_audiences
from events.sources import (
    EVENT_INVITATION,
    EVENT_PROMOTION,
    EVENT_REMINDER,
    EVENT_RSVP,
    PLACEHOLDERS,
    event_source,
)


@dataclass
class InviteResult:
    invited: int = 0
    messages: DispatchResult = field(default_factory=DispatchResult)


def _require_open(event: Event) -> None:
    if event.status != EventStatus.OPEN:
        raise ValidationError(_("Invitations go out only while the event is open for RSVPs."))


def _today() -> dt.date:
    return timezone.localtime(timezone.now(), local_zone()).date()


def event_messages_enqueue(
    *, event: Event, kind: str, customers, occasion: dt.date | None = None
) -> DispatchResult:
    """Enqueue one kind of the event's messages for ``customers`` (a queryset), each on
    the channel that reaches them (``channel_audiences``)."""
    source = event_source(event, kind)
    now = timezone.now()
    total = DispatchResult()
    care_kind = CareKind.EVENT if kind in (EVENT_INVITATION, EVENT_REMINDER) else CareKind.SERVICE
    priority = Priority.NORMAL if kind in (EVENT_INVITATION, EVENT_REMINDER) else Priority.HIGH
    for channel, audience in channel_audiences(customers):
        total.add(
            messages_enqueue(
                source=source,
                occasion=occasion or _today(),
                channel=channel,
                audience=audience,
                care_kind=care_kind,
                priority=priority,
                send_after=now,
                now=now,
            )
        )
    return total


def target_customers(event: Event):
    """Active customers of the event's department in any of its target segments (members
    read set-based from ``segmentation.selectors``) who are not on the guest list yet."""
    from segmentation.selectors import segment_customers

    segments = list(event.target_segments.all())
    if not segments:
        return Customer.objects.none()
    members = Q(pk__in=[])
    for segment in segments:
        members |= Q(pk__in=segment_customers(segment).values("pk"))
    listed = Guest.objects.filter(event=event, customer=OuterRef("pk"))
    return (
        Customer.objects.filter(
            members, status=CustomerStatus.ACTIVE, department_id=event.department_id
        )
        .filter(~Exists(listed))
        .order_by()
    )


def _guests_insert(event: Event, customers, now: dt.datetime) -> int:
    """One ``INSERT … SELECT … ON CONFLICT DO NOTHING``: the audience query is the row
    source, so a segment of any size never passes through Python, and a customer listed
    meanwhile (an answer, a walk-in) is skipped by the unique key. (``WHERE 1 = 1`` before
    ``ON CONFLICT`` is SQLite's way to tell an upsert from a join.)"""
    candidates_sql, params = customers.values("id").query.sql_with_params()
    table = connection.ops.quote_name(Guest._meta.db_table)
    sql = f"""
        INSERT INTO {table} (
            event_id, customer_id, status, source, party_size, dietary_note, invited_at,
            created_at)
        SELECT %s, c.id, %s, %s, 1, '', %s, %s FROM ({candidates_sql}) c
        WHERE 1 = 1
        ON CONFLICT (event_id, customer_id) DO NOTHING"""  # noqa: S608 (table name and a compiled query)
    moment = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [event.pk, GuestStatus.INVITED, GuestSource.INVITED, moment, moment, *params],
        )
        return cursor.rowcount


def guests_invite_segments(*, event: Event, user) -> InviteResult:
    """Put every customer of the target segments not yet listed on the guest list and send
    them the invitation. Running it again invites only newcomers."""
    _require_open(event)
    now = timezone.now()
    with transaction.atomic():
        invited_count = _guests_insert(event, target_customers(event), now)
    invited = Customer.objects.filter(event_guests__event=event, event_guests__invited_at=now)
    result = InviteResult(invited=invited_count)
    result.messages = event_messages_enqueue(event=event, kind=EVENT_INVITATION, customers=invited)
    return result


def guest_invite(*, event: Event, customer: Customer, user) -> Guest:
    """Put one customer on the list and send them the invitation."""
    _require_open(event)
    if customer.department_id != event.department_id:
        raise ValidationError(_("Only customers of the event's department can be invited."))
    guest, created = Guest.objects.get_or_create(
        event=event, customer=customer, defaults={"invited_at": timezone.now()}
    )
    if not created:
        raise ValidationError(_("This customer is already on the guest list."))
    event_messages_enqueue(
        event=event, kind=EVENT_INVITATION, customers=Customer.objects.filter(pk=customer.pk)
    )
    return guest


def guests_remind(*, event: Event, user=None) -> DispatchResult:
    """Remind accepted guests who are not here yet; once per event day (occasion)."""
    _require_open(event)
    accepted = Customer.objects.filter(
        event_guests__event=event,
        event_guests__status=GuestStatus.ACCEPTED,
        event_guests__checked_in_at__isnull=True,
    )
    day = timezone.localtime(event.starts_at, local_zone()).date()
    return event_messages_enqueue(
        event=event, kind=EVENT_REMINDER, customers=accepted, occasion=day
    )


def _check_placeholders(text: str, field: str, *, link_required: bool) -> None:
    import string

    try:
        names = {name for _text, name, _spec, _conv in string.Formatter().parse(text) if name}
    except ValueError:
        raise ValidationError({field: _("A brace is not closed.")}) from None
    unknown = names - set(PLACEHOLDERS)
    if unknown:
        raise ValidationError(
            {
                field: _("Unknown placeholder: %(names)s. Use %(known)s.")
                % {
                    "names": ", ".join("{%s}" % n for n in sorted(unknown)),  # noqa: UP031
                    "known": ", ".join("{%s}" % n for n in PLACEHOLDERS),  # noqa: UP031
                }
            }
        )
    if link_required and text.strip() and "link" not in names:
        raise ValidationError({field: _("Include {link}: it is how the guest answers.")})


def invitation_texts_set(
    *, event: Event, user, text: str, email_subject: str, email_body: str
) -> Event:
    """The invitation's own words (empty: the standard text), checked for placeholders."""
    _check_placeholders(text, "invitation_text", link_required=True)
    _check_placeholders(email_subject, "invitation_email_subject", link_required=False)
    _check_placeholders(email_body, "invitation_email_body", link_required=True)
    event.invitation_text = text.strip()
    event.invitation_email_subject = email_subject.strip()
    event.invitation_email_body = email_body.strip()
    event.full_clean(
        exclude=[f.name for f in Event._meta.fields if not f.name.startswith("invitation_")]
    )
    event.save(
        update_fields=[
            "invitation_text",
            "invitation_email_subject",
            "invitation_email_body",
            "updated_at",
        ]
    )
    return event


def reminders_due(*, today: dt.date | None = None) -> dict:
    """Remind the accepted guests of every open event that starts tomorrow (local day).
    Idempotent: a reminder's occasion is its event's day."""
    today = today or _today()
    tomorrow = today + dt.timedelta(days=1)
    start = dt.datetime.combine(tomorrow, dt.time.min, tzinfo=local_zone())
    events = Event.objects.filter(
        status=EventStatus.OPEN, starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1)
    )
    queued = 0
    for event in events:
        queued += guests_remind(event=event).queued
    return {"day": today.isoformat(), "queued": queued}


def guest_notice(guest: Guest, kind: str = EVENT_RSVP) -> DispatchResult:
    """The service message about a guest's own answer (``EVENT_RSVP``) or their place
    from the waitlist (``EVENT_PROMOTION``)."""
    assert kind in (EVENT_RSVP, EVENT_PROMOTION)
    return event_messages_enqueue(
        event=guest.event, kind=kind, customers=Customer.objects.filter(pk=guest.customer_id)
    )
