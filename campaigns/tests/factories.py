import datetime as dt
from decimal import Decimal

import factory

from campaigns.models import (
    CampaignContent,
    CampaignKind,
    CareCampaign,
    CompanyDay,
    ContentTemplate,
    CouponBatch,
    TouchChannel,
)
from carecrm.accounts.tests.factories import DepartmentFactory

GREETING = "【悦享生活】{name}{title}，祝您生日快乐！回T退订"
SMS_TEXT = (
    "【悦享生活】{name}{title}，生日快乐！送您{coupon_value}无门槛券，券码{coupon_code}。回T退订"
)


class CampaignFactory(factory.django.DjangoModelFactory):
    """A draft; use ``campaigns.tests.helpers.approve`` to take it through review."""

    class Meta:
        model = CareCampaign

    name = factory.Sequence(lambda n: f"生日关怀{n}")
    kind = CampaignKind.BIRTHDAY
    days_before = 3
    department = factory.SubFactory(DepartmentFactory)
    backup_plan = "投诉：24小时内回电致歉并暂停该客户的关怀；退订：立即停止所有营销触达。"
    goal_baseline = Decimal("30.00")
    goal_target = Decimal("35.00")
    goal_deadline = dt.date(2027, 12, 31)


class ContentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignContent

    campaign = factory.SubFactory(CampaignFactory)
    channel = TouchChannel.SMS
    body = GREETING


class CouponBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CouponBatch

    campaign = factory.SubFactory(CampaignFactory)
    name = "生日无门槛券"
    value = Decimal("20.00")
    min_spend = Decimal("0")
    valid_days = 30


class CompanyDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompanyDay

    name = "程序员节"
    month = 10
    day = 24


class TemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContentTemplate

    name = factory.Sequence(lambda n: f"模板{n}")
    channel = TouchChannel.SMS
    body = SMS_TEXT
