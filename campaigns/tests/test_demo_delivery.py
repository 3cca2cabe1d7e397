"""The demo's delivery history: ``seed_demo`` leaves two weeks of sent and followed
messages (through the file backend) and today's touches queued or sent."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from campaigns.models import (
    SENT_STATUSES,
    MessageEvent,
    MessageStatus,
    OutboxMessage,
    QuietHours,
    Unsubscribe,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_seed_demo_leaves_a_followed_delivery_history(settings):
    out = io.StringIO()
    call_command("seed_demo", stdout=out, password="demo-passphrase-2024", customers=300, seed=3)

    assert "Delivery:" in out.getvalue()
    today = timezone.localdate()
    history = OutboxMessage.objects.filter(due_on__lt=today).exclude(
        status=MessageStatus.SUPPRESSED
    )
    statuses = set(history.values_list("status", flat=True))
    assert MessageStatus.QUEUED not in statuses and MessageStatus.SENDING not in statuses
    assert {MessageStatus.DELIVERED, MessageStatus.FAILED} <= statuses
    for message in history.filter(status=MessageStatus.DELIVERED):
        assert message.send_after <= message.sent_at < message.delivered_at <= timezone.now()
        assert message.body
    assert history.filter(clicked_at__isnull=False).exists()
    assert history.filter(replied_at__isnull=False).exists()
    assert MessageEvent.objects.filter(message__in=history).count() >= history.count()
    assert Unsubscribe.objects.filter(message__isnull=False).count() >= 1
    assert set(QuietHours.objects.values_list("active", flat=True)) == {True}

    lines = (Path(settings.DELIVERY_FILE_DIR) / "sms.jsonl").read_text().splitlines()
    keys = [json.loads(line)["key"] for line in lines]
    sms = OutboxMessage.objects.filter(channel="sms", status__in=(*SENT_STATUSES, "failed"))
    assert len(keys) == len(set(keys)) == sms.count()
