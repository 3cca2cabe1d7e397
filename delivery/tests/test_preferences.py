"""Unsubscribe and preferences: the one-click header, the unsubscribe page, the
preference page and the staff opt-out — and that nothing more reaches a customer who
refused, even when the message was already queued or claimed."""

import datetime as dt
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from campaigns.models import (
    CareKind,
    FrequencyCap,
    MessageEvent,
    MessageEventKind,
    MessageStatus,
    OutboxMessage,
    QuietHours,
    SuppressionReason,
    TouchChannel,
    Unsubscribe,
    UnsubscribeSource,
)
from campaigns.services.dispatch import touches_dispatch
from campaigns.sources import campaign_source
from carecrm.accounts.tests.factories import UserFactory
from carecrm.core.branding.services import sender_brand_update
from carecrm.core.models import AuditAction, AuditEntry
from carecrm.core.tests.factories import picture
from customers.models import ChannelConsent, ConsentMethod
from customers.tests.factories import CustomerFactory
from delivery.services.preferences import unsubscribe
from delivery.services.sending import claim, messages_send, send_claimed
from delivery.tests.senders import consent, consenting_customers, due_campaign
from delivery.tokens import Purpose, message_token

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()
LATER = TODAY + dt.timedelta(days=3)  # queued, not yet due, whatever the hour


