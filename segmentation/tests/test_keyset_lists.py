"""Segment members, the VIP list and the risk-alert inbox a keyset page at a time: every
row exactly once in order, filters kept, a bad cursor answered clearly, no COUNT(*) over
the customers on a page view."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecrm.core.testing import unbounded_counts, walk_keyset_pages
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from segmentation.models import RiskAlert, Segment
from segmentation.tests.factories import SegmentFactory
from segmentation.tests.test_alert_bulk import complaint_alerts

pytestmark = pytest.mark.django_db
CUSTOMERS = Customer._meta.db_table


@pytest.fixture
def gold_segment(department_a):
    for n in range(120):
        CustomerFactory(
            department=department_a,
            vip_level="gold" if n % 8 else "silver",
            spend_12m=Decimal(1000 + (n % 40) * 10),  # ties: the id settles them
        )
    return SegmentFactory(
        department=department_a,
        rules={
            "match": "all",
            "conditions": [{"field": "vip_level", "op": "in", "value": ["gold"]}],
        },
    )


def _by_spend(**filters) -> list[str]:
    rows = Customer.objects.filter(**filters).order_by("-spend_12m", "-id")
    return [str(pk) for pk in rows.values_list("pk", flat=True)]


def test_segment_members_page_through_every_member_once(staff_a_client, gold_segment):
    pages = walk_keyset_pages(staff_a_client, f"/segments/{gold_segment.pk}/", "data-customer")

    assert [pk for page in pages for pk in page] == _by_spend(vip_level="gold")
    assert len(pages) == 5  # 105 members, 25 a page


def test_an_edited_cursor_shows_the_first_members_with_a_message(staff_a_client, gold_segment):
    response = staff_a_client.get(f"/segments/{gold_segment.pk}/?after=bm9wZQ")

    body = response.content.decode()
    assert "data-cursor-invalid" in body
    assert body.count("data-customer=") == 25


def test_a_short_segment_is_counted_and_remembered(staff_a_client, gold_segment):
    response = staff_a_client.get(f"/segments/{gold_segment.pk}/", HTTP_ACCEPT_LANGUAGE="en")

    assert "105 members you can see" in response.content.decode()
    assert Segment.objects.get(pk=gold_segment.pk).last_count == 105


def test_a_members_page_counts_no_customers_in_full(staff_a_client, gold_segment, settings):
    settings.LIST_EXACT_COUNT_BELOW = 20
    settings.LIST_COUNT_CAP = 20

    with CaptureQueriesContext(connection) as queries:
        response = staff_a_client.get(
            f"/segments/{gold_segment.pk}/?last=1", HTTP_ACCEPT_LANGUAGE="en"
        )

    assert unbounded_counts(queries.captured_queries, CUSTOMERS) == []
    assert "105 members" not in response.content.decode()
    assert Segment.objects.get(pk=gold_segment.pk).last_count is None


def test_the_members_api_follows_cursors_through_every_member(
    api_client_for, staff_a, gold_segment
):
    client = api_client_for(staff_a)
    seen, url = [], f"/api/v1/segments/{gold_segment.pk}/members/"
    while url:
        data = client.get(url).json()
        assert data["count"] == 105 and data["count_exact"]
        seen += [row["id"] for row in data["results"]]
        url = data["next"]

    gold = Customer.objects.filter(vip_level="gold").order_by("pk")
    assert seen == list(gold.values_list("pk", flat=True))


def test_an_edited_members_api_cursor_is_a_404(api_client_for, staff_a, gold_segment):
    response = api_client_for(staff_a).get(
        f"/api/v1/segments/{gold_segment.pk}/members/?cursor=bm9wZQ"
    )

    assert response.status_code == 404


def test_the_vip_list_pages_through_every_vip_once_with_its_filter(staff_a_client, gold_segment):
    pages = walk_keyset_pages(
        staff_a_client, "/segments/vips/?level=gold", "data-customer", keep={"level": "gold"}
    )

    assert [pk for page in pages for pk in page] == _by_spend(vip_level="gold")


def test_the_alert_inbox_pages_through_every_alert_once(manager_a_client, department_a):
    complaint_alerts(department_a, 60)

    pages = walk_keyset_pages(
        manager_a_client,
        "/segments/alerts/?scope=all&severity=high",
        "data-alert",
        keep={"scope": "all", "severity": "high"},
    )

    expected = RiskAlert.objects.order_by("due_at", "id").values_list("pk", flat=True)
    assert [pk for page in pages for pk in page] == [str(pk) for pk in expected]
    assert [len(page) for page in pages] == [50, 10]


def test_the_vip_list_finds_vips_by_any_part_of_the_name_or_the_last_four_digits(
    staff_a_client, department_a, department_b
):
    wang = CustomerFactory(department=department_a, vip_level="gold", name="王芳")
    ouyang = CustomerFactory(department=department_a, vip_level="silver", name="欧阳娜娜")
    by_phone = CustomerFactory(
        department=department_a, vip_level="gold", name="李强", mobile="+8613912345678"
    )
    no_vip = CustomerFactory(department=department_a, vip_level="normal", name="王伟")
    not_theirs = CustomerFactory(department=department_b, vip_level="gold", name="王丽")
    everyone = (wang, ouyang, by_phone, no_vip, not_theirs)

    def found(term: str) -> set[int]:
        page = staff_a_client.get("/segments/vips/", {"q": term}).content.decode()
        return {c.pk for c in everyone if f'data-customer="{c.pk}"' in page}

    assert found("王") == {wang.pk}
    assert found("阳娜") == {ouyang.pk}
    assert found("5678") == {by_phone.pk}
    assert found("张") == set()
