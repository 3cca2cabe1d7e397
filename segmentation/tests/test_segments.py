import datetime as dt
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from carecrm.accounts.tests.factories import UserFactory
from carecrm.core.models import AuditEntry
from customers.models import ChannelConsent, Customer, StaticList, Tag
from customers.tests.factories import CustomerFactory
from segmentation.models import Segment, SegmentKind
from segmentation.rules import RuleError, describe_rules, validate_rules
from segmentation.selectors import segment_customers
from segmentation.services.segments import segment_save
from segmentation.tests.factories import SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def population(department_a, department_b, manager_a):
    vip = Tag.objects.create(name="高净值")
    coffee = Tag.objects.create(name="咖啡")
    today = timezone.localdate()
    specs = [
        # vip_level, region, spend, tags, sms consent, birthday, last purchase days, manager
        ("gold", "华东", "20000", [vip], True, dt.date(1990, 3, 1), 5, True),
        ("silver", "华南", "5000", [vip], True, dt.date(1985, 7, 9), 20, False),
        ("silver", "华北", "5000", [], True, dt.date(1985, 3, 9), 45, False),
        ("gold", "华北", "90000", [coffee], True, dt.date(1970, 3, 3), 2, True),
        ("normal", "华东", "3000", [vip], True, None, None, False),
        ("diamond", "华东", "600000", [vip, coffee], False, dt.date(1980, 12, 1), 1, True),
        ("silver", "华东", "999.99", [], True, dt.date(1991, 3, 30), 200, False),
        ("gold", "华东", "1000", [coffee], True, dt.date(1992, 1, 1), 10, False),
        ("silver", "华东", "50000", [vip], False, dt.date(1993, 3, 2), 25, False),
        ("silver", "西南", "1500", [], True, dt.date(1994, 5, 5), 29, False),
    ]
    people = []
    for level, region, spend, tags, sms, birthday, last_days, managed in specs:
        customer = CustomerFactory(
            department=department_a,
            vip_level=level,
            region=region,
            spend_12m=Decimal(spend),
            birthday=birthday,
            last_purchase_on=today - dt.timedelta(days=last_days) if last_days else None,
            relationship_manager=manager_a if managed else None,
            rfm_recency=5 if last_days and last_days < 15 else 2,
        )
        customer.tags.set(tags)
        ChannelConsent.objects.create(
            customer=customer, channel="sms", granted=sms, changed_at=timezone.now(), method="form"
        )
        people.append(customer)
    other = CustomerFactory(department=department_b, vip_level="gold", region="华东")
    other.tags.set([vip])
    merged = CustomerFactory(department=department_a, vip_level="gold", status="merged")
    merged.tags.set([vip])
    return {"people": people, "vip": vip, "coffee": coffee, "other": other}


def ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def test_dynamic_segment_equals_a_hand_written_filter(population, department_a):
    vip, coffee = population["vip"], population["coffee"]
    segment = SegmentFactory(
        department=department_a,
        rules=validate_rules(
            {
                "match": "all",
                "conditions": [
                    {"field": "vip_level", "op": "in", "value": ["gold", "silver"]},
                    {
                        "match": "any",
                        "conditions": [
                            {"field": "region", "op": "in", "value": "华东, 华南"},
                            {"field": "tags", "op": "has_any", "value": [coffee.pk]},
                        ],
                    },
                    {"field": "spend_12m", "op": "between", "value": {"min": "1000", "max": 60000}},
                    {"field": "consent", "op": "granted", "value": "sms"},
                ],
            }
        ),
    )

    by_hand = (
        Customer.objects.filter(
            status="active",
            department=department_a,
            vip_level__in=["gold", "silver"],
            spend_12m__gte=Decimal("1000"),
            spend_12m__lte=Decimal("60000"),
            consents__channel="sms",
            consents__granted=True,
        )
        .filter(Q(region__in=["华东", "华南"]) | Q(tags=coffee))
        .distinct()
    )
    assert ids(segment_customers(segment)) == ids(by_hand)
    assert len(ids(by_hand)) == 3  # gold 华东 ¥20,000; silver 华南 ¥5,000; gold 华东 ¥1,000
    assert vip.pk  # the tag exists but is not part of this rule


