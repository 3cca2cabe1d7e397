"""Pages and API: who may see and do what."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from customers.models import Customer
from customers.tests.factories import CustomerFactory, InteractionFactory, OrderFactory
from segmentation.models import (
    PolicyPreview,
    PolicyPreviewMove,
    RiskAlert,
    Segment,
    TierPolicy,
)
from segmentation.services.alerts import alerts_evaluate
from segmentation.services.scoring import scoring_run
from segmentation.tasks import preview_policy
from segmentation.tests.factories import SegmentFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/segments/",
    "/segments/new/",
    "/segments/policy/",
    "/segments/help/",
    "/segments/managers/",
    "/segments/vips/",
    "/segments/coverage/",
    "/segments/alerts/",
    "/segments/alerts/rules/",
]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_opens_for_staff(staff_a_client, url):
    assert staff_a_client.get(url).status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_navigation_and_home_cards_are_registered(staff_a_client):
    body = staff_a_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'data-nav="segments"' in body
    assert "My open risk alerts" in body
    assert "VIPs without contact this month" in body


def test_staff_and_managers_cannot_change_the_tier_policy(staff_a_client, manager_a_client):
    assert staff_a_client.get("/segments/policy/edit/").status_code == 403
    assert manager_a_client.post("/segments/policy/edit/", {"action": "save"}).status_code == 403


def _policy_post(**changes) -> dict:
    data = {
        name: "" if value is None else str(value)
        for name, value in TierPolicy.objects.get(version=1).thresholds().items()
    }
    data.update({name: str(value) for name, value in changes.items()})
    return data


def test_admin_previews_without_writing_then_saves_a_new_version(
    admin_client_user, admin_user, department_a
):
    rich = CustomerFactory(department=department_a)
    # ¥60,000 300 days ago: silver now by monthly average (60,000 × 30 / 301 ≈ ¥5,980);
    # normal under a draft asking ¥70,000 a year and no monthly average.
    OrderFactory(
        customer=rich, amount=Decimal("60000"), ordered_at=timezone.now() - dt.timedelta(days=300)
    )
    scoring_run()
    draft = _policy_post(silver_annual_spend="70000", silver_monthly_spend="")

    started = admin_client_user.post("/segments/policy/edit/", {**draft, "action": "preview"})
    preview = PolicyPreview.objects.get()
    pending = admin_client_user.get(started["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-status="pending"' in pending.content.decode()
    assert 'value="70000' in pending.content.decode()  # the form keeps the draft

    assert preview_policy.apply(args=[preview.pk]).get()["status"] == "done"
    assert preview_policy.apply(args=[preview.pk]).get()["status"] == "done"  # runs once
    ready = admin_client_user.get(
        f"/segments/policy/preview/{preview.pk}/", HTTP_ACCEPT_LANGUAGE="en"
    )
    body = ready.content.decode()
    assert 'data-status="done"' in body
    assert 'data-cell="silver>normal"' in body
    assert Customer.objects.get(pk=rich.pk).vip_level == "silver"  # nothing written
    assert TierPolicy.objects.count() == 1
    assert PolicyPreviewMove.objects.filter(preview=preview).count() == sum(
        count
        for cells in PolicyPreview.objects.get().matrices.values()
        for key, count in cells.items()
        if key.split("|")[0] != key.split("|")[1]
    )
    cell = admin_client_user.get(
        f"/segments/policy/preview/{preview.pk}/vip_level/?from=silver&to=normal",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert f'data-customer="{rich.pk}"' in cell.content.decode()

    refused = admin_client_user.post(
        "/segments/policy/edit/",
        {**draft, "action": "save", "note": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Say why the policy changes." in refused.content.decode()
    saved = admin_client_user.post(
        "/segments/policy/edit/", {**draft, "action": "save", "note": "年度调整"}
    )
    assert saved.status_code == 302
    version = TierPolicy.objects.get(version=2)
    assert version.created_by == admin_user
    assert version.note == "年度调整"
    assert version.changes == {
        "silver_annual_spend": ["100000.00", "70000"],
        "silver_monthly_spend": ["5000.00", None],
    }


def test_a_level_without_any_criterion_is_refused(admin_client_user):
    response = admin_client_user.post(
        "/segments/policy/edit/",
        {
            **_policy_post(),
            "diamond_annual_spend": "",
            "action": "preview",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert "Give at least one criterion for this level" in response.content.decode()


def test_beat_schedules_exist_and_keep_an_admins_edits():
    from django.apps import apps as global_apps

    from segmentation.migrations import __name__ as package  # noqa: F401

    module = __import__(
        "segmentation.migrations.0002_defaults_and_vip_cap", fromlist=["create_defaults"]
    )
    names = {
        "segmentation.score_customers",
        "segmentation.evaluate_risk_alerts",
        "segmentation.coverage_report",
    }
    assert set(PeriodicTask.objects.filter(task__in=names).values_list("task", flat=True)) == names
    nightly = PeriodicTask.objects.get(task="segmentation.score_customers")
    custom = CrontabSchedule.objects.create(minute="0", hour="4", timezone="Asia/Shanghai")
    nightly.crontab, nightly.enabled = custom, False
    nightly.save()

    module.create_defaults(global_apps, None)

    nightly.refresh_from_db()
    assert (nightly.crontab_id, nightly.enabled) == (custom.pk, False)
    assert PeriodicTask.objects.filter(task="segmentation.score_customers").count() == 1


def test_tasks_are_thin_and_can_run_twice(department_a):
    from segmentation.tasks import coverage_report, evaluate_risk_alerts, score_customers

    CustomerFactory(department=department_a)
    first = score_customers.apply().get()
    second = score_customers.apply().get()

    assert first["scored"] == second["scored"] == 1
    assert second["changed"] == 0
    assert evaluate_risk_alerts.apply().get() == {"raised": 0, "escalated": 0}
    assert coverage_report.apply().get() == {"reports": 0}


class TestSegmentApi:
    def test_staff_lists_only_their_departments_segments(
        self, api_client_for, staff_a, department_a, department_b
    ):
        mine = SegmentFactory(department=department_a)
        SegmentFactory(department=department_b)

        response = api_client_for(staff_a).get("/api/v1/segments/")

        assert [row["id"] for row in response.json()["results"]] == [mine.pk]

    def test_create_count_and_members_with_masked_phones(
        self, api_client_for, staff_a, department_a
    ):
        CustomerFactory(department=department_a, vip_level="gold", mobile="+8613912345678")
        CustomerFactory(department=department_a, vip_level="normal")
        client = api_client_for(staff_a)

        created = client.post(
            "/api/v1/segments/",
            {
                "name": "金卡",
                "kind": "dynamic",
                "department": department_a.pk,
                "rules": {
                    "match": "all",
                    "conditions": [{"field": "vip_level", "op": "in", "value": ["gold"]}],
                },
            },
            format="json",
        )
        segment_id = created.json()["id"]
        count = client.get(f"/api/v1/segments/{segment_id}/count/")
        members = client.get(f"/api/v1/segments/{segment_id}/members/")

        assert created.status_code == 201
        assert count.json() == {"count": 1}
        assert members.json()["results"][0]["mobile"] == "139****5678"

    def test_invalid_rules_are_a_400(self, api_client_for, staff_a, department_a):
        response = api_client_for(staff_a).post(
            "/api/v1/segments/",
            {
                "name": "x",
                "kind": "dynamic",
                "department": department_a.pk,
                "rules": {"conditions": [{"field": "nope"}]},
            },
            format="json",
        )

        assert response.status_code == 400
        assert "rules" in response.json()
        assert not Segment.objects.exists()

    def test_other_departments_segment_is_404(self, api_client_for, staff_b, department_a):
        segment = SegmentFactory(department=department_a)

        client = api_client_for(staff_b)
        assert client.get(f"/api/v1/segments/{segment.pk}/members/").status_code == 404
        assert client.delete(f"/api/v1/segments/{segment.pk}/").status_code == 404


class TestPolicyApi:
    def test_everyone_reads_only_admins_write(self, api_client_for, staff_a, admin_user):
        payload = {"silver_annual_spend": "80000", "note": "试点"}

        assert api_client_for(staff_a).get("/api/v1/tier-policies/").status_code == 200
        assert (
            api_client_for(staff_a)
            .post("/api/v1/tier-policies/", payload, format="json")
            .status_code
            == 403
        )
        created = api_client_for(admin_user).post("/api/v1/tier-policies/", payload, format="json")

        assert created.status_code == 201
        assert created.json()["version"] == 2
        assert created.json()["changes"] == {"silver_annual_spend": ["100000.00", "80000.00"]}


class TestAlertApi:
    def test_list_acknowledge_and_resolve(self, api_client_for, staff_a, staff_b, department_a):
        customer = CustomerFactory(department=department_a, relationship_manager=staff_a)
        for _ in range(2):
            InteractionFactory(customer=customer, kind="complaint", occurred_at=timezone.now())
        alerts_evaluate()
        alert = RiskAlert.objects.get()
        client = api_client_for(staff_a)

        listed = client.get("/api/v1/risk-alerts/?status=open")
        hidden = api_client_for(staff_b).post(f"/api/v1/risk-alerts/{alert.pk}/acknowledge/")
        acknowledged = client.post(f"/api/v1/risk-alerts/{alert.pk}/acknowledge/")
        no_note = client.post(f"/api/v1/risk-alerts/{alert.pk}/resolve/", {"note": ""})
        resolved = client.post(
            f"/api/v1/risk-alerts/{alert.pk}/resolve/",
            json.dumps({"note": "已回访"}),
            content_type="application/json",
        )

        assert [row["id"] for row in listed.json()["results"]] == [alert.pk]
        assert hidden.status_code == 404
        assert acknowledged.json()["status"] == "acknowledged"
        assert no_note.status_code == 400
        assert resolved.json()["status"] == "resolved"


def _query_count(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url", ["/segments/vips/", "/segments/coverage/", "/segments/alerts/?scope=all", "SEGMENT"]
)
def test_list_pages_do_not_query_per_row(manager_a_client, manager_a, department_a, url):
    segment = SegmentFactory(department=department_a)
    url = f"/segments/{segment.pk}/" if url == "SEGMENT" else url

    def add_vips(n):
        for _ in range(n):
            customer = CustomerFactory(
                department=department_a, vip_level="gold", relationship_manager=manager_a
            )
            for _ in range(2):
                InteractionFactory(customer=customer, kind="complaint", occurred_at=timezone.now())
        alerts_evaluate()

    add_vips(2)
    few = _query_count(manager_a_client, url)
    add_vips(6)
    many = _query_count(manager_a_client, url)

    assert many == few


def test_tier_changes_appear_on_the_customer_timeline(staff_a, department_a):
    from carecrm.core.registry import timeline_providers

    customer = CustomerFactory(department=department_a)
    scoring_run()
    OrderFactory(customer=customer, amount=Decimal("150000"))
    scoring_run()

    entries = [entry for provider in timeline_providers for entry in provider(customer, staff_a)]

    tier_entries = [e for e in entries if e.kind == "tier_change"]
    assert len(tier_entries) == 2  # VIP level normal → gold, value tier low → potential
    assert all(e.url == f"/segments/vips/{customer.pk}/" for e in tier_entries)
