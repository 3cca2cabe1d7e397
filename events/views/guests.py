"""The guests tab of an event: the figures, the filtered list (keyset pages), inviting
the target segments or one customer, reminding accepted guests, and a CSV export."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecrm.core.counts import paginated_list
from carecrm.core.keyset import SortKey
from carecrm.core.scoping import get_visible_or_404, visible_to
from customers.filters import customer_search_condition
from customers.models import Customer, CustomerStatus
from customers.privacy import can_see_pii
from events.forms_guests import InvitationTextsForm
from events.models import GuestSource, GuestStatus
from events.selectors.events import visible_events
from events.selectors.guests import event_guests, guest_figures, invitation_label
from events.services.invitations import (
    guest_invite,
    guests_invite_segments,
    guests_remind,
    invitation_texts_set,
)

PAGE_SIZE = 50
CREATED = SortKey("created_at")


def _event(request, pk: int):
    return get_visible_or_404(request.user, visible_events(request.user), pk=pk)


def _filtered(request, event):
    q = request.GET.get("q", "").strip()
    search = customer_search_condition(q, sees_contact=can_see_pii(request.user)) if q else None
    status = request.GET.get("status", "")
    source = request.GET.get("source", "")
    return event_guests(
        event,
        status=status if status in GuestStatus.values else "",
        source=source if source in GuestSource.values else "",
        arrived=request.GET.get("arrived", ""),
        search=search,
    )


@login_required
@permission_required("events.view_guest", raise_exception=True)
def guests_tab(request, pk: int):
    return _tab(request, _event(request, pk))


def _tab(request, event, *, texts_form=None, status: int = 200):
    guests = _filtered(request, event)
    page, count = paginated_list(request, guests, key=CREATED, descending=False, size=PAGE_SIZE)
    for guest in page.rows:
        guest.invitation = invitation_label(guest)
    found = []
    q_add = request.GET.get("add", "").strip()
    if q_add:
        found = list(
            visible_to(request.user, Customer.objects.all())
            .filter(
                customer_search_condition(q_add, sees_contact=can_see_pii(request.user)),
                department_id=event.department_id,
                status=CustomerStatus.ACTIVE,
            )
            .exclude(event_guests__event=event)
            .order_by("name", "pk")[:20]
        )
    return render(
        request,
        "events/guests.html",
        {
            "event": event,
            "figures": guest_figures(event),
            "page": page,
            "count": count,
            "statuses": GuestStatus.choices,
            "sources": GuestSource.choices,
            "found": found,
            "q_add": q_add,
            "segments": list(event.target_segments.all()),
            "is_open": event.status == "open",
            "texts_form": texts_form or InvitationTextsForm(instance=event),
            "texts_open": texts_form is not None,
        },
        status=status,
    )


def _act(request, pk: int, action) -> HttpResponse:
    event = _event(request, pk)
    try:
        text = action(event)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, text)
    return redirect("events:guests", pk=event.pk)


@login_required
@permission_required("events.add_guest", raise_exception=True)
@require_POST
def guests_invite(request, pk: int):
    def action(event):
        result = guests_invite_segments(event=event, user=request.user)
        return _("%(invited)d customers invited; %(queued)d invitations queued.") % {
            "invited": result.invited,
            "queued": result.messages.queued,
        }

    return _act(request, pk, action)


@login_required
@permission_required("events.add_guest", raise_exception=True)
@require_POST
def guest_add(request, pk: int):
    def action(event):
        customer = (
            visible_to(request.user, Customer.objects.all())
            .filter(pk=request.POST.get("customer") or 0)
            .first()
        )
        if customer is None:
            raise ValidationError(_("Choose a customer from the search results."))
        guest_invite(event=event, customer=customer, user=request.user)
        return _("%(name)s is invited.") % {"name": customer.name}

    return _act(request, pk, action)


@login_required
@permission_required("events.change_guest", raise_exception=True)
@require_POST
def guests_reminder(request, pk: int):
    def action(event):
        result = guests_remind(event=event, user=request.user)
        return _("%(queued)d reminders queued.") % {"queued": result.queued}

    return _act(request, pk, action)


@login_required
@permission_required("events.change_event", raise_exception=True)
@require_POST
def invitation_texts(request, pk: int):
    event = _event(request, pk)
    form = InvitationTextsForm(request.POST, instance=event)
    if form.is_valid():
        try:
            invitation_texts_set(
                event=event,
                user=request.user,
                text=form.cleaned_data["invitation_text"],
                email_subject=form.cleaned_data["invitation_email_subject"],
                email_body=form.cleaned_data["invitation_email_body"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The invitation texts are saved."))
            return redirect("events:guests", pk=event.pk)
    event.refresh_from_db()
    return _tab(request, event, texts_form=form, status=400)


class _Echo:
    def write(self, value):
        return value


@login_required
@permission_required("events.view_guest", raise_exception=True)
def guests_export(request, pk: int):
    """The filtered list as CSV (contact columns only for users who may see them)."""
    event = _event(request, pk)
    guests = _filtered(request, event).order_by("created_at", "pk")
    pii = can_see_pii(request.user)
    writer = csv.writer(_Echo())

    def rows():
        yield "\ufeff"
        header = [
            _("Customer"),
            _("Mobile"),
            _("Status"),
            _("Source"),
            _("People"),
            _("Dietary note"),
            _("Answered at"),
            _("Checked in at"),
        ]
        yield writer.writerow(header if pii else [h for i, h in enumerate(header) if i != 1])
        for guest in guests.iterator(chunk_size=1000):
            row = [
                guest.customer.name,
                guest.customer.mobile,
                guest.get_status_display(),
                guest.get_source_display(),
                guest.party_size,
                guest.dietary_note,
                timezone.localtime(guest.responded_at).strftime("%Y-%m-%d %H:%M")
                if guest.responded_at
                else "",
                timezone.localtime(guest.checked_in_at).strftime("%Y-%m-%d %H:%M")
                if guest.checked_in_at
                else "",
            ]
            yield writer.writerow(row if pii else [v for i, v in enumerate(row) if i != 1])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-guests.csv"'
    return response