def test_second_rule_set_with_dates_birthdays_tags_and_managers(population, department_a):
    vip = population["vip"]
    today = timezone.localdate()
    rules = validate_rules(
        {
            "match": "any",
            "conditions": [
                {
                    "match": "all",
                    "conditions": [
                        {"field": "last_purchase_on", "op": "within_days", "value": 30},
                        {"field": "birth_month", "op": "in", "value": ["3"]},
                        {"field": "relationship_manager", "op": "none", "value": None},
                    ],
                },
                {
                    "match": "all",
                    "conditions": [
                        {"field": "tags", "op": "has_none", "value": [vip.pk]},
                        {"field": "rfm_recency", "op": "between", "value": {"min": 4, "max": 5}},
                    ],
                },
                {"field": "last_purchase_on", "op": "never", "value": None},
            ],
        }
    )
    segment = SegmentFactory(department=department_a, rules=rules)

    by_hand = Customer.objects.filter(status="active", department=department_a).filter(
        Q(
            last_purchase_on__gte=today - dt.timedelta(days=30),
            birth_month=3,
            relationship_manager__isnull=True,
        )
        | (~Q(pk__in=vip.customers.values("pk")) & Q(rfm_recency__gte=4, rfm_recency__lte=5))
        | Q(last_purchase_on__isnull=True)
    )
    assert ids(segment_customers(segment)) == ids(by_hand)
    assert len(ids(by_hand)) == 4


def test_a_segment_without_department_spans_departments_but_not_inactive_customers(population):
    segment = SegmentFactory(
        department=None,
        rules={
            "match": "all",
            "conditions": [{"field": "tags", "op": "has_all", "value": [population["vip"].pk]}],
        },
    )

    members = ids(segment_customers(segment))

    assert population["other"].pk in members
    assert len(members) == 6  # five of department A, one of B; the merged one is left out


def test_members_are_limited_to_what_the_user_may_see(population, staff_b):
    segment = SegmentFactory(department=None, rules={"match": "all", "conditions": []})

    assert ids(segment_customers(segment, user=staff_b)) == {population["other"].pk}


def test_a_static_segment_wraps_its_list(population, department_a, staff_a):
    static = StaticList.objects.create(name="沙龙嘉宾", department=department_a, created_by=staff_a)
    static.customers.set(population["people"][:3])

    segment = segment_save(
        user=staff_a,
        name="沙龙",
        kind=SegmentKind.STATIC,
        department=department_a,
        static_list=static,
    )

    assert ids(segment_customers(segment)) == {c.pk for c in population["people"][:3]}


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"conditions": [{"field": "shoe_size", "op": "in", "value": [1]}]}, "Unknown field"),
        ({"conditions": [{"field": "vip_level", "op": "gt", "value": ["gold"]}]}, "operator"),
        ({"conditions": [{"field": "vip_level", "op": "in", "value": ["platinum"]}]}, "unknown"),
        (
            {
                "conditions": [
                    {"field": "spend_12m", "op": "between", "value": {"min": 9, "max": 1}}
                ]
            },
            "minimum is above",
        ),
        (
            {"conditions": [{"field": "rfm_recency", "op": "between", "value": {"min": 7}}]},
            "between",
        ),
        ({"conditions": [{"field": "tags", "op": "has_any", "value": [999999]}]}, "no longer"),
        ({"match": "some", "conditions": []}, "“all” or “any”"),
    ],
)
def test_invalid_rules_are_refused_with_a_readable_message(rules, message):
    with pytest.raises(RuleError, match=message):
        validate_rules(rules)


def test_rules_read_as_words(population):
    rules = validate_rules(
        {
            "match": "all",
            "conditions": [
                {"field": "vip_level", "op": "in", "value": ["gold"]},
                {
                    "match": "any",
                    "conditions": [
                        {"field": "region", "op": "in", "value": ["华东"]},
                        {"field": "consent", "op": "granted", "value": "sms"},
                    ],
                },
            ],
        }
    )
    with translation.override("en"):
        text = describe_rules(rules)
    assert text == "VIP level: Gold (SVIP) and (Region: 华东 or Has agreed to SMS)"


def test_staff_cannot_file_a_segment_under_another_department(staff_a, department_b):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        segment_save(user=staff_a, name="x", kind="dynamic", department=department_b, rules={})


