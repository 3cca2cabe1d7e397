"""The segment builder a care manager uses: ≥ / ≤ / between / in evaluated in SQL, rules
saved before those operators existed, readable summaries in both languages, no error
before the user has typed, exports within the user's scope and "use in a new campaign"."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from carecrm.accounts.tests.factories import UserFactory
from customers.models import Customer, Tag
from customers.tests.factories import CustomerFactory
from segmentation.models import Segment
from segmentation.rules import compile_rules, describe_rules, validate_rules
from segmentation.selectors import rules_customers, segment_customers
from segmentation.tests.factories import SegmentFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


def years_ago(years: int, days: int = 0) -> dt.date:
    return TODAY.replace(year=TODAY.year - years) + dt.timedelta(days=days)


@pytest.fixture
def people(department_a, department_b):
    """Customers placed on and around every boundary the tests use."""
    specs = [
        # spend, purchases, days since last purchase, birthday, city, vip, department
        ("999.99", 0, None, years_ago(30, 1), "上海市", "normal", department_a),
        ("1000.00", 1, 0, years_ago(30), "上海市", "silver", department_a),
        ("1000.01", 2, 29, years_ago(31, 1), "杭州市", "gold", department_a),
        ("3000.00", 3, 30, years_ago(40), "杭州市", "gold", department_a),
        ("5000.00", 5, 31, years_ago(41), "南京市", "diamond", department_a),
        ("5000.01", 8, 90, years_ago(41, 1), "苏州市", "silver", department_a),
        ("20000.00", 12, 91, None, "上海市", "diamond", department_b),
        ("0.00", 0, 365, years_ago(18), "广州市", "normal", department_b),
    ]
    made = []
    for spend, purchases, days, birthday, city, vip, department in specs:
        made.append(
            CustomerFactory(
                total_spend=Decimal(spend),
                spend_12m=Decimal(spend),
                purchase_count=purchases,
                last_purchase_on=None if days is None else TODAY - dt.timedelta(days=days),
                birthday=birthday,
                city=city,
                vip_level=vip,
                department=department,
            )
        )
    CustomerFactory(total_spend=Decimal("3000"), status="merged", department=department_a)
    return made


def matched(rule: dict) -> set[int]:
    rules = validate_rules({"match": "all", "conditions": [rule]})
    return set(
        Customer.objects.filter(status="active")
        .filter(compile_rules(rules, today=TODAY))
        .values_list("pk", flat=True)
    )


def by_hand(condition: Q) -> set[int]:
    return set(
        Customer.objects.filter(status="active").filter(condition).values_list("pk", flat=True)
    )


def test_money_operators_include_their_bounds(people):
    cases = [
        ({"op": "gte", "value": "1000"}, Q(total_spend__gte=Decimal("1000"))),
        ({"op": "lte", "value": "5000"}, Q(total_spend__lte=Decimal("5000"))),
        (
            {"op": "between", "value": {"min": "1000", "max": "5000"}},
            Q(total_spend__gte=Decimal("1000"), total_spend__lte=Decimal("5000")),
        ),
    ]
    for rule, condition in cases:
        assert matched({"field": "total_spend", **rule}) == by_hand(condition), rule
    between = matched(
        {"field": "total_spend", "op": "between", "value": {"min": 1000, "max": 5000}}
    )
    assert between == {p.pk for p in people[1:5]}  # ¥1,000.00 and ¥5,000.00 themselves are in


def test_count_days_since_purchase_and_age_operators(people):
    cases = [
        ({"field": "purchase_count", "op": "gte", "value": 3}, Q(purchase_count__gte=3)),
        ({"field": "purchase_count", "op": "lte", "value": 2}, Q(purchase_count__lte=2)),
        (
            {"field": "purchase_count", "op": "between", "value": {"min": 2, "max": 5}},
            Q(purchase_count__gte=2, purchase_count__lte=5),
        ),
        (
            {"field": "days_since_purchase", "op": "gte", "value": 30},
            Q(last_purchase_on__lte=TODAY - dt.timedelta(days=30)),
        ),
        (
            {"field": "days_since_purchase", "op": "lte", "value": 30},
            Q(last_purchase_on__gte=TODAY - dt.timedelta(days=30)),
        ),
        (
            {"field": "days_since_purchase", "op": "between", "value": {"min": 30, "max": 90}},
            Q(
                last_purchase_on__gte=TODAY - dt.timedelta(days=90),
                last_purchase_on__lte=TODAY - dt.timedelta(days=30),
            ),
        ),
        ({"field": "age", "op": "gte", "value": 40}, Q(birthday__lte=years_ago(40))),
        ({"field": "age", "op": "lte", "value": 30}, Q(birthday__gt=years_ago(31))),
        (
            {"field": "age", "op": "between", "value": {"min": 30, "max": 40}},
            Q(birthday__gt=years_ago(41), birthday__lte=years_ago(30)),
        ),
        (
            {"field": "last_purchase_on", "op": "on_or_after", "value": "2026-05-16"},
            Q(last_purchase_on__gte=dt.date(2026, 5, 16)),
        ),
        (
            {
                "field": "last_purchase_on",
                "op": "date_between",
                "value": {"min": "2026-03-17", "max": "2026-05-16"},
            },
            Q(last_purchase_on__range=(dt.date(2026, 3, 17), dt.date(2026, 5, 16))),
        ),
    ]
    for rule, condition in cases:
        assert matched(rule) == by_hand(condition), rule
    # ages on the birthday itself: 30 today is 30, 41 tomorrow is still 40
    assert matched({"field": "age", "op": "between", "value": {"min": 30, "max": 40}}) == {
        people[1].pk,
        people[2].pk,
        people[3].pk,
        people[5].pk,
    }
    # a customer who never bought has no "days since": no answer either way
    assert people[0].pk not in matched({"field": "days_since_purchase", "op": "gte", "value": 0})


def test_in_for_choices_text_and_departments(people, department_b):
    assert matched({"field": "vip_level", "op": "in", "value": ["gold", "diamond"]}) == by_hand(
        Q(vip_level__in=["gold", "diamond"])
    )
    assert matched({"field": "city", "op": "in", "value": ["上海市", "杭州市"]}) == by_hand(
        Q(city__in=["上海市", "杭州市"])
    )
    assert matched({"field": "city", "op": "not_in", "value": ["上海市"]}) == by_hand(
        ~Q(city="上海市")
    )
    assert matched({"field": "department", "op": "in", "value": [department_b.pk]}) == {
        people[6].pk,
        people[7].pk,
    }


OLD_FORMAT = {
    # As segments were saved before ≥ and ≤: one-sided "between", text given as a string.
    "match": "all",
    "conditions": [
        {"field": "total_spend", "op": "between", "value": {"min": "1000.00", "max": None}},
        {"field": "purchase_count", "op": "between", "value": {"min": None, "max": 5}},
        {"field": "last_purchase_on", "op": "within_days", "value": 60},
        {
            "match": "any",
            "conditions": [
                {"field": "vip_level", "op": "in", "value": ["diamond", "gold"]},
                {"field": "city", "op": "in", "value": "南京市, 苏州市"},
            ],
        },
    ],
}


def test_old_format_rules_evaluate_as_before(people, department_a):
    stored = json.loads(json.dumps(OLD_FORMAT))
    stored["conditions"][3]["conditions"][1]["value"] = ["南京市", "苏州市"]  # as saved
    segment = SegmentFactory(department=department_a, rules=stored)
    new_format = validate_rules(
        {
            "match": "all",
            "conditions": [
                {"field": "total_spend", "op": "gte", "value": "1000"},
                {"field": "purchase_count", "op": "lte", "value": 5},
                {"field": "days_since_purchase", "op": "lte", "value": 60},
                {
                    "match": "any",
                    "conditions": [
                        {"field": "vip_level", "op": "in", "value": ["gold", "diamond"]},
                        {"field": "city", "op": "in", "value": ["南京市", "苏州市"]},
                    ],
                },
            ],
        }
    )
    in_department = Customer.objects.filter(status="active", department=department_a)
    hand = in_department.filter(
        Q(vip_level__in=["gold", "diamond"]) | Q(city__in=["南京市", "苏州市"]),
        total_spend__gte=Decimal("1000"),
        purchase_count__lte=5,
        last_purchase_on__gte=TODAY - dt.timedelta(days=60),
    )
    expected = set(hand.values_list("pk", flat=True))

    assert validate_rules(OLD_FORMAT) == stored  # re-saving changes nothing

    def members(rules):
        found = in_department.filter(compile_rules(rules, today=TODAY))
        return set(found.values_list("pk", flat=True))

    assert members(segment.rules) == expected  # the saved segment, as stored
    assert members(new_format) == expected
    # and through the selector every page uses (relative dates from the real today)
    assert set(segment_customers(segment).values_list("pk", flat=True)) == set(
        rules_customers(new_format, department_id=department_a.pk).values_list("pk", flat=True)
    )
    assert expected  # not vacuous
    with translation.override("en"):
        assert describe_rules(stored) == describe_rules(new_format)


SUMMARY_RULES = {
    "match": "all",
    "conditions": [
        {"field": "last_purchase_on", "op": "within_days", "value": 90},
        {"field": "total_spend", "op": "gte", "value": "5000"},
        {"field": "spend_12m", "op": "between", "value": {"min": "1000", "max": "5000.50"}},
        {"field": "vip_level", "op": "in", "value": ["gold", "diamond"]},
        {"field": "city", "op": "in", "value": ["上海", "杭州"]},
        {"field": "days_since_purchase", "op": "gte", "value": 30},
        {"field": "tags", "op": "has_none", "value": ["TAG"]},
    ],
}


def test_summaries_read_naturally_in_both_languages(db):
    tag = Tag.objects.create(name="投诉过")
    raw = json.loads(json.dumps(SUMMARY_RULES).replace('"TAG"', str(tag.pk)))
    rules = validate_rules(raw)

    with translation.override("en"):
        english = describe_rules(rules)
    with translation.override("zh-hans"):
        chinese = describe_rules(rules)

    assert english == (
        "Bought in the last 90 days and Total spend ≥ ¥5,000 and Spend in last 12 months "
        "between ¥1,000 and ¥5,000.50 and VIP level: Gold (SVIP), Diamond (SVIP+) and "
        "City: 上海, 杭州 and No purchase for at least 30 days and Tags: none of 投诉过"
    )
    assert chinese == (
        "最近 90 天内购买，且累计消费 ≥ ¥5,000，且近 12 个月消费在 ¥1,000 至 ¥5,000.50 之间，"
        "且VIP 等级：金卡（SVIP）、钻石卡（SVIP+），且城市：上海、杭州，且至少 30 天未购买，"
        "且标签：排除 投诉过"
    )
    with translation.override("en"):
        assert describe_rules({"match": "any", "conditions": []}) == "All customers"
        one_day = {"field": "last_purchase_on", "op": "within_days", "value": 1}
        assert describe_rules({"conditions": [one_day]}) == "Bought in the last 1 day"


def test_a_fresh_builder_shows_no_error_and_a_bad_rule_a_specific_one(
    manager_a_client, department_a
):
    fresh = manager_a_client.get("/segments/new/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "invalid-feedback" not in fresh and "is-invalid" not in fresh
    assert "errorlist" not in fresh and 'class="alert alert-danger"' not in fresh
    assert "not valid" not in fresh and "This field is required" not in fresh

    rules = {
        "conditions": [
            {"field": "total_spend", "op": "between", "value": {"min": "5000", "max": "1000"}}
        ]
    }
    response = manager_a_client.post(
        "/segments/new/",
        {
            "name": "错的范围",
            "kind": "dynamic",
            "department": department_a.pk,
            "rules_json": json.dumps(rules),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Total spend (¥): the minimum is above the maximum." in body
    assert not Segment.objects.filter(name="错的范围").exists()


def test_live_preview_and_pages_show_the_summary(manager_a_client, department_a, people):
    rules = {
        "match": "all",
        "conditions": [
            {"field": "total_spend", "op": "between", "value": {"min": "1000", "max": "5000"}},
            {"field": "vip_level", "op": "in", "value": ["gold", "diamond"]},
        ],
    }
    preview = manager_a_client.post(
        "/segments/count/",
        {"rules_json": json.dumps(rules), "department": department_a.pk, "kind": "dynamic"},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert 'data-live-count="3"' in preview
    assert "<li>Total spend between ¥1,000 and ¥5,000</li>" in preview
    assert "<li>VIP level: Gold (SVIP), Diamond (SVIP+)</li>" in preview

    segment = SegmentFactory(department=department_a, rules=validate_rules(rules), name="中高消费")
    listing = manager_a_client.get("/segments/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    detail = manager_a_client.get(
        f"/segments/{segment.pk}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    summary = "Total spend between ¥1,000 and ¥5,000 and VIP level: Gold (SVIP), Diamond (SVIP+)"
    assert summary in listing
    assert "<li>Total spend between ¥1,000 and ¥5,000</li>" in detail
    assert f'href="/campaigns/new/?segment={segment.pk}"' in detail
    assert f'href="/events/new/?segment={segment.pk}"' in detail
    assert f'href="/segments/{segment.pk}/export.xlsx"' in detail


def test_new_campaign_and_event_come_with_the_segment_chosen(
    manager_a_client, department_a, department_b
):
    segment = SegmentFactory(department=department_a, name="要邀请的客户")
    theirs = SegmentFactory(department=department_b, name="别人的")

    campaign = manager_a_client.get(f"/campaigns/new/?segment={segment.pk}").content.decode()
    event = manager_a_client.get(f"/events/new/?segment={segment.pk}").content.decode()
    other = manager_a_client.get(f"/campaigns/new/?segment={theirs.pk}").content.decode()

    assert (
        f'<option value="{segment.pk}" selected>要邀请的客户 · {department_a.name}</option>'
        in campaign
    )
    assert (
        f'<option value="{segment.pk}" selected>要邀请的客户 · {department_a.name}</option>'
        in event
    )
    assert " selected>别人的" not in other and "别人的" not in other


def _exporter(department, username):
    user = UserFactory(username=username, role="staff", department=department)
    user.user_permissions.add(Permission.objects.get(codename="export_customer"))
    client = Client()
    client.force_login(user)
    return client


def test_export_stays_within_the_users_department(people, department_a, department_b):
    everyone = SegmentFactory(department=department_b, rules={"match": "all", "conditions": []})
    east = SegmentFactory(department=department_a, rules={"match": "all", "conditions": []})
    staff_b = _exporter(department_b, "export_b")
    # a segment of B's that asks for A's customers gets none of them
    asks_for_a = SegmentFactory(
        department=department_b,
        rules=validate_rules(
            {"conditions": [{"field": "department", "op": "in", "value": [department_a.pk]}]}
        ),
    )
    none_text = b"".join(
        staff_b.get(f"/segments/{asks_for_a.pk}/export.csv").streaming_content
    ).decode("utf-8-sig")
    assert len(none_text.strip().splitlines()) == 1  # the header only

    csv_text = b"".join(
        staff_b.get(f"/segments/{everyone.pk}/export.csv").streaming_content
    ).decode("utf-8-sig")
    response = staff_b.get(f"/segments/{everyone.pk}/export.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    xlsx_ids = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}

    department_b_ids = {people[6].pk, people[7].pk}
    csv_ids = {int(line.split(",")[0]) for line in csv_text.strip().splitlines()[1:]}
    assert csv_ids == department_b_ids
    assert xlsx_ids == department_b_ids
    assert staff_b.get(f"/segments/{east.pk}/export.csv").status_code == 404
    assert staff_b.get(f"/segments/{east.pk}/export.xlsx").status_code == 404


def test_xlsx_export_is_masked_and_neutralised(people, department_a):
    Customer.objects.filter(pk=people[1].pk).update(name="=cmd()", mobile="+8613912345678")
    segment = SegmentFactory(
        department=department_a,
        rules={
            "match": "all",
            "conditions": [{"field": "vip_level", "op": "in", "value": ["silver"]}],
        },
    )
    client = _exporter(department_a, "export_a")

    response = client.get(f"/segments/{segment.pk}/export.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))

    assert response["Content-Disposition"].endswith('.xlsx"')
    assert len(rows) == 2
    first = next(row for row in rows if row[0] == people[1].pk)
    assert first[1] == "'=cmd()"
    assert first[2] == "139****5678"


def test_pickers_offer_only_what_the_user_may_see(manager_a_client, people, department_a):
    from django.core.cache import cache

    cache.clear()
    response = manager_a_client.get("/segments/new/")
    catalogue = {field["key"]: field for field in response.context["catalogue"]}

    assert [value for value, _label in catalogue["city"]["choices"]] == sorted(
        {"上海市", "杭州市", "南京市", "苏州市"}
    )  # 广州市 is department B's only
    assert catalogue["city"]["suggest"] is True
    assert catalogue["department"]["choices"] == [[str(department_a.pk), str(department_a)]]
    assert [op["key"] for op in catalogue["total_spend"]["ops"]] == ["gte", "lte", "between"]
