"""Check-in at the door, on a phone: search a guest by name or the last four digits of
their mobile, or scan the QR code of their RSVP page (it opens ``guest_checkin`` here);
add walk-ins; a counter of arrivals that refreshes itself (HTMX polling)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from carecrm.core.scoping import get_visible_or_404, visible_to
from customers.filters import customer_search_condition
from customers.models import Customer
from customers.privacy import can_see_pii
from events.selectors.events import visible_events
from events.selectors.guests import event_guests, guest_figures, visible_guests
from events.services.checkin import CHECK_IN_STATUSES, guest_check_in, walk_in_add

PERMISSION = "events.check_in_guest"


def _event(request, pk: int):
    return get_visible_or_404(request.user, visible_events(request.user), pk=pk)


def _page_context(request, event, **extra) -> dict:
    q = request.GET.get("q", "").strip()
    found = []
    if q:
        found = list(
            event_guests(
                event, search=customer_search_condition(q, sees_contact=can_see_pii(request.user))
            ).order_by("customer__name", "pk")[:30]
        )
    return {
        "event": event,
        "figures": guest_figures(event),
        "q": q,
        "found": found,
        "door_open": event.status in CHECK_IN_STATUSES,
        "walk_in": {},
        "walk_in_errors": [],
        **extra,
    }


@login_required
@permission_required(PERMISSION, raise_exception=True)
def checkin_page(request, pk: int):
    event = _event(request, pk)
    return render(request, "events/checkin.html", _page_context(request, event))


@login_required
@permission_required(PERMISSION, raise_exception=True)
def checkin_counter(request, pk: int):
    event = _event(request, pk)
    return render(
        request, "events/_checkin_counter.html", {"event": event, "figures": guest_figures(event)}
    )


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def guest_checkin(request, pk: int):
    """The page the guest's QR code opens: who they are and a big button (the POST)."""
    guest = get_visible_or_404(request.user, visible_guests(request.user), pk=pk)
    outcome, error = None, ""
    if request.method == "POST":
        try:
            outcome = guest_check_in(guest=guest, user=request.user)
            guest = outcome.guest
        except ValidationError as exc:
            error = " ".join(exc.messages)
    return render(
        request,
        "events/checkin_guest.html",
        {
            "guest": guest,
            "event": guest.event,
            "outcome": outcome,
            "error": error,
            "figures": guest_figures(guest.event),
            "door_open": guest.event.status in CHECK_IN_STATUSES,
        },
    )


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def walk_in(request, pk: int):
    event = _event(request, pk)
    values = {
        "name": request.POST.get("name", "").strip(),
        "mobile": request.POST.get("mobile", "").strip(),
        "party_size": request.POST.get("party_size", "1"),
    }
    customer = None
    if request.POST.get("customer"):
        customer = (
            visible_to(request.user, Customer.objects.all())
            .filter(pk=request.POST["customer"], department_id=event.department_id)
            .first()
        )
    try:
        party_size = int(values["party_size"])
    except ValueError:
        party_size = 0
    try:
        outcome = walk_in_add(
            event=event,
            user=request.user,
            customer=customer,
            name=values["name"],
            mobile=values["mobile"],
            party_size=party_size,
            request=request,
        )
    except ValidationError as exc:
        context = _page_context(request, event, walk_in=values, walk_in_errors=exc.messages)
        return render(request, "events/checkin.html", context, status=400)
    return render(
        request,
        "events/checkin_guest.html",
        {
            "guest": outcome.guest,
            "event": event,
            "outcome": outcome,
            "error": "",
            "figures": guest_figures(event),
            "door_open": True,
        },
    )