def test_segment_pages_create_count_and_show_members(staff_a_client, population, department_a):
    rules = {"match": "all", "conditions": [{"field": "vip_level", "op": "in", "value": ["gold"]}]}

    count = staff_a_client.post(
        "/segments/count/",
        {"rules_json": json.dumps(rules), "department": department_a.pk, "kind": "dynamic"},
    )
    response = staff_a_client.post(
        "/segments/new/",
        {
            "name": "金卡客户",
            "description": "",
            "kind": "dynamic",
            "department": department_a.pk,
            "rules_json": json.dumps(rules),
        },
    )

    assert 'data-live-count="3"' in count.content.decode()
    segment = Segment.objects.get(name="金卡客户")
    assert response.status_code == 302
    detail = staff_a_client.get(f"/segments/{segment.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    body = detail.content.decode()
    assert detail.status_code == 200
    assert body.count('data-customer="') == 3
    assert "****" in body  # staff see masked phones


def test_bad_rules_on_the_page_show_an_error(staff_a_client, department_a):
    response = staff_a_client.post(
        "/segments/new/",
        {
            "name": "坏规则",
            "kind": "dynamic",
            "department": department_a.pk,
            "rules_json": json.dumps({"conditions": [{"field": "nope", "op": "in", "value": []}]}),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert "The rules are not valid" in response.content.decode()
    assert not Segment.objects.filter(name="坏规则").exists()


def test_staff_of_other_department_gets_404(staff_b, department_a):
    from django.test import Client

    segment = SegmentFactory(department=department_a)
    client = Client()
    client.force_login(staff_b)

    assert client.get(f"/segments/{segment.pk}/").status_code == 404
    assert client.get(f"/segments/{segment.pk}/export.csv").status_code == 404


def test_staff_without_export_permission_cannot_export(staff_a_client, department_a):
    segment = SegmentFactory(department=department_a)

    assert staff_a_client.get(f"/segments/{segment.pk}/export.csv").status_code == 403


def test_export_is_masked_neutralised_and_audited(department_a, population):
    exporter = UserFactory(username="exporter", role="staff", department=department_a)
    exporter.user_permissions.add(Permission.objects.get(codename="export_customer"))
    trick = population["people"][0]
    Customer.objects.filter(pk=trick.pk).update(name="=HYPERLINK(1)", mobile="+8613912345678")
    segment = SegmentFactory(
        department=department_a,
        rules={
            "match": "all",
            "conditions": [{"field": "vip_level", "op": "in", "value": ["gold"]}],
        },
    )
    from django.test import Client

    client = Client()
    client.force_login(exporter)
    response = client.get(f"/segments/{segment.pk}/export.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")

    assert response.status_code == 200
    assert "'=HYPERLINK(1)" in text
    assert "139****5678" in text and "13912345678" not in text
    assert len(text.strip().splitlines()) == 1 + 3
    audited = AuditEntry.objects.filter(actor=exporter, action="export")
    assert audited.count() == 3
    assert audited.first().detail["segment"] == segment.pk


def test_manager_export_is_unmasked_and_audited_as_personal_data(
    manager_a_client, manager_a, population, department_a
):
    segment = SegmentFactory(
        department=department_a,
        rules={
            "match": "all",
            "conditions": [{"field": "vip_level", "op": "in", "value": ["diamond"]}],
        },
    )

    response = manager_a_client.get(f"/segments/{segment.pk}/export.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")

    assert population["people"][5].mobile[3:] in text
    assert AuditEntry.objects.filter(actor=manager_a, action="pii_export").count() == 1


def test_rules_cannot_use_another_departments_static_list(staff_a, department_a, department_b):
    from django.core.exceptions import PermissionDenied

    theirs = StaticList.objects.create(name="华南名单", department=department_b)

    with pytest.raises(PermissionDenied):
        segment_save(
            user=staff_a,
            name="借用名单",
            kind="dynamic",
            department=department_a,
            rules={"conditions": [{"field": "static_list", "op": "in", "value": [theirs.pk]}]},
        )


@pytest.mark.parametrize(
    "url_name", ["campaigns:create", "events:create", "feedback:survey-create"]
)
def test_forms_offering_segments_say_whose_a_same_named_segment_is(
    url_name, admin_client_user, department_a, department_b
):
    SegmentFactory(name="高价值客户", department=department_a)
    SegmentFactory(name="高价值客户", department=department_b)
    SegmentFactory(name="高价值客户", department=None)

    page = admin_client_user.get(reverse(url_name), HTTP_ACCEPT_LANGUAGE="zh-hans")

    html = page.content.decode()
    for label in (department_a.name, department_b.name, "全部部门"):
        assert f">高价值客户 · {label}</option>" in html, label