@pytest.fixture(autouse=True)
def _delivery(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    FrequencyCap.objects.all().delete()
    QuietHours.objects.all().delete()


def _campaign(department, staff, manager, *, channels, on=TODAY, **fields):
    campaign = due_campaign(
        department=department,
        author=staff,
        manager=manager,
        channels=channels,
        on=on,
        send_time=dt.time(0, 0),
        channel_strategy="all",
        **fields,
    )
    touches_dispatch(on=on)
    return campaign


def _path(url: str) -> str:
    return urlsplit(url).path


def _sent_lines(settings, channel: str) -> list[dict]:
    path = Path(settings.DELIVERY_FILE_DIR) / f"{channel}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _consent(customer, channel):
    return ChannelConsent.objects.get(customer=customer, channel=channel)


def _csrf_post(client: Client, path: str, data: dict):
    """Open the page first, as a browser would, and post the form with its CSRF token."""
    assert client.get(path).status_code == 200
    return client.post(path, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
def test_one_click_post_from_the_email_header_unsubscribes_from_email(
    encoding, department_a, staff_a, manager_a
):
    customer, other = consenting_customers(department_a, 2, TouchChannel.EMAIL, TouchChannel.SMS)
    now_campaign = _campaign(department_a, staff_a, manager_a, channels=(TouchChannel.EMAIL,))
    _campaign(
        department_a,
        staff_a,
        manager_a,
        channels=(TouchChannel.EMAIL, TouchChannel.SMS),
        on=LATER,
        care_kind=CareKind.HOLIDAY,
    )
    assert messages_send(seconds=10).sent == 2

    email = next(m for m in mail.outbox if m.to == [customer.email])
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    raw = email.message().as_string()
    assert "List-Unsubscribe: <http" in raw
    url = email.extra_headers["List-Unsubscribe"].strip("<>")
    client = Client(enforce_csrf_checks=True)
    if encoding == "multipart":
        response = client.post(_path(url), {"List-Unsubscribe": "One-Click"})
    else:
        response = client.post(
            _path(url),
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )

    assert response.status_code == 200
    withdrawn = _consent(customer, "email")
    assert not withdrawn.granted and withdrawn.method == ConsentMethod.UNSUBSCRIBE_LINK
    assert _consent(customer, "sms").granted
    row = Unsubscribe.objects.get(customer=customer)
    assert (row.channel, row.care_kind, row.source) == ("email", "", UnsubscribeSource.ONE_CLICK)
    sent = OutboxMessage.objects.get(source=campaign_source(now_campaign), customer=customer)
    assert sent.unsubscribed_at is not None and row.message == sent
    assert sent.events.filter(kind=MessageEventKind.UNSUBSCRIBED).count() == 1
    later = dict(
        OutboxMessage.objects.filter(customer=customer)
        .exclude(source=campaign_source(now_campaign))
        .values_list("channel", "status")
    )
    assert later == {"email": MessageStatus.SUPPRESSED, "sms": MessageStatus.QUEUED}
    assert (
        OutboxMessage.objects.get(customer=customer, channel="email", status="suppressed").reason
        == SuppressionReason.UNSUBSCRIBED
    )
    assert set(
        OutboxMessage.objects.filter(customer=other)
        .exclude(source=campaign_source(now_campaign))
        .values_list("status", flat=True)
    ) == {MessageStatus.QUEUED}


def test_a_repeated_unsubscribe_changes_nothing_more(department_a, staff_a, manager_a):
    (customer,) = consenting_customers(department_a, 1, TouchChannel.EMAIL)
    _campaign(department_a, staff_a, manager_a, channels=(TouchChannel.EMAIL,))
    messages_send(seconds=10)
    url = _path(mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>"))
    client = Client(enforce_csrf_checks=True)

    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    audits = AuditEntry.objects.filter(action=AuditAction.CONSENT).count()
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200

    assert AuditEntry.objects.filter(action=AuditAction.CONSENT).count() == audits == 1
    assert Unsubscribe.objects.filter(customer=customer).count() == 1
    assert MessageEvent.objects.filter(kind=MessageEventKind.UNSUBSCRIBED).count() == 1


def test_a_customer_who_unsubscribes_while_a_send_is_queued_receives_nothing_more(
    settings, department_a, staff_a, manager_a
):
    leaving, staying = consenting_customers(department_a, 2, TouchChannel.SMS)
    _campaign(department_a, staff_a, manager_a, channels=(TouchChannel.SMS,))
    messages_send(seconds=10)
    first = {line["to"]: line for line in _sent_lines(settings, "sms")}
    assert set(first) == {leaving.mobile, staying.mobile}

    second = _campaign(
        department_a, staff_a, manager_a, channels=(TouchChannel.SMS,), care_kind=CareKind.HOLIDAY
    )
    assert (
        OutboxMessage.objects.filter(source=campaign_source(second), status="queued").count() == 2
    )
    response = _csrf_post(
        Client(enforce_csrf_checks=True),
        _path(first[leaving.mobile]["unsubscribe_url"]),
        {"choice": "channel"},
    )
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    report = messages_send(seconds=10)

    assert report.sent == 1
    lines = _sent_lines(settings, "sms")
    assert [line["to"] for line in lines].count(leaving.mobile) == 1
    assert [line["to"] for line in lines].count(staying.mobile) == 2
    stopped = OutboxMessage.objects.get(source=campaign_source(second), customer=leaving)
    assert (stopped.status, stopped.reason) == (MessageStatus.SUPPRESSED, "unsubscribed")


def test_a_message_claimed_before_the_unsubscribe_is_stopped_before_sending(
    settings, department_a, staff_a, manager_a
):
    (customer,) = consenting_customers(department_a, 1, TouchChannel.SMS)
    _campaign(department_a, staff_a, manager_a, channels=(TouchChannel.SMS,))
    batch = claim()
    assert [m.status for m in batch] == [MessageStatus.SENDING]

    unsubscribe(customer=customer, source=UnsubscribeSource.REPLY)
    report = send_claimed(batch)

    assert (report.sent, report.suppressed) == (0, 1)
    assert _sent_lines(settings, "sms") == []
    message = OutboxMessage.objects.get(pk=batch[0].pk)
    assert (message.status, message.reason) == (MessageStatus.SUPPRESSED, "unsubscribed")
    assert _consent(customer, "sms").method == ConsentMethod.REPLY


def _sms_message(department, staff, manager, **customer_fields):
    customer = CustomerFactory(department=department, **customer_fields)
    consent(customer, TouchChannel.SMS)
    _campaign(department, staff, manager, channels=(TouchChannel.SMS,))
    return customer, OutboxMessage.objects.get(customer=customer)


class TestTheUnsubscribePage:
    def test_it_asks_with_the_name_masked_and_never_shows_the_number(
        self, department_a, staff_a, manager_a
    ):
        _customer, message = _sms_message(
            department_a, staff_a, manager_a, name="张三丰", mobile="+8613912345678"
        )
        url = reverse("delivery:unsubscribe", args=[message_token(message.pk, "unsubscribe")])

        body = Client().get(url).content.decode()

        assert "Unsubscribe from CareCRM care messages on SMS?" in body
        assert "张**" in body and "张三丰" not in body
        assert "139****5678" in body and "13912345678" not in body
        assert 'name="choice" value="kind"' in body and 'name="choice" value="all"' in body
        assert "main-nav" not in body
        assert reverse("delivery:preferences", args=[message_token(message.pk, "preferences")]) in (
            body
        )

    def test_it_names_the_sender_brand_with_its_contact_line_and_logo(
        self, department_a, staff_a, manager_a, admin_user
    ):
        logo = picture("PNG")
        sender_brand_update(
            company_name="悦享生活",
            sms_signature="悦享生活",
            contact_line="客服热线 400-820-8820（工作日 9:00–18:00）",
            logo=logo,
            user=admin_user,
        )
        _customer, message = _sms_message(department_a, staff_a, manager_a)
        client = Client()

        body = client.get(
            reverse("delivery:unsubscribe", args=[message_token(message.pk, "unsubscribe")])
        ).content.decode()

        assert "Unsubscribe from 悦享生活 care messages on SMS?" in body
        assert "<title>Unsubscribe · 悦享生活</title>" in body
        assert "客服热线 400-820-8820（工作日 9:00–18:00）" in body
        assert "You receive care messages from 悦享生活 because you agreed" in body
        assert "CareCRM" not in body
        logo_url = re.search(r'<img src="(/brand/logo/[^"]+)"', body).group(1)
        served = client.get(logo_url)
        assert (served["Content-Type"], served.content) == ("image/png", logo)

    def test_refusing_the_kind_of_care_keeps_the_channel_consent(
        self, department_a, staff_a, manager_a
    ):
        customer, message = _sms_message(department_a, staff_a, manager_a)
        url = reverse("delivery:unsubscribe", args=[message_token(message.pk, "unsubscribe")])

        _csrf_post(Client(enforce_csrf_checks=True), url, {"choice": "kind"})

        row = Unsubscribe.objects.get(customer=customer)
        assert (row.channel, row.care_kind, row.source) == ("", message.care_kind, "link")
        assert _consent(customer, "sms").granted

    def test_refusing_everything_withdraws_every_online_channel_but_not_calls(
        self, department_a, staff_a, manager_a
    ):
        customer, message = _sms_message(department_a, staff_a, manager_a)
        consent(customer, "email", "phone")
        url = reverse("delivery:unsubscribe", args=[message_token(message.pk, "unsubscribe")])

        _csrf_post(Client(enforce_csrf_checks=True), url, {"choice": "all"})

        assert Unsubscribe.objects.filter(customer=customer, channel="", care_kind="").exists()
        consents = dict(
            ChannelConsent.objects.filter(customer=customer).values_list("channel", "granted")
        )
        assert consents == {
            "sms": False,
            "email": False,
            "wecom": False,
            "push": False,
            "phone": True,
        }

    def test_the_choice_form_needs_its_csrf_token(self, department_a, staff_a, manager_a):
        _customer, message = _sms_message(department_a, staff_a, manager_a)
        url = reverse("delivery:unsubscribe", args=[message_token(message.pk, "unsubscribe")])

        response = Client(enforce_csrf_checks=True).post(url, {"choice": "all"})

        assert response.status_code == 403
        assert not Unsubscribe.objects.exists()

    @pytest.mark.parametrize("token", ["", "x", "zz-zz", "1-abcdef", "!!!-@@", "9" * 40])
    def test_a_bad_token_is_a_404_page(self, token, db):
        url = f"/m/u/{token}/" if token else "/m/u/-/"
        response = Client().get(url)
        assert response.status_code == 404
        assert "This link is not valid" in response.content.decode()
        assert Client().post(url, {"List-Unsubscribe": "One-Click"}).status_code == 404

    def test_a_token_for_a_deleted_message_is_a_404(self, db):
        url = reverse("delivery:unsubscribe", args=[message_token(987654, "unsubscribe")])
        assert Client().post(url, {"List-Unsubscribe": "One-Click"}).status_code == 404

    def test_it_speaks_the_product_language_unless_the_visitor_chose(
        self, settings, department_a, staff_a, manager_a
    ):
        _customer, message = _sms_message(department_a, staff_a, manager_a)
        url = reverse("delivery:unsubscribe", args=[message_token(message.pk, "unsubscribe")])
        settings.LANGUAGE_CODE = "zh-hans"

        browser_in_english = Client(HTTP_ACCEPT_LANGUAGE="en")
        assert '<html lang="zh-hans">' in browser_in_english.get(url).content.decode()
        browser_in_english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        assert '<html lang="en">' in browser_in_english.get(url).content.decode()


class TestThePreferencePage:
    def test_round_trip(self, department_a, staff_a, manager_a):
        customer, message = _sms_message(department_a, staff_a, manager_a, name="李雷")
        url = reverse("delivery:preferences", args=[message_token(message.pk, "preferences")])
        client = Client(enforce_csrf_checks=True)

        page = client.get(url).content.decode()
        assert "李*" in page and "李雷" not in page
        assert 'name="channel_sms" id="id_channel_sms" checked' in page
        assert 'name="channel_email" id="id_channel_email">' in page
        assert 'name="kind_birthday" id="id_kind_birthday" checked' in page

        response = client.post(
            url,
            {
                "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
                "channel_email": "on",
                **{f"kind_{kind}": "on" for kind in CareKind.values if kind != "birthday"},
            },
        )

        assert response.status_code == 302 and response["Location"] == f"{url}?saved=1"
        sms, email = _consent(customer, "sms"), _consent(customer, "email")
        assert not sms.granted and sms.method == ConsentMethod.PREFERENCE_PAGE
        assert email.granted and email.method == ConsentMethod.PREFERENCE_PAGE
        assert set(
            Unsubscribe.objects.filter(customer=customer).values_list("channel", "care_kind")
        ) == {("sms", ""), ("", "birthday")}
        page = client.get(response["Location"]).content.decode()
        assert "Your choices are saved." in page
        assert 'name="channel_sms" id="id_channel_sms">' in page
        assert 'name="channel_email" id="id_channel_email" checked' in page
        assert 'name="kind_birthday" id="id_kind_birthday">' in page

        client.post(
            url,
            {
                "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
                "channel_sms": "on",
                **{f"kind_{kind}": "on" for kind in CareKind.values},
            },
        )

        assert _consent(customer, "sms").granted and not _consent(customer, "email").granted
        assert set(
            Unsubscribe.objects.filter(customer=customer).values_list("channel", "care_kind")
        ) == {("email", "")}

    def test_everything_off_overrides_the_switches(self, department_a, staff_a, manager_a):
        customer, message = _sms_message(department_a, staff_a, manager_a)
        url = reverse("delivery:preferences", args=[message_token(message.pk, "preferences")])

        _csrf_post(Client(enforce_csrf_checks=True), url, {"all_off": "on", "channel_sms": "on"})

        assert Unsubscribe.objects.filter(customer=customer, channel="", care_kind="").exists()
        assert not _consent(customer, "sms").granted
        message.refresh_from_db()
        assert message.status == MessageStatus.SUPPRESSED

    def test_saving_an_unchanged_page_writes_nothing(self, department_a, staff_a, manager_a):
        customer, message = _sms_message(department_a, staff_a, manager_a)
        url = reverse("delivery:preferences", args=[message_token(message.pk, "preferences")])

        _csrf_post(
            Client(enforce_csrf_checks=True),
            url,
            {"channel_sms": "on", **{f"kind_{kind}": "on" for kind in CareKind.values}},
        )

        assert not AuditEntry.objects.filter(customer_id=customer.pk).exists()
        assert not Unsubscribe.objects.exists()

    def test_it_is_csrf_protected(self, department_a, staff_a, manager_a):
        _customer, message = _sms_message(department_a, staff_a, manager_a)
        url = reverse("delivery:preferences", args=[message_token(message.pk, "preferences")])
        response = Client(enforce_csrf_checks=True).post(url, {"all_off": "on"})
        assert response.status_code == 403
        assert not Unsubscribe.objects.exists()


@pytest.mark.parametrize(
    ("route", "purpose", "extra"),
    [
        ("delivery:unsubscribe", Purpose.PREFERENCES, []),
        ("delivery:unsubscribe", Purpose.OPEN, []),
        ("delivery:preferences", Purpose.UNSUBSCRIBE, []),
        ("delivery:click", Purpose.SHORT_LINK, [0]),
        ("delivery:short", Purpose.CLICK, [0]),
    ],
)
def test_a_token_made_for_another_purpose_is_refused(
    route, purpose, extra, department_a, staff_a, manager_a
):
    _customer, message = _sms_message(department_a, staff_a, manager_a)
    url = reverse(route, args=[message_token(message.pk, purpose), *extra])

    assert Client().get(url).status_code == 404
    assert Client().post(url, {"List-Unsubscribe": "One-Click"}).status_code in (404, 405)
    assert not Unsubscribe.objects.exists()


class TestStaffOptOut:
    def _url(self, customer):
        return reverse("delivery_ops:optout", args=[customer.pk])

    def test_the_customer_page_links_to_it(self, staff_a_client, department_a):
        customer = CustomerFactory(department=department_a)
        body = staff_a_client.get(reverse("customers:detail", args=[customer.pk])).content
        assert self._url(customer) in body.decode()

    def test_an_opt_out_from_a_call_is_recorded_and_audited(
        self, staff_a_client, staff_a, department_a, manager_a
    ):
        customer, message = _sms_message(department_a, staff_a, manager_a)

        response = staff_a_client.post(
            self._url(customer),
            {
                "action": "optout",
                "channel": "sms",
                "care_kind": "",
                "method": "call",
                "note": "电话",
            },
        )

        assert response.status_code == 302
        row = Unsubscribe.objects.get(customer=customer)
        assert (row.channel, row.source, row.recorded_by, row.note) == (
            "sms",
            UnsubscribeSource.STAFF,
            staff_a,
            "电话",
        )
        sms = _consent(customer, "sms")
        assert not sms.granted and sms.method == ConsentMethod.CALL and sms.recorded_by == staff_a
        assert AuditEntry.objects.filter(
            customer_id=customer.pk, action=AuditAction.CONSENT, actor=staff_a
        ).exists()
        message.refresh_from_db()
        assert message.reason == SuppressionReason.UNSUBSCRIBED
        page = staff_a_client.get(self._url(customer)).content.decode()
        assert f'data-unsubscribe="{row.pk}"' in page

    def test_a_kind_of_care_opt_out_is_audited_too(self, staff_a_client, staff_a, department_a):
        customer = CustomerFactory(department=department_a)
        staff_a_client.post(
            self._url(customer),
            {"action": "optout", "channel": "", "care_kind": "promotion", "method": "staff"},
        )
        assert Unsubscribe.objects.filter(customer=customer, care_kind="promotion").exists()
        entry = AuditEntry.objects.get(customer_id=customer.pk, actor=staff_a)
        assert entry.detail["unsubscribe"] == {"channel": "", "care_kind": "promotion"}

    def test_removing_a_refusal_needs_a_note_and_grants_the_channel_again(
        self, staff_a_client, staff_a, department_a
    ):
        customer = CustomerFactory(department=department_a)
        row = unsubscribe(customer=customer, channel="email", source=UnsubscribeSource.LINK)

        refused = staff_a_client.post(
            self._url(customer), {"action": "resubscribe", "unsubscribe": row.pk, "note": ""}
        )
        assert refused.status_code == 200
        assert Unsubscribe.objects.filter(pk=row.pk).exists()

        staff_a_client.post(
            self._url(customer),
            {"action": "resubscribe", "unsubscribe": row.pk, "note": "客户来电要求恢复邮件"},
        )

        assert not Unsubscribe.objects.filter(pk=row.pk).exists()
        email = _consent(customer, "email")
        assert email.granted and email.method == ConsentMethod.CALL
        assert AuditEntry.objects.filter(
            customer_id=customer.pk, actor=staff_a, detail__resubscribe__channel="email"
        ).exists()

    def test_staff_of_another_department_get_404(self, staff_a_client, department_b):
        customer = CustomerFactory(department=department_b)
        assert staff_a_client.get(self._url(customer)).status_code == 404
        response = staff_a_client.post(
            self._url(customer), {"action": "optout", "channel": "", "care_kind": ""}
        )
        assert response.status_code == 404
        assert not Unsubscribe.objects.exists()

    def test_a_user_without_change_permission_is_refused(self, department_a):
        customer = CustomerFactory(department=department_a)
        viewer = UserFactory(username="viewer_only", department=department_a)
        viewer.groups.clear()
        client = Client()
        client.force_login(viewer)
        assert client.get(self._url(customer)).status_code == 403
