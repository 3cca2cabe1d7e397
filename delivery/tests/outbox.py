"""Outbox rows written by hand, with known statuses and timestamps, for the tests of what
staff see (metrics, logs, operations) without running the engine."""

import datetime as dt
from zoneinfo import ZoneInfo

from campaigns.models import CareKind, DeliveryChannel, MessageStatus, OutboxMessage, Priority
from campaigns.sources import campaign_source

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2027, 5, 20, 10, 0, tzinfo=SHANGHAI)


def message(campaign, customer, channel=DeliveryChannel.SMS, **fields) -> OutboxMessage:
    status = fields.pop("status", MessageStatus.QUEUED)
    defaults = {
        "occasion": T0.date(),
        "due_on": T0.date(),
        "planned_on": T0.date(),
        "care_kind": CareKind.HOLIDAY,
        "priority": Priority.NORMAL,
        "address": customer.email if channel == DeliveryChannel.EMAIL else customer.mobile,
        "send_after": T0,
    }
    defaults.update(fields)
    return OutboxMessage.objects.create(
        source=campaign_source(campaign),
        customer=customer,
        channel=channel,
        status=status,
        **defaults,
    )
