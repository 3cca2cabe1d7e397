"""Escalation of feedback items that missed a deadline: one email to the department's
managers per level, through a real SMTP server on loopback; reruns send nothing."""

import datetime as dt
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from carecrm.accounts.tests.factories import UserFactory
from feedback.models import ItemStatus
from feedback.services.items import item_respond, items_escalate
from feedback.tasks import escalate_items
from feedback.tests.factories import FeedbackItemFactory

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [
            (env.rcpt_tos, email.message_from_bytes(env.content, policy=email.policy.default))
            for env in self.received
        ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(settings):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = "https://care.example.cn"
    yield handler
    controller.stop()


def test_a_missed_deadline_escalates_once_per_level(inbox, department_a, department_b, staff_a):
    manager_a = UserFactory(username="mgr_east", role="manager", department=department_a)
    UserFactory(username="mgr_south", role="manager", department=department_b)
    now = timezone.now()
    item = FeedbackItemFactory(
        department=department_a,
        title="投诉未处理",
        owner=staff_a,
        respond_by=now - dt.timedelta(minutes=5),
        resolve_by=now + dt.timedelta(hours=10),
    )
    FeedbackItemFactory(department=department_a, title="按时")
    assert escalate_items() == {"escalated": 1}
    item.refresh_from_db()
    assert item.escalation_level == 1 and item.escalated_at is not None
    [(recipients, message)] = inbox.messages()
    assert recipients == [manager_a.email]
    assert "投诉未处理" in message["Subject"]
    assert f"https://care.example.cn/feedback/items/{item.pk}/" in message.get_content()
    assert item.activities.filter(action="escalated").count() == 1

    assert items_escalate(now=now + dt.timedelta(minutes=15)) == 0
    assert len(inbox.received) == 1

    item_respond(item=item, user=staff_a)
    assert items_escalate(now=now + dt.timedelta(hours=11)) == 1
    item.refresh_from_db()
    assert item.escalation_level == 2
    assert len(inbox.received) == 2
    assert items_escalate(now=now + dt.timedelta(hours=12)) == 0
    assert len(inbox.received) == 2


def test_resolved_items_never_escalate(inbox, department_a, staff_a):
    UserFactory(username="mgr_east", role="manager", department=department_a)
    FeedbackItemFactory(
        department=department_a,
        status=ItemStatus.RESOLVED,
        resolved_at=timezone.now(),
        respond_by=timezone.now() - dt.timedelta(days=2),
        resolve_by=timezone.now() - dt.timedelta(days=1),
    )
    assert items_escalate() == 0
    assert inbox.received == []


def test_a_refused_email_is_tried_again_next_run(inbox, settings, department_a):
    UserFactory(username="mgr_east", role="manager", department=department_a)
    item = FeedbackItemFactory(
        department=department_a, respond_by=timezone.now() - dt.timedelta(minutes=1)
    )
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = _free_port()
    with pytest.raises(OSError):
        items_escalate()
    item.refresh_from_db()
    assert item.escalation_level == 0
    settings.EMAIL_PORT = port
    assert items_escalate() == 1
    assert len(inbox.received) == 1
