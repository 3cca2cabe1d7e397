"""Audiences come from saved segments through segmentation.selectors.segment_customers."""

import datetime as dt

import pytest

from campaigns.selectors.audience import campaign_audience
from campaigns.selectors.due import next_touch_dates
from campaigns.services.campaigns import campaign_create, campaign_update
from campaigns.tests.factories import CampaignFactory, ContentFactory
from campaigns.tests.helpers import approve, due_ids
from customers.tests.factories import CustomerFactory
from segmentation.tests.factories import SegmentFactory

pytestmark = pytest.mark.django_db


def _vip_segment(department, levels=("gold", "diamond")):
    return SegmentFactory(
        department=department,
        rules={
            "match": "all",
            "conditions": [{"field": "vip_level", "op": "in", "value": list(levels)}],
        },
    )


def _region_segment(department, region):
    return SegmentFactory(
        department=department,
        rules={"match": "all", "conditions": [{"field": "region", "op": "in", "value": [region]}]},
    )


def test_include_and_exclude_segments(department_a, department_b):
    gold = CustomerFactory(department=department_a, vip_level="gold", region="华东")
    diamond_north = CustomerFactory(department=department_a, vip_level="diamond", region="华北")
    CustomerFactory(department=department_a, vip_level="normal", region="华东")
    CustomerFactory(department=department_b, vip_level="gold", region="华东")
    campaign = CampaignFactory(department=department_a)
    campaign.include_segments.set([_vip_segment(department_a)])
    campaign.exclude_segments.set([_region_segment(department_a, "华北")])

    assert set(campaign_audience(campaign).values_list("pk", flat=True)) == {gold.pk}
    assert diamond_north.pk not in set(campaign_audience(campaign).values_list("pk", flat=True))


def test_several_included_segments_are_a_union(department_a):
    gold = CustomerFactory(department=department_a, vip_level="gold")
    east = CustomerFactory(department=department_a, region="华东")
    CustomerFactory(department=department_a, region="华南")
    campaign = CampaignFactory(department=department_a)
    campaign.include_segments.set(
        [_vip_segment(department_a), _region_segment(department_a, "华东")]
    )

    assert set(campaign_audience(campaign).values_list("pk", flat=True)) == {gold.pk, east.pk}


def test_a_company_wide_segment_is_still_limited_to_the_campaigns_department(
    department_a, department_b
):
    mine = CustomerFactory(department=department_a, vip_level="gold")
    CustomerFactory(department=department_b, vip_level="gold")
    campaign = CampaignFactory(department=department_a)
    campaign.include_segments.set([_vip_segment(None)])

    assert list(campaign_audience(campaign).values_list("pk", flat=True)) == [mine.pk]


def test_due_touches_follow_the_segment(department_a, staff_a, manager_a):
    gold = CustomerFactory(department=department_a, vip_level="gold", birthday=dt.date(1990, 3, 10))
    CustomerFactory(department=department_a, vip_level="normal", birthday=dt.date(1990, 3, 10))
    campaign = CampaignFactory(department=department_a)
    campaign.include_segments.set([_vip_segment(department_a)])
    ContentFactory(campaign=campaign)
    approve(campaign, author=staff_a, manager=manager_a)

    assert due_ids(dt.date(2027, 3, 7)) == {(gold.pk, "sms")}
    (occurrence, count), *_ = next_touch_dates(campaign, after=dt.date(2027, 1, 1))
    assert (occurrence.on, count) == (dt.date(2027, 3, 7), 1)


def test_staff_cannot_use_another_departments_segment(staff_a, department_b):
    from django.core.exceptions import PermissionDenied

    foreign = _vip_segment(department_b)
    with pytest.raises(PermissionDenied):
        campaign_create(
            user=staff_a,
            fields={"name": "越权分群", "kind": "birthday"},
            include_segments=[foreign],
        )


def test_changing_the_audience_of_an_approved_campaign_returns_it_to_draft(
    department_a, staff_a, manager_a
):
    campaign = CampaignFactory(department=department_a)
    ContentFactory(campaign=campaign)
    approve(campaign, author=staff_a, manager=manager_a)

    campaign_update(
        campaign=campaign,
        user=staff_a,
        fields={},
        include_segments=[_vip_segment(department_a)],
    )
    campaign.refresh_from_db()
    assert campaign.status == "draft"
