"""The whole path in Debian's Chromium at phone size, against a live server: staff invite
the target segment, the delivery engine really sends the SMS to the local gateway
stand-in, the customer opens the link from that SMS, accepts for two with a dietary note
and sees the QR code; a member of staff opens the URL the code holds and checks the guest
in, and the door's counter shows two."""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from carecrm.core.testing import PHONE, chromium
from customers.tests.factories import CustomerFactory
from delivery.models import FrequencyCap, QuietHours
from delivery.services.sending import messages_send
from delivery.standin import GatewayStandIn
from delivery.tests.senders import consent
from events.models import EventStatus, Guest, GuestStatus
from events.tests.factories import EventFactory
from segmentation.tests.factories import SegmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gateway(settings):
    with GatewayStandIn() as standin:
        settings.DELIVERY_CHANNELS = {
            **settings.DELIVERY_CHANNELS,
            "sms": {
                "BACKEND": "http",
                "URL": standin.url + "/sms",
                "TOKEN": standin.token,
                "RATE": 0,
                "BATCH": 20,
            },
        }
        yield standin


def link(text: str, path_prefix: str) -> str:
    for url in re.findall(r"https?://[^\s<>\"]+", text):
        if urlsplit(url).path.startswith(path_prefix):
            return url
    raise AssertionError(f"no {path_prefix} link in {text!r}")


def test_a_customer_answers_from_the_sms_and_is_checked_in_by_scanning(
    settings, live_server, gateway, department_a, staff_a, monkeypatch
):
    settings.SITE_URL = live_server.url
    settings.LANGUAGE_CODE = "en"
    FrequencyCap.objects.all().delete()
    QuietHours.objects.all().delete()
    event = EventFactory(
        department=department_a,
        status=EventStatus.OPEN,
        capacity=10,
        max_party_size=2,
        title="Spring banquet",
    )
    segment = SegmentFactory(department=department_a)
    event.target_segments.add(segment)
    customer = CustomerFactory(department=department_a, name="张三丰", mobile="+8613912345678")
    consent(customer, "sms")

    staff = Client()
    staff.force_login(staff_a)
    assert staff.post(f"/events/{event.pk}/guests/invite/").status_code == 302
    assert messages_send(seconds=10).sent == 1
    (sms,) = gateway.delivered.values()
    assert sms["to"] == "+8613912345678" and "Spring banquet" in sms["text"]
    sms_link = link(sms["text"], "/s/")
    session = staff.cookies[django_settings.SESSION_COOKIE_NAME].value

    with chromium(monkeypatch) as browser:
        context = browser.new_context(locale="en-US", **PHONE)
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))

        page.goto(sms_link)  # the short link leads to the RSVP page
        page.wait_for_selector("#rsvp-form")
        assert urlsplit(page.url).path.startswith("/e/")
        assert "Spring banquet" in page.inner_text("#event-card")
        page.select_option("#id_party_size", "2")
        page.fill("#id_dietary_note", "No peanuts")
        page.click("#rsvp-accept")
        page.wait_for_selector("#rsvp-saved")
        page.wait_for_selector("#check-in-code svg")
        check_in_url = page.get_attribute("#check-in-code", "data-check-in-url")
        assert problems == []

        guest = Guest.objects.get(event=event, customer=customer)
        assert (guest.status, guest.party_size, guest.dietary_note) == (
            GuestStatus.ACCEPTED,
            2,
            "No peanuts",
        )
        assert check_in_url == f"{live_server.url}/events/guests/{guest.pk}/check-in/"

        door = browser.new_context(locale="en-US", **PHONE)
        host = urlsplit(live_server.url).hostname
        door.add_cookies(
            [
                {
                    "name": django_settings.SESSION_COOKIE_NAME,
                    "value": session,
                    "domain": host,
                    "path": "/",
                }
            ]
        )
        counter = door.new_page()  # the door's own phone, left open on the check-in tab
        counter.goto(f"{live_server.url}/events/{event.pk}/check-in/")
        assert counter.inner_text("#arrived-people").strip() == "0"
        scan = door.new_page()
        scan.on("pageerror", lambda exc: problems.append(str(exc)))
        scan.goto(check_in_url)
        assert "张三丰" in scan.inner_text("#checkin-guest")
        scan.click("#check-in-button")
        scan.wait_for_selector("#checked-in")
        # the open counter catches up by itself (HTMX polling), no reload
        counter.wait_for_function(
            "() => document.querySelector('#arrived-people').textContent.trim() === '2'",
            timeout=10_000,
        )
        assert counter.inner_text("#expected-people").strip() == "2"
        assert problems == []
    connections.close_all()

    guest.refresh_from_db()
    assert guest.checked_in_at is not None and guest.checked_in_by == staff_a


