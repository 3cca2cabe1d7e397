"""Invitations, RSVPs, the waitlist and check-in, through the pages staff and customers
use and the delivery engine that sends the messages."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carecrm.accounts.tests.factories import UserFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from delivery.models import (
    FrequencyCap,
    MessageClass,
    MessageStatus,
    OutboxMessage,
    QuietHours,
)
from delivery.services.sending import messages_send
from delivery.tests.senders import consent
from events.models import EventStatus, Guest, GuestSource, GuestStatus
from events.selectors.guests import guest_figures, waitlist_position
from events.services.checkin import guest_check_in
from events.services.guests import guest_respond
from events.sources import EVENT_INVITATION, EVENT_PROMOTION, EVENT_RSVP, event_messages
from events.tests.factories import EventFactory, GuestFactory
from events.tokens import guest_token
from segmentation.tests.factories import SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rules(db):
    FrequencyCap.objects.all().delete()
    QuietHours.objects.all().delete()


@pytest.fixture
def event(department_a):
    return EventFactory(
        department=department_a, status=EventStatus.OPEN, capacity=4, max_party_size=2
    )


def rsvp(client, guest, **data):
    return client.post(reverse("events_public:rsvp", args=[guest_token(guest)]), data)


def reload(guest) -> Guest:
    return Guest.objects.get(pk=guest.pk)


# --- links ------------------------------------------------------------------------------


def test_a_tampered_or_foreign_token_is_the_customers_404_page(event):
    guest, other = GuestFactory(event=event), GuestFactory(event=event)
    token = guest_token(guest)
    client = Client()
    assert client.get(f"/e/{token}/").status_code == 200
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, "x", f"{token.split('-')[0]}-{guest_token(other).split('-')[1]}"):
        response = client.get(f"/e/{bad}/")
        assert response.status_code == 404
        assert "This link is not valid" in response.content.decode()
    # a token works only for its own guest: posting through it changes nobody else
    rsvp(client, guest, answer="accept", party_size=1)
    assert reload(guest).status == GuestStatus.ACCEPTED
    assert reload(other).status == GuestStatus.INVITED


def test_a_token_stops_working_when_its_row_belongs_to_another_event(event, department_a):
    guest = GuestFactory(event=event)
    token = guest_token(guest)
    Guest.objects.filter(pk=guest.pk).update(event=EventFactory(department=department_a))
    assert Client().get(f"/e/{token}/").status_code == 404


# --- answers ----------------------------------------------------------------------------


def test_accepting_shows_the_qr_code_with_the_staff_check_in_url(event):
    guest = GuestFactory(event=event)
    response = rsvp(Client(), guest, answer="accept", party_size=2, dietary_note="不吃辣")
    assert response.status_code == 302
    page = Client().get(response["Location"]).content.decode()
    assert 'data-check-in-url="' in page and f"/events/guests/{guest.pk}/check-in/" in page
    assert "<svg" in page
    guest = reload(guest)
    assert (guest.status, guest.party_size, guest.dietary_note) == (
        GuestStatus.ACCEPTED,
        2,
        "不吃辣",
    )


def test_answering_again_edits_the_same_row(event):
    guest = GuestFactory(event=event)
    client = Client()
    rsvp(client, guest, answer="accept", party_size=1)
    rsvp(client, guest, answer="accept", party_size=3, dietary_note="素食")
    rsvp(client, guest, answer="decline")
    assert Guest.objects.filter(event=event, customer=guest.customer).count() == 1
    assert reload(guest).status == GuestStatus.DECLINED


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"party_size": 4}, "Choose between 1 and 3 people."),
        ({"party_size": 0}, "Choose between 1 and 3 people."),
        ({"party_size": "many"}, "Choose between 1 and 3 people."),
        ({"party_size": 1, "dietary_note": "辣" * 201}, "Please keep the note to 200 characters."),
        ({}, "Please choose whether you will come."),
    ],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(event, settings, data, error):
    settings.LANGUAGE_CODE = "en"
    guest = GuestFactory(event=event)
    answer = {} if not data else {"answer": "accept"}
    response = rsvp(Client(), guest, **answer, **data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert reload(guest).status == GuestStatus.INVITED


def test_a_note_with_html_is_stored_as_text_and_shown_escaped(event):
    guest = GuestFactory(event=event)
    rsvp(Client(), guest, answer="accept", party_size=1, dietary_note="<script>alert(1)</script>")
    page = Client().get(f"/e/{guest_token(guest)}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("status", [EventStatus.HELD, EventStatus.REVIEWED, EventStatus.CANCELLED])
def test_a_closed_event_shows_a_clear_page_and_refuses_changes(event, status):
    guest = GuestFactory(event=event)
    event.status = status
    event.save()
    page = Client().get(f"/e/{guest_token(guest)}/").content.decode()
    assert 'id="rsvp-closed"' in page and 'id="rsvp-form"' not in page
    response = rsvp(Client(), guest, answer="accept", party_size=1)
    assert response.status_code == 409
    assert reload(guest).status == GuestStatus.INVITED


def test_a_full_event_waitlists_and_a_freed_place_promotes_with_a_service_message(event):
    first, second, third = (GuestFactory(event=event) for _ in range(3))
    for guest in (first, second, third):
        consent(guest.customer, "sms")
    guest_respond(guest=first, attending=True, party_size=3)
    guest_respond(guest=second, attending=True, party_size=2)  # 3 + 2 > 4
    guest_respond(guest=third, attending=True, party_size=1)  # fits
    second, third = reload(second), reload(third)
    assert second.status == GuestStatus.WAITLISTED and waitlist_position(second) == 1
    assert third.status == GuestStatus.ACCEPTED
    page = Client().get(f"/e/{guest_token(second)}/").content.decode()
    assert 'id="waitlist-position"' in page and "number 1" in page

    guest_respond(guest=first, attending=True, party_size=1)  # frees 2 places

    assert reload(second).status == GuestStatus.ACCEPTED
    assert reload(second).promoted_at is not None
    assert guest_figures(event).accepted_people == 4
    promotion = OutboxMessage.objects.get(source__kind=EVENT_PROMOTION, customer=second.customer)
    assert promotion.message_class == MessageClass.SERVICE
    confirmations = OutboxMessage.objects.filter(source__kind=EVENT_RSVP)
    assert set(confirmations.values_list("customer_id", flat=True)) == {
        first.customer_id,
        second.customer_id,
        third.customer_id,
    }


def test_an_accepted_guest_cannot_grow_past_the_capacity(event):
    first, second = GuestFactory(event=event), GuestFactory(event=event)
    guest_respond(guest=first, attending=True, party_size=2)
    guest_respond(guest=second, attending=True, party_size=2)
    response = rsvp(Client(), first, answer="accept", party_size=3)
    assert response.status_code == 400
    assert reload(first).party_size == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_accepts_never_exceed_the_capacity(department_a):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    event = EventFactory(
        department=department_a, status=EventStatus.OPEN, capacity=5, max_party_size=1
    )
    guests = [GuestFactory(event=event) for _ in range(12)]
    barrier = threading.Barrier(len(guests))
    errors = []

    def answer(guest):
        try:
            barrier.wait()
            guest_respond(guest=guest, attending=True, party_size=2)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer, args=(g,)) for g in guests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    figures = guest_figures(event)
    assert figures.accepted_people <= 5
    assert figures.accepted == 2 and figures.waitlisted == 10


# --- invitations ------------------------------------------------------------------------


def test_inviting_the_target_segments_lists_newcomers_and_queues_one_invitation_each(
    event, staff_a, department_a, settings
):
    settings.SITE_URL = "https://crm.example.cn"
    segment = SegmentFactory(department=department_a)
    event.target_segments.add(segment)
    sms = CustomerFactory(department=department_a, mobile="+8613700000001")
    mail = CustomerFactory(
        department=department_a,
        mobile="+8613700000002",
        email="a@example.cn",
        preferred_channel="email",
    )
    consent(sms, "sms")
    consent(mail, "email")
    unwilling = CustomerFactory(department=department_a, mobile="+8613700000003")
    already = GuestFactory(event=event)
    CustomerFactory(department=EventFactory().department)  # another department's customer

    client = Client()
    client.force_login(staff_a)
    response = client.post(reverse("events:guests-invite", args=[event.pk]))
    assert response.status_code == 302

    listed = set(Guest.objects.filter(event=event).values_list("customer_id", flat=True))
    assert listed == {sms.pk, mail.pk, unwilling.pk, already.customer_id}
    invitations = event_messages(event).filter(source__kind=EVENT_INVITATION)
    assert dict(invitations.values_list("customer_id", "channel")) == {
        sms.pk: "sms",
        mail.pk: "email",
        unwilling.pk: "sms",
    }
    assert set(invitations.values_list("message_class", flat=True)) == {MessageClass.CARE}
    # again: nobody new, nothing more
    client.post(reverse("events:guests-invite", args=[event.pk]))
    assert invitations.count() == 3

    assert messages_send(seconds=10).sent == 2
    text = OutboxMessage.objects.get(customer=sms, channel="sms").body
    assert event.title in text and "/s/" in text
    page = client.get(reverse("events:guests", args=[event.pk])).content.decode()
    assert sms.name in page and 'data-figure="invited">4' in page
    # staff see whose invitation did not go, and why
    assert page.count('data-invitation="sent"') == 2
    assert 'data-invitation="suppressed">No consent for the channel' in page


def test_invitations_wait_until_the_event_is_open(event, staff_a, department_a):
    event.status = EventStatus.APPROVED
    event.save()
    event.target_segments.add(SegmentFactory(department=department_a))
    CustomerFactory(department=department_a)
    client = Client()
    client.force_login(staff_a)
    client.post(reverse("events:guests-invite", args=[event.pk]))
    assert not Guest.objects.filter(event=event).exists()


# --- check-in ---------------------------------------------------------------------------


def test_checking_in_twice_is_recorded_once(event, staff_a, manager_a):
    guest = GuestFactory(event=event, status=GuestStatus.ACCEPTED, party_size=2)
    first = guest_check_in(guest=guest, user=staff_a)
    second = guest_check_in(guest=guest, user=manager_a)
    assert first.recorded and not second.recorded
    assert second.guest.checked_in_by == staff_a
    client = Client()
    client.force_login(manager_a)
    page = client.post(reverse("events:guest-checkin", args=[guest.pk])).content.decode()
    assert 'id="already-checked-in"' in page
    assert timezone.localtime(first.guest.checked_in_at).strftime("%H:%M") in page
    assert reload(guest).checked_in_by == staff_a


def test_staff_of_another_department_can_neither_see_nor_check_in(event, staff_b):
    guest = GuestFactory(event=event, status=GuestStatus.ACCEPTED)
    client = Client()
    client.force_login(staff_b)
    for name, pk in (("events:guests", event.pk), ("events:checkin", event.pk)):
        assert client.get(reverse(name, args=[pk])).status_code == 404
    assert client.get(reverse("events:guest-checkin", args=[guest.pk])).status_code == 404
    assert client.post(reverse("events:guest-checkin", args=[guest.pk])).status_code == 404
    assert client.get(reverse("events:checkin-counter", args=[event.pk])).status_code == 404
    assert reload(guest).checked_in_at is None


def test_search_by_last_four_digits_and_a_walk_in(event, staff_a, department_a):
    guest = GuestFactory(
        event=event, customer=CustomerFactory(department=department_a, mobile="+8613712348765")
    )
    client = Client()
    client.force_login(staff_a)
    page = client.get(reverse("events:checkin", args=[event.pk]), {"q": "8765"}).content.decode()
    assert f'data-guest="{guest.pk}"' in page

    response = client.post(
        reverse("events:checkin-walk-in", args=[event.pk]),
        {"name": "李四", "mobile": "137 0000 1234", "party_size": "2"},
    )
    assert response.status_code == 200
    walk_in = Guest.objects.get(event=event, source=GuestSource.WALK_IN)
    assert walk_in.customer.mobile == "+8613700001234" and walk_in.checked_in_at is not None
    assert Customer.objects.filter(mobile="+8613700001234").count() == 1
    counter = client.get(reverse("events:checkin-counter", args=[event.pk])).content.decode()
    assert 'data-arrived="2"' in counter

    bad = client.post(
        reverse("events:checkin-walk-in", args=[event.pk]), {"name": "王五", "mobile": "123"}
    )
    assert bad.status_code == 400 and 'id="walk-in-errors"' in bad.content.decode()


def test_a_user_without_the_check_in_permission_is_refused(event, department_a):
    user = UserFactory(role="staff", department=department_a)
    user.groups.clear()
    client = Client()
    client.force_login(user)
    assert client.get(reverse("events:checkin", args=[event.pk])).status_code == 403


def test_reminders_go_to_accepted_guests_on_the_event_day(event, staff_a):
    accepted = GuestFactory(event=event, status=GuestStatus.ACCEPTED)
    GuestFactory(event=event, status=GuestStatus.DECLINED)
    consent(accepted.customer, "sms")
    client = Client()
    client.force_login(staff_a)
    client.post(reverse("events:guests-remind", args=[event.pk]))
    reminders = event_messages(event).filter(source__kind="event_reminder")
    assert list(reminders.values_list("customer_id", flat=True)) == [accepted.customer_id]
    assert reminders.get().occasion == timezone.localtime(event.starts_at).date()
    assert reminders.get().status == MessageStatus.QUEUED


# --- API --------------------------------------------------------------------------------


def test_the_api_lists_guests_in_scope_and_checks_in_once(event, api_client_for, staff_a, staff_b):
    guest = GuestFactory(event=event, status=GuestStatus.ACCEPTED)
    client = api_client_for(staff_a)
    listed = client.get("/api/v1/event-guests/", {"event": event.pk}).json()
    assert [row["id"] for row in listed["results"]] == [guest.pk]
    first = client.post(f"/api/v1/event-guests/{guest.pk}/check_in/").json()
    second = client.post(f"/api/v1/event-guests/{guest.pk}/check_in/").json()
    assert first["recorded"] is True and second["recorded"] is False
    assert second["guest"]["checked_in_by"] == staff_a.pk

    stranger = api_client_for(staff_b)
    assert stranger.get("/api/v1/event-guests/").json()["results"] == []
    assert stranger.post(f"/api/v1/event-guests/{guest.pk}/check_in/").status_code == 404


# --- the invitation's own words ---------------------------------------------------------


def test_an_events_own_invitation_text_is_sent_with_the_guests_link(event, staff_a, settings):
    settings.SITE_URL = "https://crm.example.cn"
    client = Client()
    client.force_login(staff_a)
    url = reverse("events:guests-texts", args=[event.pk])

    refused = client.post(url, {"invitation_text": "{name}，欢迎光临 {title} {venue}"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Unknown placeholder: {venue}" in page and "欢迎光临" in page  # nothing lost
    no_link = client.post(url, {"invitation_text": "{name}，欢迎光临 {title}"})
    assert no_link.status_code == 400 and "Include {link}" in no_link.content.decode()

    saved = client.post(url, {"invitation_text": "{name}，诚邀您参加{title}，回复：{link}"})
    assert saved.status_code == 302
    guest = GuestFactory(event=event, customer=CustomerFactory(department=event.department))
    consent(guest.customer, "sms")
    from events.services.invitations import event_messages_enqueue

    event_messages_enqueue(
        event=event,
        kind=EVENT_INVITATION,
        customers=Customer.objects.filter(pk=guest.customer_id),
    )
    assert messages_send(seconds=10).sent == 1
    body = OutboxMessage.objects.get(customer=guest.customer).body
    assert f"{guest.customer.name}，诚邀您参加{event.title}，回复：" in body
    assert "https://crm.example.cn/s/" in body


def test_the_demo_seeder_gives_open_and_held_events_guests(department_a):
    import io
    import random

    from events.demo_guests import seed_guests

    CustomerFactory.create_batch(12, department=department_a)
    open_event = EventFactory(department=department_a, status=EventStatus.OPEN, capacity=6)
    held = EventFactory(department=department_a, status=EventStatus.HELD, capacity=None)
    draft = EventFactory(department=department_a)
    seed_guests(rng=random.Random(3), options={}, stdout=io.StringIO())
    assert guest_figures(open_event).accepted_people <= 6
    assert guest_figures(held).checked_in > 0 and guest_figures(held).walk_ins == 1
    assert not Guest.objects.filter(event=draft).exists()


def test_the_day_before_accepted_guests_are_reminded_once(department_a):
    from django_celery_beat.models import PeriodicTask

    from events.tasks import remind_guests

    tomorrow = timezone.localtime() + dt.timedelta(days=1)
    event = EventFactory(
        department=department_a,
        status=EventStatus.OPEN,
        starts_at=tomorrow,
        ends_at=tomorrow + dt.timedelta(hours=2),
    )
    later = EventFactory(department=department_a, status=EventStatus.OPEN)
    guests = [GuestFactory(event=e, status=GuestStatus.ACCEPTED) for e in (event, later)]
    for guest in guests:
        consent(guest.customer, "sms")
    assert remind_guests()["queued"] == 1
    assert remind_guests()["queued"] == 0
    reminded = event_messages(event).filter(source__kind="event_reminder")
    assert list(reminded.values_list("customer_id", flat=True)) == [guests[0].customer_id]
    assert PeriodicTask.objects.filter(task="events.remind_guests", enabled=True).exists()


def test_the_rsvp_page_speaks_the_customers_language(event, settings):
    """The product's language (zh-hans here) unless the customer switched; an error is
    shown on that page. (The Chinese words of new strings arrive with the catalogue.)"""
    settings.LANGUAGE_CODE = "zh-hans"
    guest = GuestFactory(event=event)
    response = rsvp(Client(), guest, answer="accept", party_size=9)
    page = response.content.decode()
    assert response.status_code == 400
    assert '<html lang="zh-hans">' in page and 'id="rsvp-errors"' in page
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = rsvp(english, guest, answer="accept", party_size=9).content.decode()
    assert '<html lang="en">' in page and "Choose between 1 and 3 people." in page


def test_a_larger_capacity_goes_to_the_waitlist_first(event):
    from events.services.guests import waitlist_promote

    first, second, third = (GuestFactory(event=event) for _ in range(3))
    guest_respond(guest=first, attending=True, party_size=3)
    guest_respond(guest=second, attending=True, party_size=3)
    guest_respond(guest=third, attending=True, party_size=1)
    assert reload(second).status == GuestStatus.WAITLISTED
    event.capacity = 7
    event.save()

    promoted = waitlist_promote(event=event)

    assert [g.pk for g in promoted] == [second.pk]
    assert guest_figures(event).accepted_people == 7


def test_the_guest_list_exports_as_csv_with_the_filters(event, staff_a):
    accepted = GuestFactory(event=event, status=GuestStatus.ACCEPTED, dietary_note="素食")
    declined = GuestFactory(event=event, status=GuestStatus.DECLINED)
    client = Client()
    client.force_login(staff_a)
    response = client.get(reverse("events:guests-export", args=[event.pk]), {"status": "accepted"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert accepted.customer.name in text and "素食" in text
    assert declined.customer.name not in text
