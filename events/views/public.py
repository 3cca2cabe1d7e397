"""The guest's RSVP page, opened from the personal link in the invitation without
logging in: the event, accept or decline, the party size and a dietary note; once
accepted, the QR code staff scan at the door. The signed token is the credential
(``events.tokens``): a bad, tampered or foreign token is the customer's own 404 page."""

import segno
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from carecrm.core.errors import public_not_found
from carecrm.core.public import no_store, public_page
from delivery.selectors.preferences import mask_name
from delivery.tokens import public_url
from events.models import EventStatus, GuestStatus
from events.selectors.guests import guest_for_token, waitlist_position
from events.services.guests import NOTE_MAX_LENGTH, EventClosed, guest_respond, max_party
from events.sources import event_when, event_where


def check_in_url(guest) -> str:
    """What the guest's QR code holds: the staff page that checks this guest in."""
    return public_url(reverse("events:guest-checkin", args=[guest.pk]))


def qr_svg(data: str) -> str:
    return segno.make(data, error="m").svg_inline(scale=5, border=2, title="QR")


def _context(guest, **extra) -> dict:
    event = guest.event
    closed = event.status != EventStatus.OPEN
    context = {
        "guest": guest,
        "event": event,
        "masked_name": mask_name(guest.customer.name),
        "when": event_when(event),
        "where": event_where(event),
        "closed": closed,
        "cancelled": event.status == EventStatus.CANCELLED,
        "not_yet": event.status in (EventStatus.DRAFT, EventStatus.APPROVED),
        "party_choices": range(1, max_party(event) + 1),
        "note_max": NOTE_MAX_LENGTH,
        "position": waitlist_position(guest),
        "errors": {},
        "values": {"party_size": guest.party_size, "dietary_note": guest.dietary_note},
        **extra,
    }
    if guest.status == GuestStatus.ACCEPTED and event.status in (
        EventStatus.OPEN,
        EventStatus.HELD,
    ):
        context["check_in_url"] = check_in_url(guest)
        context["qr"] = qr_svg(context["check_in_url"])
    return context


@require_http_methods(["GET", "POST"])
@public_page
@csrf_protect
def rsvp_view(request: HttpRequest, token: str) -> HttpResponse:
    guest = guest_for_token(token)
    if guest is None:
        return public_not_found(request)
    if request.method == "POST":
        answer = request.POST.get("answer")
        values = {
            "party_size": request.POST.get("party_size", ""),
            "dietary_note": request.POST.get("dietary_note", ""),
        }
        if answer not in ("accept", "decline"):
            return _page(request, guest, status=400, errors={"answer": True}, values=values)
        try:
            guest_respond(
                guest=guest,
                attending=answer == "accept",
                party_size=values["party_size"],
                dietary_note=values["dietary_note"],
            )
        except EventClosed:
            guest = guest_for_token(token)
            return _page(request, guest, status=409, refused=True)
        except ValidationError as exc:
            return _page(request, guest, status=400, errors=exc.message_dict, values=values)
        return redirect(f"{request.path}?saved=1")
    return _page(request, guest, saved=request.GET.get("saved") == "1")


def _page(request, guest, *, status: int = 200, **extra) -> HttpResponse:
    return no_store(
        render(request, "events/public/rsvp.html", _context(guest, **extra), status=status)
    )