@pytest.fixture
def staff_browser(live_server, staff_a, monkeypatch, settings):
    """Chromium with staff_a's session, and the customer-facing language left at
    English (Chinese translations of new strings arrive at merge)."""
    settings.LANGUAGE_CODE = "en"
    client = Client()
    client.force_login(staff_a)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    with chromium(monkeypatch) as browser:
        context = browser.new_context(locale="en-US", **PHONE)
        context.add_cookies(
            [
                {
                    "name": django_settings.SESSION_COOKIE_NAME,
                    "value": session,
                    "domain": urlsplit(live_server.url).hostname,
                    "path": "/",
                }
            ]
        )
        yield context
    connections.close_all()


def test_staff_invite_one_customer_and_add_a_walk_in_at_the_door(
    live_server, department_a, staff_browser
):
    FrequencyCap.objects.all().delete()
    QuietHours.objects.all().delete()
    event = EventFactory(department=department_a, status=EventStatus.OPEN, max_party_size=1)
    customer = CustomerFactory(department=department_a, name="王小明", mobile="+8613911114321")
    page = staff_browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    page.goto(f"{live_server.url}/events/{event.pk}/guests/")
    page.fill("#add-search input[name=add]", "4321")
    page.click("#add-search button")
    page.click("#add-results button")
    page.wait_for_selector(f"#guest-list >> text={customer.name}")
    assert Guest.objects.filter(event=event, customer=customer).exists()

    page.goto(f"{live_server.url}/events/{event.pk}/check-in/")
    page.fill("#walk-in-name", "赵六")
    page.fill("#walk-in-mobile", "12")
    page.click("#walk-in-form button[type=submit]")
    page.wait_for_selector("#walk-in-errors")
    assert "valid mobile" in page.inner_text("#walk-in-errors")
    assert page.input_value("#walk-in-name") == "赵六"  # nothing typed is lost
    page.fill("#walk-in-mobile", "139 2222 3333")
    page.fill("#walk-in-party", "2")
    page.click("#walk-in-form button[type=submit]")
    page.wait_for_selector("#checked-in")
    assert page.inner_text("#arrived-people").strip() == "2"
    walk_in = Guest.objects.get(event=event, source="walk_in")
    assert walk_in.customer.mobile == "+8613922223333" and walk_in.checked_in_at is not None
    assert problems == []


def test_an_rsvp_refused_after_its_cookie_was_lost_offers_a_way_forward(
    settings, live_server, department_a, monkeypatch
):
    """Cookies cleared between opening and pressing: the customer's own page, and
    pressing again works (the CSRF check the public pages use, in a real browser)."""
    from events.tests.factories import GuestFactory
    from events.tokens import guest_token

    settings.LANGUAGE_CODE = "en"
    event = EventFactory(department=department_a, status=EventStatus.OPEN)
    guest = GuestFactory(event=event)
    with chromium(monkeypatch) as browser:
        page = browser.new_context(locale="en-US", **PHONE).new_page()
        page.goto(f"{live_server.url}/e/{guest_token(guest)}/")
        page.context.clear_cookies()
        page.click("#rsvp-accept")
        page.wait_for_selector("#public-error")
        assert "CSRF" not in page.content()
        assert Guest.objects.get(pk=guest.pk).status == GuestStatus.INVITED
        page.click("#retry")
        page.click("#rsvp-accept")
        page.wait_for_selector("#rsvp-saved")
        assert Guest.objects.get(pk=guest.pk).status == GuestStatus.ACCEPTED
    connections.close_all()
