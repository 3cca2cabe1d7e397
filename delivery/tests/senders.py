"""Building blocks for the delivery tests: consenting customers and an approved campaign
whose touch is due on a fixed day."""

import datetime as dt

from django.utils import timezone

from campaigns.models import CampaignKind, CareCampaign, TouchChannel
from campaigns.tests.factories import CampaignFactory, ContentFactory
from campaigns.tests.helpers import approve
from customers.models import ChannelConsent, ConsentMethod, Customer
from customers.tests.factories import CustomerFactory

DUE_DAY = dt.date(2027, 5, 20)
EMAIL_HTML = '<p>{name}您好，<a href="https://shop.example.cn/event">查看活动</a></p>'
SMS_BODY = "【悦享生活】{name}{title}，五月感恩季，活动详情 https://shop.example.cn/event 回T退订"


def consent(customer: Customer, *channels: str, granted: bool = True) -> None:
    for channel in channels:
        ChannelConsent.objects.update_or_create(
            customer=customer,
            channel=channel,
            defaults={
                "granted": granted,
                "method": ConsentMethod.FORM,
                "changed_at": timezone.now(),
            },
        )


def consenting_customers(department, count: int, *channels: str, **fields) -> list[Customer]:
    channels = channels or (TouchChannel.SMS,)
    customers = CustomerFactory.create_batch(count, department=department, **fields)
    ChannelConsent.objects.bulk_create(
        [
            ChannelConsent(
                customer=customer,
                channel=channel,
                granted=True,
                method=ConsentMethod.FORM,
                changed_at=timezone.now(),
            )
            for customer in customers
            for channel in channels
        ]
    )
    return customers


def due_campaign(
    *,
    department,
    author,
    manager,
    channels=(TouchChannel.SMS,),
    on: dt.date = DUE_DAY,
    send_time: dt.time = dt.time(10, 0),
    **fields,
) -> CareCampaign:
    """An approved recurring campaign due on ``on`` at ``send_time`` for the whole
    department, with content on each channel."""
    campaign = CampaignFactory(
        department=department,
        kind=CampaignKind.RECURRING,
        recurrence="rrule",
        rrule="FREQ=DAILY;COUNT=1",
        starts_on=on,
        days_before=0,
        send_time=send_time,
        owner=author,
        **fields,
    )
    for position, channel in enumerate(channels):
        if channel == TouchChannel.EMAIL:
            ContentFactory(
                campaign=campaign,
                channel=channel,
                position=position,
                subject="{name}，五月感恩季",
                body="{name}您好，活动详情见 https://shop.example.cn/event",
                html_body=EMAIL_HTML,
            )
        else:
            ContentFactory(campaign=campaign, channel=channel, position=position, body=SMS_BODY)
    return approve(campaign, author=author, manager=manager)
