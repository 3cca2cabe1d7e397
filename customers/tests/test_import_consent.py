"""Consent in customer imports: consent columns per channel (granted, refused, not asked,
bad values rejected with the reason), a consent basis for the whole file (granted with its
basis, date and source, audited), and the dry run's per-channel unreachable counts."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse

from carecrm.core.models import AuditAction, AuditEntry
from customers.models import ChannelConsent, ConsentMethod, Customer, ImportJob, ImportStatus
from customers.services.importing import (
    import_job_create,
    import_job_repeat,
    import_job_run,
    import_job_start,
)
from customers.services.importing_consent import ConsentBasis
from customers.tests.factories import CustomerFactory
from customers.tests.import_files import csv_bytes

pytestmark = pytest.mark.django_db

REGISTRATION = ConsentBasis(
    basis="注册时同意",
    on=dt.date(2026, 3, 1),
    source="门店会员登记表 2026-03",
    channels=("sms", "phone"),
)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _start(user, rows, *, basis=None, dry_run=False) -> ImportJob:
    """Upload a CSV, confirm its recognised columns (and basis) as the mapping page does,
    and run the job here."""
    job = import_job_create(
        user=user,
        file=ContentFile(csv_bytes(rows), name="members.csv"),
        kind="customers",
        dry_run=dry_run,
        start=False,
    )
    job = import_job_start(job=job, mapping=job.mapping, user=user, consent_basis=basis)
    import_job_run(job=job)
    job.refresh_from_db()
    return job


def _consents(mobile: str) -> dict[str, ChannelConsent]:
    return {c.channel: c for c in ChannelConsent.objects.filter(customer__mobile=mobile)}


# --- consent columns ------------------------------------------------------------------------


def test_consent_columns_record_granted_refused_and_not_asked(staff_a):
    job = _start(
        staff_a,
        [
            ["姓名", "手机号", "同意短信", "同意邮件", "同意电话", "接收推送"],
            ["王伟", "13800000001", "同意", "opt-out", "", "true"],
            ["李娜", "13800000002", "拒绝", "opt-in", "1", "false"],
            ["张敏", "13800000003", "yes", "0", "否", "未征询"],
        ],
    )

    assert (job.created_count, job.rejected_count) == (3, 0)
    granted = {
        mobile: {channel: c.granted for channel, c in _consents(mobile).items()}
        for mobile in ("+8613800000001", "+8613800000002", "+8613800000003")
    }
    assert granted == {
        "+8613800000001": {"sms": True, "email": False, "push": True},  # phone: not asked
        "+8613800000002": {"sms": False, "email": True, "phone": True, "push": False},
        "+8613800000003": {"sms": True, "email": False, "phone": False},  # push: not asked
    }
    consent = _consents("+8613800000002")["email"]
    assert consent.method == ConsentMethod.IMPORT
    assert (consent.basis, consent.basis_date, consent.basis_source) == ("", None, "")


def test_a_bad_consent_value_rejects_the_row_with_its_reason(staff_a):
    job = _start(
        staff_a,
        [
            ["姓名", "手机号", "同意短信", "同意企业微信"],
            ["王伟", "13800000001", "maybe", ""],
            ["李娜", "13800000002", "是", "也许"],
            ["张敏", "13800000003", "否", "是"],
        ],
    )

    assert (job.created_count, job.rejected_count) == (1, 2)
    reasons = dict(job.rejections.values_list("row_number", "reason"))
    assert set(reasons) == {2, 3}
    assert "Consent to SMS “maybe” is not one of" in reasons[2]
    assert "opt-in/opt-out" in reasons[2]
    assert "Consent to WeCom “也许” is not one of" in reasons[3]
    assert not Customer.objects.filter(mobile__in=["+8613800000001", "+8613800000002"]).exists()
    assert job.created_count + job.rejected_count == job.total_rows == 3


# --- consent basis --------------------------------------------------------------------------


def test_a_consent_basis_grants_covered_channels_without_a_value(manager_a):
    job = _start(
        manager_a,
        [
            ["姓名", "手机号", "同意短信"],
            ["王伟", "13800000001", ""],  # no value: the basis grants SMS and phone
            ["李娜", "13800000002", "拒绝"],  # the row's own refusal wins for SMS
        ],
        basis=REGISTRATION,
    )

    assert job.created_count == 2
    first = _consents("+8613800000001")
    assert set(first) == {"sms", "phone"}  # email, WeCom, push are not covered
    for consent in first.values():
        assert consent.granted is True
        assert consent.method == ConsentMethod.IMPORT
        assert consent.basis == "注册时同意"
        assert consent.basis_date == dt.date(2026, 3, 1)
        assert consent.basis_source == "门店会员登记表 2026-03"
    second = _consents("+8613800000002")
    assert second["sms"].granted is False and second["sms"].basis == ""
    assert second["phone"].granted is True and second["phone"].basis == "注册时同意"


def test_a_consent_basis_never_overrides_a_refusal_on_record(manager_a, department_a):
    customer = CustomerFactory(department=department_a, mobile="+8613800000009")
    ChannelConsent.objects.create(
        customer=customer,
        channel="sms",
        granted=False,
        changed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        method=ConsentMethod.UNSUBSCRIBE_LINK,
    )

    _start(
        manager_a,
        [["姓名", "手机号", "城市"], [customer.name, "13800000009", "杭州"]],
        basis=REGISTRATION,
    )

    consents = _consents("+8613800000009")
    assert consents["sms"].granted is False
    assert consents["sms"].method == ConsentMethod.UNSUBSCRIBE_LINK
    assert consents["phone"].granted is True and consents["phone"].basis == "注册时同意"


def test_recording_a_basis_is_audited_and_shown_on_the_import_page(manager_a, manager_a_client):
    job = _start(manager_a, [["姓名", "手机号"], ["王伟", "13800000001"]], basis=REGISTRATION)

    entry = AuditEntry.objects.get(
        action=AuditAction.CONSENT, object_type="customers.importjob", object_id=str(job.pk)
    )
    assert entry.actor == manager_a
    assert entry.detail == {
        "import_job": job.pk,
        "file": "members.csv",
        "consent_basis": "注册时同意",
        "channels": ["sms", "phone"],
        "date": "2026-03-01",
        "source": "门店会员登记表 2026-03",
    }
    page = manager_a_client.get(reverse("customers:import-detail", args=[job.pk]))
    text = page.content.decode()
    assert "注册时同意, given on 2026-03-01" in text
    assert "门店会员登记表 2026-03" in text


def test_importing_a_dry_run_for_real_keeps_and_audits_its_basis(manager_a):
    dry = _start(
        manager_a, [["姓名", "手机号"], ["王伟", "13800000001"]], basis=REGISTRATION, dry_run=True
    )
    assert not ChannelConsent.objects.exists()

    real = import_job_repeat(job=dry, user=manager_a)
    import_job_run(job=real)

    real.refresh_from_db()
    assert real.consent_basis == "注册时同意" and real.consent_basis_channels == ["sms", "phone"]
    assert {c.channel: c.basis for c in _consents("+8613800000001").values()} == {
        "sms": "注册时同意",
        "phone": "注册时同意",
    }
    assert AuditEntry.objects.filter(
        action=AuditAction.CONSENT, object_id=str(real.pk), detail__import_job=real.pk
    ).exists()


@pytest.mark.parametrize(
    ("basis", "field"),
    [
        (ConsentBasis("", dt.date(2026, 3, 1), "", ("sms",)), "consent_basis"),
        (ConsentBasis("注册时同意", None, "", ("sms",)), "consent_basis_date"),
        (ConsentBasis("注册时同意", dt.date(2999, 1, 1), "", ("sms",)), "consent_basis_date"),
        (ConsentBasis("注册时同意", dt.date(2026, 3, 1), "", ()), "consent_basis_channels"),
        (ConsentBasis("注册时同意", dt.date(2026, 3, 1), "", ("fax",)), "consent_basis_channels"),
    ],
)
def test_an_incomplete_basis_is_refused_and_the_import_waits(manager_a, basis, field):
    job = import_job_create(
        user=manager_a,
        file=ContentFile(csv_bytes([["姓名", "手机号"], ["王伟", "13800000001"]]), name="a.csv"),
        kind="customers",
        start=False,
    )
    with pytest.raises(ValidationError) as caught:
        import_job_start(job=job, mapping=job.mapping, user=manager_a, consent_basis=basis)

    assert field in caught.value.message_dict
    job.refresh_from_db()
    assert job.status == ImportStatus.DRAFT
    assert not AuditEntry.objects.filter(action=AuditAction.CONSENT).exists()


def test_the_mapping_page_records_the_basis(manager_a, manager_a_client):
    job = import_job_create(
        user=manager_a,
        file=ContentFile(csv_bytes([["姓名", "手机号"], ["王伟", "13800000001"]]), name="a.csv"),
        kind="customers",
        start=False,
        queue=False,
    )
    url = reverse("customers:import-mapping", args=[job.pk])
    form = manager_a_client.get(url)
    assert 'id="consent-basis"' in form.content.decode()

    response = manager_a_client.post(
        url,
        {
            "column_0": "name",
            "column_1": "mobile",
            "consent_basis": "consented at registration",
            "consent_basis_date": "2026-03-01",
            "consent_basis_source": "store sign-up forms 2026-03",
            "consent_basis_channels": ["sms", "email"],
        },
    )

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING
    assert (job.consent_basis, job.consent_basis_date, job.consent_basis_channels) == (
        "consented at registration",
        dt.date(2026, 3, 1),
        ["sms", "email"],
    )


def test_the_mapping_page_shows_a_basis_error_on_its_field(manager_a, manager_a_client):
    job = import_job_create(
        user=manager_a,
        file=ContentFile(csv_bytes([["姓名", "手机号"], ["王伟", "13800000001"]]), name="a.csv"),
        kind="customers",
        start=False,
        queue=False,
    )
    response = manager_a_client.post(
        reverse("customers:import-mapping", args=[job.pk]),
        {"column_0": "name", "column_1": "mobile", "consent_basis": "consented at registration"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {
        "consent_basis_date",
        "consent_basis_channels",
    }
    job.refresh_from_db()
    assert job.status == ImportStatus.DRAFT


# --- dry run: who cannot be reached ---------------------------------------------------------


def test_the_dry_run_counts_unreachable_rows_per_channel(staff_a, department_a, staff_a_client):
    existing = CustomerFactory(
        department=department_a, mobile="+8613800000005", email="", wecom_external_id="wm-5"
    )
    ChannelConsent.objects.create(
        customer=existing,
        channel="wecom",
        granted=True,
        changed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        method=ConsentMethod.FORM,
    )
    rows = [
        ["姓名", "手机号", "邮箱", "同意短信", "同意邮件"],
        ["A", "13800000001", "a@example.com", "是", "是"],  # sms ok, email ok
        ["B", "13800000002", "", "否", "是"],  # sms refused, email: no address
        ["C", "", "c@example.com", "是", ""],  # sms: no number, email not asked
        ["D", "+85291234567", "d@example.com", "", "否"],  # sms not asked, email refused
        [existing.name, "13800000005", "", "", ""],  # existing: WeCom granted, has an id
        ["F", "bad phone", "", "", ""],  # rejected: not counted
        ["A", "13800000001", "a@example.com", "是", "是"],  # repeat: not counted
    ]

    job = _start(staff_a, rows, dry_run=True)

    assert job.rejected_count == 1
    # Hand-counted over the five customers the file names (rows 2–6); the basis covers
    # nothing here, so phone, WeCom and push are "not asked" unless on record.
    assert job.reach == {
        "sms": {"refused": 1, "no_address": 1, "not_asked": 2},
        "email": {"no_address": 1, "not_asked": 2, "refused": 1},
        "wecom": {"not_asked": 4},
        "push": {"not_asked": 5},
        "phone": {"not_asked": 5},
    }
    assert not Customer.objects.filter(mobile="+8613800000001").exists()  # a dry run

    page = staff_a_client.get(reverse("customers:import-detail", args=[job.pk])).content.decode()
    assert "SMS: 4 rows cannot be reached (not asked 2, refused 1, no number or address 1)" in (
        page
    )
    assert 'id="import-reach-hint"' in page


def test_a_basis_makes_the_covered_channels_reachable_in_the_dry_run(manager_a):
    rows = [["姓名", "手机号"], ["A", "13800000001"], ["B", "13800000002"], ["C", "+85291234567"]]

    job = _start(manager_a, rows, basis=REGISTRATION, dry_run=True)

    assert job.reach["sms"] == {"no_address": 1}  # the Hong Kong number takes no SMS
    assert "phone" not in job.reach  # every row has a number and consent on the basis
    assert job.reach["email"] == {"not_asked": 3}
    assert not ChannelConsent.objects.exists()
    # the preview shows what the basis grants, though the file has no consent column
    assert [entry["values"].get("consent_sms") for entry in job.preview] == [True, True, True]
    assert [entry["values"].get("consent_phone") for entry in job.preview] == [True] * 3


# --- the basis on the consent record afterwards ---------------------------------------------


def test_the_customer_page_shows_the_basis_and_a_later_decision_clears_it(
    manager_a, manager_a_client
):
    from customers.services.records import consent_set

    _start(manager_a, [["姓名", "手机号"], ["王伟", "13800000001"]], basis=REGISTRATION)
    customer = Customer.objects.get(mobile="+8613800000001")

    page = manager_a_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "注册时同意 · 2026-03-01 · 门店会员登记表 2026-03" in page

    consent_set(
        customer=customer, channel="sms", granted=False, method=ConsentMethod.CALL, user=manager_a
    )
    sms = _consents("+8613800000001")["sms"]
    assert (sms.granted, sms.basis, sms.basis_date, sms.basis_source) == (False, "", None, "")
    assert _consents("+8613800000001")["phone"].basis == "注册时同意"  # untouched


def test_a_merge_carries_the_winning_consent_with_its_basis(manager_a, department_a):
    from customers.services.merge import customer_merge

    survivor = CustomerFactory(department=department_a, mobile="+8613800000007")
    _start(manager_a, [["姓名", "手机号"], ["王伟", "13800000008"]], basis=REGISTRATION)
    duplicate = Customer.objects.get(mobile="+8613800000008")
    ChannelConsent.objects.create(
        customer=survivor,
        channel="sms",
        granted=True,
        changed_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        method=ConsentMethod.FORM,
    )

    customer_merge(survivor=survivor, duplicate=duplicate, field_choices={}, user=manager_a)

    sms = ChannelConsent.objects.get(customer=survivor, channel="sms")
    assert (sms.method, sms.basis, sms.basis_source) == (
        ConsentMethod.IMPORT,
        "注册时同意",
        "门店会员登记表 2026-03",
    )


# --- API ------------------------------------------------------------------------------------


def test_the_api_takes_a_basis_and_reports_it_with_the_reach(
    manager_a, api_client_for, django_capture_on_commit_callbacks, eager_celery
):
    client = api_client_for(manager_a)
    upload = ContentFile(csv_bytes([["姓名", "手机号"], ["王伟", "13800000001"]]), name="a.csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/imports/",
            {
                "file": upload,
                "dry_run": "true",
                "consent_basis": "注册时同意",
                "consent_basis_date": "2026-03-01",
                "consent_basis_source": "门店会员登记表",
                "consent_basis_channels": ["sms", "phone"],
            },
            format="multipart",
        )
    assert response.status_code == 201, response.content

    body = client.get(f"/api/v1/imports/{response.json()['id']}/").json()
    assert body["consent_basis"] == {
        "basis": "注册时同意",
        "date": "2026-03-01",
        "source": "门店会员登记表",
        "channels": ["sms", "phone"],
    }
    assert body["status"] == "done", body
    assert body["reach"]["email"] == {"not_asked": 1}
    assert "sms" not in body["reach"]
    assert AuditEntry.objects.filter(action=AuditAction.CONSENT).count() == 1


def test_the_api_refuses_a_basis_without_channels_and_stores_nothing(manager_a, api_client_for):
    upload = ContentFile(csv_bytes([["姓名", "手机号"], ["王伟", "13800000001"]]), name="a.csv")
    response = api_client_for(manager_a).post(
        "/api/v1/imports/",
        {"file": upload, "consent_basis": "注册时同意", "consent_basis_date": "2026-03-01"},
        format="multipart",
    )

    assert response.status_code == 400
    assert "consent_basis_channels" in response.json()
    assert not ImportJob.objects.exists()


def test_the_shell_import_takes_a_basis(manager_a, tmp_path):
    import io

    from django.core.management import call_command

    path = tmp_path / "members.csv"
    path.write_bytes(csv_bytes([["姓名", "手机号"], ["王伟", "13800000001"]]))
    out = io.StringIO()

    call_command(
        "import_customers",
        str(path),
        "--user",
        manager_a.username,
        "--consent-basis",
        "注册时同意",
        "--consent-date",
        "2026-03-01",
        "--consent-source",
        "门店会员登记表",
        "--consent-channels",
        "sms,phone",
        stdout=out,
    )

    assert _consents("+8613800000001")["sms"].basis_source == "门店会员登记表"
    assert "Cannot be reached by email: 1 rows (not asked 1)." in out.getvalue()
    assert "by sms" not in out.getvalue()
