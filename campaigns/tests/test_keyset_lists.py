"""Phone tasks and a campaign's coupons a keyset page at a time: every row exactly once
in order, filters kept."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import CareTask, Coupon, TouchChannel
from campaigns.tests.factories import CampaignFactory, CouponBatchFactory
from carecrm.core.testing import walk_keyset_pages
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
D = dt.date


def test_phone_tasks_page_soonest_due_first(staff_a_client, department_a, staff_a):
    campaign = CampaignFactory(department=department_a)
    for n, customer in enumerate(CustomerFactory.create_batch(110, department=department_a)):
        CareTask.objects.create(
            campaign=campaign,
            customer=customer,
            channel=TouchChannel.PHONE,
            occurrence=D(2027, 3, 10),
            due_on=D(2027, 3, 1 + n % 20),
            assigned_to=staff_a,
        )

    pages = walk_keyset_pages(
        staff_a_client, "/campaigns/tasks/?status=open", "data-task", keep={"status": "open"}
    )

    expected = CareTask.objects.order_by("due_on", "id").values_list("pk", flat=True)
    assert [pk for page in pages for pk in page] == [str(pk) for pk in expected]


def test_a_campaign_s_coupons_page_the_latest_first(staff_a_client, department_a):
    campaign = CampaignFactory(department=department_a)
    batch = CouponBatchFactory(campaign=campaign)
    now = timezone.now()
    for n, customer in enumerate(CustomerFactory.create_batch(110, department=department_a)):
        Coupon.objects.create(
            batch=batch,
            customer=customer,
            occurrence=D(2027, 3, 10),
            code=f"CARE{n:05d}",
            issued_at=now - dt.timedelta(hours=n % 30),
            expires_on=D(2027, 4, 10),
        )

    pages = walk_keyset_pages(
        staff_a_client,
        f"/campaigns/{campaign.pk}/coupons/?state=open",
        "data-coupon",
        keep={"state": "open"},
    )

    expected = Coupon.objects.order_by("-issued_at", "-id").values_list("pk", flat=True)
    assert [pk for page in pages for pk in page] == [str(pk) for pk in expected]
