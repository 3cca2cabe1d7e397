"""Tracking: the open pixel and the click and short-link redirects, followed from the
message as it was sent. Redirects lead only to the links the message held."""

import datetime as dt
import json
import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from campaigns.models import (
    FrequencyCap,
    MessageEvent,
    MessageEventKind,
    OutboxMessage,
    QuietHours,
    TouchChannel,
)
from campaigns.services.dispatch import touches_dispatch
from delivery.services.preferences import message_clicked, message_opened
from delivery.services.sending import messages_send
from delivery.tests.senders import consenting_customers, due_campaign
from delivery.tokens import message_token
from delivery.views.public import TRANSPARENT_GIF

pytestmark = pytest.mark.django_db
EVENT = "https://shop.example.cn/event"


@pytest.fixture
def sent(settings, department_a, staff_a, manager_a):
    """One email and one SMS, sent: (email message, its HTML, SMS message, its text)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    FrequencyCap.objects.all().delete()
    QuietHours.objects.all().delete()
    consenting_customers(department_a, 1, TouchChannel.EMAIL, TouchChannel.SMS)
    due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        channels=(TouchChannel.EMAIL, TouchChannel.SMS),
        on=dt.date.today(),
        send_time=dt.time(0, 0),
        channel_strategy="all",
    )
    touches_dispatch(on=dt.date.today())
    assert messages_send(seconds=10).sent == 2
    html = mail.outbox[0].alternatives[0][0]
    sms_line = json.loads((Path(settings.DELIVERY_FILE_DIR) / "sms.jsonl").read_text())
    return (
        OutboxMessage.objects.get(channel="email"),
        html,
        OutboxMessage.objects.get(channel="sms"),
        sms_line["body"],
    )


def _path(url: str) -> str:
    return urlsplit(url).path


def _events(message, kind):
    return list(MessageEvent.objects.filter(message=message, kind=kind))


class TestTheOpenPixel:
    def test_each_load_counts_and_the_first_is_an_event(self, sent):
        email, html, _sms, _text = sent
        pixel = re.search(r'<img src="([^"]+\.gif)"', html).group(1)
        client = Client()

        first = client.get(_path(pixel))
        client.get(_path(pixel))

        assert first.status_code == 200
        assert first["Content-Type"] == "image/gif" and first.content == TRANSPARENT_GIF
        assert "no-store" in first["Cache-Control"]
        assert "Set-Cookie" not in first
        email.refresh_from_db()
        assert email.open_count == 2 and email.opened_at is not None
        assert len(_events(email, MessageEventKind.OPENED)) == 1

    def test_a_bad_token_gets_the_same_gif_and_records_nothing(self, sent):
        email, _html, _sms, _text = sent
        for token in ["nope", message_token(email.pk, "click"), message_token(10**9, "open")]:
            response = Client().get(reverse("delivery:open", args=[token]))
            assert response.status_code == 200 and response.content == TRANSPARENT_GIF
        assert not OutboxMessage.objects.filter(open_count__gt=0).exists()
        assert not MessageEvent.objects.filter(kind=MessageEventKind.OPENED).exists()


class TestClickRedirects:
    def test_an_email_link_leads_to_the_recorded_link_and_counts(self, sent):
        email, html, _sms, _text = sent
        tracked = re.search(r'<a href="([^"]+/m/c/[^"]+)"', html).group(1)
        assert EVENT not in html.split("<hr>")[0]

        response = Client().get(_path(tracked))

        assert response.status_code == 302 and response["Location"] == EVENT
        assert response["Referrer-Policy"] == "no-referrer"
        email.refresh_from_db()
        assert email.click_count == 1 and email.clicked_at is not None
        (event,) = _events(email, MessageEventKind.CLICKED)
        assert event.detail == {"index": 0, "url": EVENT}

    def test_a_click_without_a_pixel_load_counts_as_the_open(self, sent):
        email, html, _sms, _text = sent
        tracked = re.search(r'<a href="([^"]+/m/c/[^"]+)"', html).group(1)
        Client().get(_path(tracked))
        Client().get(_path(tracked))

        email.refresh_from_db()
        assert (email.open_count, email.click_count) == (1, 2)
        assert email.opened_at == email.clicked_at
        assert len(_events(email, MessageEventKind.OPENED)) == 1
        assert len(_events(email, MessageEventKind.CLICKED)) == 2

    def test_an_sms_short_link_redirects_and_counts(self, sent):
        _email, _html, sms, text = sent
        short = re.search(r"https?://\S+/s/\S+/\d+", text).group(0)

        response = Client().get(_path(short))

        assert response.status_code == 302 and response["Location"] == EVENT
        sms.refresh_from_db()
        assert sms.click_count == 1 and sms.opened_at is not None

    @pytest.mark.parametrize("index", [1, 2, 99])
    def test_an_index_the_message_does_not_hold_is_a_404(self, sent, index):
        email, _html, sms, _text = sent
        click = reverse("delivery:click", args=[message_token(email.pk, "click"), index])
        short = reverse("delivery:short", args=[message_token(sms.pk, "short"), index])
        assert Client().get(click).status_code == 404
        assert Client().get(short).status_code == 404
        assert not OutboxMessage.objects.filter(click_count__gt=0).exists()

    def test_a_forged_or_foreign_token_is_a_404(self, sent):
        email, _html, sms, _text = sent
        forged = message_token(email.pk, "click")[:-1] + "x"
        for url in [
            reverse("delivery:click", args=[forged, 0]),
            reverse("delivery:click", args=[message_token(email.pk, "unsubscribe"), 0]),
            reverse("delivery:short", args=[message_token(sms.pk, "click"), 0]),
            "/m/c/0-0/0/",
        ]:
            response = Client().get(url)
            assert response.status_code == 404, url
            assert "Location" not in response
        assert not MessageEvent.objects.filter(kind=MessageEventKind.CLICKED).exists()

    def test_a_message_whose_stored_link_is_not_http_is_never_followed(self, sent):
        email, _html, _sms, _text = sent
        OutboxMessage.objects.filter(pk=email.pk).update(links=["javascript:alert(1)"])
        url = reverse("delivery:click", args=[message_token(email.pk, "click"), 0])
        assert Client().get(url).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_concurrent_opens_and_clicks_are_all_counted(department_a, staff_a, manager_a):
    """F() updates: eight threads at once lose no count and record one first open."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    (customer,) = consenting_customers(department_a, 1, TouchChannel.EMAIL)
    due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        channels=(TouchChannel.EMAIL,),
        on=dt.date.today(),
        send_time=dt.time(0, 0),
    )
    FrequencyCap.objects.all().delete()
    touches_dispatch(on=dt.date.today())
    message = OutboxMessage.objects.get(customer=customer)
    OutboxMessage.objects.filter(pk=message.pk).update(links=[EVENT])
    message.refresh_from_db()
    start = threading.Barrier(8)

    def hit(n):
        start.wait()
        try:
            if n % 2:
                message_opened(message)
            else:
                message_clicked(message, 0)
        finally:
            connection.close()

    threads = [threading.Thread(target=hit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    message.refresh_from_db()
    assert message.click_count == 4
    assert message.open_count in (4, 5)  # a click counts as the open only if it came first
    assert len(_events(message, MessageEventKind.OPENED)) == 1
    assert len(_events(message, MessageEventKind.CLICKED)) == 4
