"""What a customer sees when something goes wrong on a page opened from a message: a
refused form, a broken link, a server error — always the phone-sized page in their
language with a way forward, never Django's debug or English error page, DEBUG or not.
(The browser tests in ``test_public_browser.py`` prove the forms work in Chromium.)"""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.models import FrequencyCap, OutboxMessage, QuietHours, TouchChannel, Unsubscribe
from campaigns.services.dispatch import touches_dispatch
from customers.tests.factories import CustomerFactory
from delivery.tests.senders import consent, due_campaign
from delivery.tokens import message_token

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def sms_message(department_a, staff_a, manager_a) -> OutboxMessage:
    FrequencyCap.objects.all().delete()
    QuietHours.objects.all().delete()
    customer = CustomerFactory(department=department_a)
    consent(customer, TouchChannel.SMS)
    due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        channels=(TouchChannel.SMS,),
        on=TODAY,
        send_time=dt.time(0, 0),
    )
    touches_dispatch(on=TODAY)
    return OutboxMessage.objects.get(customer=customer)


def _unsubscribe_path(message: OutboxMessage) -> str:
    return reverse("delivery:unsubscribe", args=[message_token(message.pk, "unsubscribe")])


def _body(response) -> str:
    return response.content.decode()


class TestARefusedForm:
    def test_a_post_with_origin_null_gets_the_friendly_page_in_the_customers_language(
        self, settings, sms_message
    ):
        """What Chromium sent under the old ``no-referrer`` policy."""
        settings.LANGUAGE_CODE = "zh-hans"
        client = Client(enforce_csrf_checks=True)
        path = _unsubscribe_path(sms_message)
        client.get(path)

        response = client.post(
            path,
            {"choice": "all", "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
            HTTP_ORIGIN="null",
        )

        assert response.status_code == 403
        body = _body(response)
        assert '<html lang="zh-hans">' in body
        assert "请再试一次" in body and f'href="{path}"' in body
        assert "CSRF" not in body and "Origin" not in body and "main-nav" not in body
        assert response["Cache-Control"] == "no-store, private"
        assert not Unsubscribe.objects.exists()

    def test_the_same_post_from_the_page_itself_is_accepted(self, sms_message):
        client = Client(enforce_csrf_checks=True)
        path = _unsubscribe_path(sms_message)
        client.get(path)

        response = client.post(
            path,
            {"choice": "channel", "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
            HTTP_ORIGIN="http://testserver",
        )

        assert response.status_code == 200
        assert Unsubscribe.objects.filter(customer=sms_message.customer, channel="sms").exists()

    def test_a_refused_language_switch_leads_back_to_the_customer_page(self, sms_message):
        path = _unsubscribe_path(sms_message)
        response = Client(enforce_csrf_checks=True).post(
            reverse("set_language"), {"language": "en", "next": path}
        )
        assert response.status_code == 403
        assert 'id="public-error"' in _body(response) and f'href="{path}"' in _body(response)

    def test_the_public_pages_send_the_same_origin_referrer_policy(self, sms_message):
        """Our own forms then post with their origin; other sites never get a Referer
        holding the token."""
        response = Client().get(_unsubscribe_path(sms_message))
        assert response["Referrer-Policy"] == "same-origin"
        assert '<meta name="referrer" content="same-origin">' in _body(response)
        assert "no-referrer" not in _body(response)


class TestWithDebugOn:
    """``make run`` runs with DEBUG on: customers must still never see the debug pages."""

    @pytest.fixture(autouse=True)
    def _debug(self, settings):
        settings.DEBUG = True

    @pytest.mark.parametrize("path", ["/m/u/", "/m/x/abc/", "/s/abc/notanumber", "/m/u/a/b/c/"])
    def test_a_cut_off_link_is_the_customers_404_page(self, settings, path, db):
        settings.LANGUAGE_CODE = "zh-hans"
        response = Client().get(path)
        assert response.status_code == 404
        body = _body(response)
        assert "链接无效" in body and 'id="public-error"' in body
        assert "Using the URLconf" not in body and "Page not found" not in body

    def test_an_error_inside_a_customer_page_is_the_friendly_500_page(
        self, settings, monkeypatch, sms_message
    ):
        settings.LANGUAGE_CODE = "zh-hans"

        def broken(message):
            raise RuntimeError("database went away")

        monkeypatch.setattr("delivery.views.public.recipient", broken)
        response = Client(raise_request_exception=False).get(_unsubscribe_path(sms_message))

        assert response.status_code == 500
        body = _body(response)
        assert "我们这边出了点问题" in body and "Traceback" not in body
        assert "database went away" not in body


def test_without_debug_an_unknown_public_path_is_the_customers_page_too(settings, db):
    settings.DEBUG = False
    response = Client().get("/m/nothing-here/")
    assert response.status_code == 404
    assert 'id="public-error"' in _body(response)
