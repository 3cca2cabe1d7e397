"""Email through Django's SMTP backend to a real SMTP server on loopback (aiosmtpd): what
arrives carries one-click unsubscribe headers and tracked links; refusals fail with the
server's words, temporary refusals come back later; a connection lost once the message
was handed over is uncertain (never sent again), and one message that cannot be built
fails alone."""

import asyncio
import datetime as dt
import email
import email.policy
import re
import socket

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import (
    MessageEventKind,
    MessageStatus,
    OutboxMessage,
    QuietHours,
    TouchChannel,
)
from campaigns.services.dispatch import touches_dispatch
from campaigns.sources import campaign_messages, campaign_source
from carecrm.core.tests.factories import SenderBrandFactory
from delivery.backends import OutgoingMessage, SendOutcome
from delivery.backends.email import EmailBackend
from delivery.services.sending import claim, messages_send, send_claimed
from delivery.tests.senders import consenting_customers, due_campaign

pytestmark = pytest.mark.django_db
SITE_URL = "https://care.example.cn"


class MailServer:
    """Accepts mail and keeps it; ``rcpt_replies`` / ``data_reply`` script refusals;
    ``drop_at_rcpt`` hangs up on a recipient (before DATA); ``drop_after_data`` keeps the
    message for a recipient and hangs up instead of answering; ``data_delay`` answers
    DATA that many seconds late (the message kept)."""

    def __init__(self):
        self.received: list = []
        self.rcpt_replies: dict[str, str] = {}
        self.data_reply = ""
        self.drop_at_rcpt: set[str] = set()
        self.drop_after_data: set[str] = set()
        self.data_delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.drop_at_rcpt:
            server.transport.abort()
            return "421 closing"
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.received.append(envelope)
        if self.drop_after_data & set(envelope.rcpt_tos):
            server.transport.abort()
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        return "250 Message accepted for delivery"

    def messages(self) -> list:
        return [
            (
                envelope.rcpt_tos,
                email.message_from_bytes(envelope.content, policy=email.policy.default),
            )
            for envelope in self.received
        ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mail_server(settings):
    handler = MailServer()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = SITE_URL
    yield handler
    controller.stop()


@pytest.fixture
def email_campaign(department_a, staff_a, manager_a):
    QuietHours.objects.all().delete()
    customers = consenting_customers(department_a, 2, TouchChannel.EMAIL)
    campaign = due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        channels=(TouchChannel.EMAIL,),
        on=timezone.localdate(),
        send_time=dt.time(0, 0),
    )
    touches_dispatch(on=timezone.localdate())
    return campaign, customers


