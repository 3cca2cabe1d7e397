"""Events as delivery senders. Each event has up to four ``MessageSource`` rows, one per
kind, so each kind has its own class (admins may change it on the delivery settings page)
and its own occasions:

- ``event_invitation`` (care): the invitation, occasion = the day it was sent;
- ``event_reminder`` (care): the reminder to accepted guests, occasion = the event's day;
- ``event_rsvp`` (service): the confirmation of an answer (accepted or waitlisted),
  occasion = the day of the answer. It is rendered when it is sent, from the guest's
  answer at that moment, so a customer who changes their answer before it goes gets the
  latest one;
- ``event_promotion`` (service): "a place has freed up, you are in".

The texts carry the guest's personal RSVP link (``events.tokens``); delivery makes it a
short tracked link and adds the opt-out. A cancelled event cancels its queued messages.
"""

from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecrm.channels import Channel
from delivery.models import MessageClass, MessageSource, OutboxMessage, SourceState
from delivery.registry import Rendered, SourceKind, register_source_kind
from events.models import Event, EventStatus, Guest, GuestStatus
from events.tokens import rsvp_url

EVENT_INVITATION = "event_invitation"
EVENT_REMINDER = "event_reminder"
EVENT_RSVP = "event_rsvp"
EVENT_PROMOTION = "event_promotion"
KINDS = (EVENT_INVITATION, EVENT_REMINDER, EVENT_RSVP, EVENT_PROMOTION)


# What staff may write in an invitation's own text.
PLACEHOLDERS = ("name", "title", "when", "where", "link")


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, values: dict) -> str:
    """``template`` with its ``{placeholders}``; anything else in braces stays as written."""
    try:
        return template.format_map(_Values(values))
    except (ValueError, IndexError):
        return template


def source_state(event: Event) -> str:
    return SourceState.CANCELLED if event.status == EventStatus.CANCELLED else SourceState.ACTIVE


def event_source(event: Event, kind: str) -> MessageSource:
    from delivery.services.sources import source_for

    return source_for(
        kind=kind,
        object_id=event.pk,
        label=event.title,
        department=event.department,
        state=source_state(event),
    )


def event_messages(event: Event):
    """Every outbox message the event sent, of any kind."""
    return OutboxMessage.objects.filter(source__kind__in=KINDS, source__object_id=event.pk)


def _event_saved(sender, instance: Event, created: bool, **kwargs) -> None:
    if created:
        return
    from delivery.services.sources import source_update

    for kind in KINDS:
        source_update(
            kind=kind,
            object_id=instance.pk,
            label=instance.title,
            department=instance.department,
            state=source_state(instance),
        )


def event_when(event: Event) -> str:
    """The event's local date and time, as the active language writes them."""
    starts = timezone.localtime(event.starts_at)
    return f"{formats.date_format(starts, 'DATE_FORMAT')} {formats.time_format(starts, 'H:i')}"


def event_where(event: Event) -> str:
    return "，".join(part for part in (event.venue, event.address) if part) or event.online_link


def _texts(kind: str, guest: Guest, brand, channel: str = "") -> tuple[str, str]:
    """Subject and body of one message, in the installation's language."""
    event = guest.event
    values = {
        "name": guest.customer.name,
        "title": event.title,
        "when": event_when(event),
        "where": event_where(event),
        "link": rsvp_url(guest),
        "people": guest.party_size,
        "company": brand.company_name,
    }
    if kind == EVENT_INVITATION and channel == Channel.EMAIL and event.invitation_email_body:
        subject = (
            fill(event.invitation_email_subject, values) or _("Invitation: %(title)s") % values
        )
        body = fill(event.invitation_email_body, values)
    elif kind == EVENT_INVITATION and channel != Channel.EMAIL and event.invitation_text:
        subject = _("Invitation: %(title)s") % values
        body = fill(event.invitation_text, values)
    elif kind == EVENT_INVITATION:
        subject = _("Invitation: %(title)s") % values
        body = (
            _(
                "Dear %(name)s, %(company)s invites you to %(title)s on %(when)s at %(where)s. "
                "Please let us know whether you will come: %(link)s"
            )
            % values
        )
    elif kind == EVENT_REMINDER:
        subject = _("Reminder: %(title)s") % values
        body = (
            _(
                "Dear %(name)s, a reminder: %(title)s is on %(when)s at %(where)s. "
                "Show your code at the door, or change your answer: %(link)s"
            )
            % values
        )
    elif kind == EVENT_PROMOTION:
        subject = _("A place is yours: %(title)s") % values
        body = (
            _(
                "Dear %(name)s, a place has freed up: you are confirmed for %(title)s "
                "(%(people)s people) on %(when)s at %(where)s. Your code and answer: %(link)s"
            )
            % values
        )
    elif guest.status == GuestStatus.WAITLISTED:
        subject = _("You are on the waitlist: %(title)s") % values
        body = (
            _(
                "Dear %(name)s, %(title)s is full; you are on the waitlist and we will write "
                "as soon as a place frees up. Your answer: %(link)s"
            )
            % values
        )
    elif guest.status == GuestStatus.DECLINED:
        subject = _("Your answer: %(title)s") % values
        body = (
            _("Dear %(name)s, we have noted that you will not come to %(title)s. %(link)s") % values
        )
    else:
        subject = _("You are registered: %(title)s") % values
        body = (
            _(
                "Dear %(name)s, you are registered for %(title)s (%(people)s people) on "
                "%(when)s at %(where)s. Your code and answer: %(link)s"
            )
            % values
        )
    return subject, body


def render_event_messages(source: MessageSource, messages: list[OutboxMessage]) -> dict:
    """Each message's text from the guest's row as it is now."""
    from django.conf import settings

    from carecrm.core.branding.selectors import current_brand

    guests = {
        guest.customer_id: guest
        for guest in Guest.objects.filter(
            event_id=source.object_id, customer_id__in=[m.customer_id for m in messages]
        ).select_related("event", "customer")
    }
    brand = current_brand()
    result: dict = {}
    with translation.override(settings.LANGUAGE_CODE):
        for message in messages:
            guest = guests.get(message.customer_id)
            if guest is None:
                result[message.pk] = "the customer is no longer on the guest list"
                continue
            subject, body = _texts(source.kind, guest, brand, message.channel)
            if message.channel == Channel.SMS:
                body = brand.signature_tag + body
            result[message.pk] = Rendered(subject=subject, body=body)
    return result


def _event_url(source: MessageSource) -> str:
    return reverse("events:guests", args=[source.object_id])


def register() -> None:
    labels = {
        EVENT_INVITATION: (gettext_lazy("Event invitations"), MessageClass.CARE),
        EVENT_REMINDER: (gettext_lazy("Event reminders"), MessageClass.CARE),
        EVENT_RSVP: (gettext_lazy("Event RSVP confirmations"), MessageClass.SERVICE),
        EVENT_PROMOTION: (gettext_lazy("Event waitlist places"), MessageClass.SERVICE),
    }
    for key, (label, message_class) in labels.items():
        register_source_kind(
            SourceKind(
                key=key,
                label=label,
                render=render_event_messages,
                url=_event_url,
                message_class=message_class,
            )
        )
    post_save.connect(_event_saved, sender=Event, dispatch_uid="event_sources")