def test_a_due_email_arrives_with_one_click_unsubscribe_and_tracking(mail_server, email_campaign):
    campaign, customers = email_campaign

    report = messages_send(seconds=10)

    assert report.sent == 2
    received = mail_server.messages()
    assert sorted(rcpt for rcpt_tos, _ in received for rcpt in rcpt_tos) == sorted(
        c.email for c in customers
    )
    (rcpt,), mail = received[0]
    message = OutboxMessage.objects.get(source=campaign_source(campaign), address=rcpt)
    assert message.status == MessageStatus.SENT
    assert mail["X-CareCRM-Message"] == message.idempotency_key
    assert mail["Message-ID"] == message.provider_id

    unsubscribe = re.fullmatch(
        r"<(https://care\.example\.cn/m/u/[^/<>]+/)>", mail["List-Unsubscribe"]
    )
    assert unsubscribe, mail["List-Unsubscribe"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    html = mail.get_body(preferencelist=("html",)).get_content()
    text = mail.get_body(preferencelist=("plain",)).get_content()
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert any(re.fullmatch(rf"{SITE_URL}/m/c/[^/]+/0/", href) for href in hrefs), hrefs
    assert "https://shop.example.cn/event" not in hrefs
    assert re.search(rf'<img src="{SITE_URL}/m/o/[^"]+\.gif"', html)
    assert unsubscribe.group(1) in text
    assert message.customer.name in str(mail["Subject"])


def test_an_email_comes_from_the_brand_and_its_footer_names_it_with_the_contact_line(
    mail_server, email_campaign, settings
):
    settings.DEFAULT_FROM_EMAIL = "CareCRM <care@example.cn>"
    SenderBrandFactory(
        company_name="悦享生活", contact_line="客服热线 400-820-8820（工作日 9:00–18:00）"
    )

    assert messages_send(seconds=10).sent == 2

    for _rcpt_tos, mail in mail_server.messages():
        assert mail["From"].addresses[0].display_name == "悦享生活"
        assert mail["From"].addresses[0].addr_spec == "care@example.cn"
        text = mail.get_body(preferencelist=("plain",)).get_content()
        html = mail.get_body(preferencelist=("html",)).get_content()
        for part in (text, html):
            assert "You receive this email from 悦享生活 because you agreed" in part
            assert "客服热线 400-820-8820（工作日 9:00–18:00）" in part


def test_the_brand_is_read_once_per_batch_not_per_message(mail_server, email_campaign):
    SenderBrandFactory()
    batch = claim()
    assert len(batch) == 2

    with CaptureQueriesContext(connection) as queries:
        send_claimed(batch)

    assert sum("core_senderbrand" in q["sql"] for q in queries.captured_queries) == 1


def test_a_refused_recipient_fails_with_the_servers_reply(mail_server, email_campaign):
    campaign, (refused, accepted) = email_campaign
    mail_server.rcpt_replies[refused.email] = (
        "550 5.1.1 <refused>: Recipient address rejected: User unknown in virtual mailbox table"
    )

    report = messages_send(seconds=10)

    assert (report.sent, report.failed) == (1, 1)
    failed = OutboxMessage.objects.get(source=campaign_source(campaign), customer=refused)
    assert failed.status == MessageStatus.FAILED
    assert failed.error_code == "550"
    assert "User unknown in virtual mailbox table" in failed.error
    assert failed.events.filter(kind=MessageEventKind.FAILED).exists()
    assert [rcpt for rcpt_tos, _ in mail_server.messages() for rcpt in rcpt_tos] == [accepted.email]


def test_a_temporary_refusal_is_retried_later(mail_server, email_campaign, settings):
    campaign, (greylisted, _) = email_campaign
    mail_server.rcpt_replies[greylisted.email] = "451 4.7.1 Greylisted, please try again later"
    before = timezone.now()

    report = messages_send(seconds=10)

    assert (report.sent, report.retried) == (1, 1)
    waiting = OutboxMessage.objects.get(source=campaign_source(campaign), customer=greylisted)
    assert waiting.status == MessageStatus.QUEUED
    assert waiting.attempts == 1
    assert waiting.send_after > before + dt.timedelta(
        seconds=settings.DELIVERY_RETRY_BASE_SECONDS / 2
    )
    assert "Greylisted" in waiting.error and waiting.error_code == "451"
    assert waiting.events.get(kind=MessageEventKind.RETRY).detail["attempt"] == 1


def test_a_message_refused_after_data_fails(mail_server, email_campaign):
    campaign, _ = email_campaign
    mail_server.data_reply = "554 5.7.1 Message rejected as spam"

    report = messages_send(seconds=10)

    assert report.failed == 2
    message = campaign_messages(campaign).first()
    assert (message.status, message.error_code) == (MessageStatus.FAILED, "554")
    assert "rejected as spam" in message.error


def test_an_unreachable_mail_server_is_retried(email_campaign, settings):
    campaign, _ = email_campaign
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()

    report = messages_send(seconds=10)

    assert report.retried == 2
    for message in campaign_messages(campaign):
        assert message.status == MessageStatus.QUEUED and message.attempts == 1
        assert "cannot reach the mail server" in message.error


# --- one answer per message ---------------------------------------------------------------


def outgoing(n: int, *, subject: str = "您的专属关怀") -> OutgoingMessage:
    return OutgoingMessage(
        id=n,
        key=f"carecrm-{n}",
        channel="email",
        to=f"customer{n}@example.cn",
        subject=subject,
        body="您好，感谢您一直以来的支持。",
    )


def arrivals(mail_server) -> list[str]:
    return sorted(rcpt for rcpt_tos, _ in mail_server.messages() for rcpt in rcpt_tos)


def test_a_subject_with_a_line_break_fails_alone_and_the_others_arrive_once(mail_server):
    batch = [outgoing(1), outgoing(2, subject="王芳\r\nBcc: all@example.cn"), outgoing(3)]
    backend = EmailBackend("email")

    results = backend.send_many(batch)
    backend.close()

    assert [r.outcome for r in results] == [
        SendOutcome.SENT,
        SendOutcome.FAILED,
        SendOutcome.SENT,
    ]
    bad = results[1]
    assert bad.code == "header"
    assert bad.error.startswith("invalid header:") and "newlines" in bad.error
    assert arrivals(mail_server) == ["customer1@example.cn", "customer3@example.cn"]


def test_a_connection_lost_after_data_is_uncertain_and_the_batch_goes_on(mail_server):
    mail_server.drop_after_data.add("customer2@example.cn")
    backend = EmailBackend("email")

    results = backend.send_many([outgoing(1), outgoing(2), outgoing(3)])
    backend.close()

    assert [r.outcome for r in results] == [
        SendOutcome.SENT,
        SendOutcome.UNCERTAIN,
        SendOutcome.SENT,
    ]
    assert "after the message was handed over" in results[1].error
    # The server kept it: posting it again would be a duplicate.
    assert arrivals(mail_server) == [f"customer{n}@example.cn" for n in (1, 2, 3)]


def test_no_answer_to_data_within_the_timeout_is_uncertain(mail_server, settings):
    settings.EMAIL_TIMEOUT = 0.5
    mail_server.data_delay = 2
    backend = EmailBackend("email")

    (result,) = backend.send_many([outgoing(1)])
    backend.close()

    assert result.outcome == SendOutcome.UNCERTAIN
    assert arrivals(mail_server) == ["customer1@example.cn"]


def test_a_connection_lost_before_data_is_retried(mail_server):
    mail_server.drop_at_rcpt.add("customer1@example.cn")
    backend = EmailBackend("email")

    dropped, after = backend.send_many([outgoing(1), outgoing(2)])
    backend.close()

    assert (dropped.outcome, dropped.code) == (SendOutcome.RETRY, "connection")
    assert after.outcome == SendOutcome.SENT
    assert arrivals(mail_server) == ["customer2@example.cn"]


def test_an_uncertain_email_is_not_sent_again(mail_server, email_campaign):
    campaign, (lost, _) = email_campaign
    mail_server.drop_after_data.add(lost.email)

    first = messages_send(seconds=10)
    campaign_messages(campaign).update(send_after=timezone.now())
    messages_send(seconds=10)

    assert (first.sent, first.retried) == (1, 0)
    assert sorted(arrivals(mail_server)) == sorted(c.email for c in email_campaign[1])
    message = OutboxMessage.objects.get(source=campaign_source(campaign), customer=lost)
    assert message.status != MessageStatus.QUEUED and message.attempts == 1


def test_a_customer_whose_name_has_a_line_break_still_gets_the_email(
    mail_server, department_a, staff_a, manager_a
):
    QuietHours.objects.all().delete()
    customers = consenting_customers(department_a, 3, TouchChannel.EMAIL)
    broken = customers[1]
    broken.name = "王\r\n芳"
    broken.save(update_fields=["name"])
    due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        channels=(TouchChannel.EMAIL,),
        on=timezone.localdate(),
        send_time=dt.time(0, 0),
    )
    touches_dispatch(on=timezone.localdate())

    report = messages_send(seconds=10)

    assert report.sent == 3
    assert arrivals(mail_server) == sorted(c.email for c in customers)
    (mail,) = [mail for (rcpt,), mail in mail_server.messages() if rcpt == broken.email]
    assert "王 芳" in str(mail["Subject"])
    assert "Bcc" not in mail and "\n" not in str(mail["Subject"])
