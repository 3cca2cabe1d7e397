"""The import screens (upload → mapping → job page), the API endpoint and the shell
commands."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.urls import reverse

from carecrm.accounts.tests.factories import UserFactory
from carecrm.core.models import AuditEntry
from customers.models import Customer, ImportJob, ImportPreset, ImportStatus, Order
from customers.tests.factories import CustomerFactory
from customers.tests.import_files import csv_bytes

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _english_and_eager(settings, eager_celery):
    """Eager through the Celery app itself: it reads the Django setting only once, so an
    earlier test that sent a task would have fixed it for the session."""
    settings.LANGUAGE_CODE = "en"


def customer_upload(name="customers.csv") -> SimpleUploadedFile:
    content = csv_bytes(
        [
            ["姓名", "手机号", "客户经理备注", "生日"],
            ["张三", "13812345678", "重要客户", "1990/3/5"],
            ["李四", "=1+1", "", "1991-04-06"],
            ["王五", "13912345678", "", "19920507"],
        ],
        encoding="gbk",
    )
    return SimpleUploadedFile(name, content, content_type="text/csv")


# --- screens --------------------------------------------------------------------------------


def test_upload_then_mapping_then_job_page_with_the_result(
    staff_a, staff_a_client, django_capture_on_commit_callbacks
):
    response = staff_a_client.post(
        reverse("customers:import-new"),
        {"file": customer_upload(), "kind": "customers", "existing_mode": "update"},
        **EN,
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:import-mapping", args=[job.pk])
    assert job.status == ImportStatus.DRAFT

    page = staff_a_client.get(response["Location"], **EN).content.decode()
    assert "客户经理备注" in page and "重要客户" in page
    assert '<option value="mobile" selected>' in page
    assert '<option value="birthday" selected>' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_a_client.post(
            reverse("customers:import-mapping", args=[job.pk]),
            {
                "column_0": "name",
                "column_1": "mobile",
                "column_2": "notes",
                "column_3": "birthday",
                "preset_name": "ERP 导出",
            },
            **EN,
        )
    assert response["Location"] == reverse("customers:import-detail", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.created_count, job.rejected_count) == (ImportStatus.DONE, 2, 1)
    assert Customer.objects.get(mobile="+8613812345678").notes == "重要客户"
    preset = ImportPreset.objects.get(name="ERP 导出")
    assert preset.mapping["客户经理备注"] == "notes"

    page = staff_a_client.get(response["Location"], **EN).content.decode()
    assert 'data-count="created">2<' in page
    assert 'data-count="rejected">1<' in page
    assert "not a phone number" in page
    assert "138****5678" in page and "13812345678" not in page  # staff see masked phones
    assert 'id="rejected-rows-download"' in page
    assert "hx-trigger" not in page


def test_the_job_page_polls_while_the_import_runs(staff_a, staff_a_client, department_a):
    job = ImportJob.objects.create(
        kind="customers",
        original_name="big.csv",
        department=department_a,
        created_by=staff_a,
        status=ImportStatus.RUNNING,
        total_rows=200,
        processed_rows=50,
    )

    fragment = staff_a_client.get(reverse("customers:import-progress", args=[job.pk]), **EN)

    body = fragment.content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert 'data-progress="25"' in body
    assert "<html" not in body


def test_a_dry_run_can_then_be_imported_for_real(
    staff_a, staff_a_client, django_capture_on_commit_callbacks
):
    staff_a_client.post(
        reverse("customers:import-new"),
        {
            "file": customer_upload(),
            "kind": "customers",
            "existing_mode": "update",
            "dry_run": "on",
        },
    )
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        staff_a_client.post(
            reverse("customers:import-mapping", args=[job.pk]),
            {"column_0": "name", "column_1": "mobile", "column_2": "", "column_3": "birthday"},
        )
    page = staff_a_client.get(reverse("customers:import-detail", args=[job.pk]), **EN)
    assert "Dry run finished" in page.content.decode()
    assert not Customer.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_a_client.post(reverse("customers:import-repeat", args=[job.pk]))

    real = ImportJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("customers:import-detail", args=[real.pk])
    assert (real.dry_run, real.created_count) == (False, 2)
    assert Customer.objects.count() == 2


def test_staff_get_no_department_choice_and_admins_must_choose(
    staff_a_client, admin_client_user, department_a, department_b
):
    staff_page = staff_a_client.get(reverse("customers:import-new"), **EN).content.decode()
    assert 'name="department"' not in staff_page

    response = admin_client_user.post(
        reverse("customers:import-new"),
        {"file": customer_upload(), "kind": "customers", "existing_mode": "update"},
        **EN,
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    response = admin_client_user.post(
        reverse("customers:import-new"),
        {
            "file": customer_upload(),
            "kind": "customers",
            "existing_mode": "update",
            "department": department_b.pk,
        },
    )
    assert response.status_code == 302
    assert ImportJob.objects.get().department == department_b


def test_a_file_that_cannot_be_read_shows_the_reason_on_the_form(staff_a_client):
    upload = SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0rest")

    response = staff_a_client.post(
        reverse("customers:import-new"),
        {"file": upload, "kind": "customers", "existing_mode": "update"},
        **EN,
    )

    assert response.status_code == 200
    assert "Old Excel files (.xls) are not supported" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_mapping_without_a_contact_column_is_refused(staff_a, staff_a_client):
    staff_a_client.post(
        reverse("customers:import-new"),
        {"file": customer_upload(), "kind": "customers", "existing_mode": "update"},
    )
    job = ImportJob.objects.get()

    response = staff_a_client.post(
        reverse("customers:import-mapping", args=[job.pk]),
        {"column_0": "name", "column_1": "", "column_2": "", "column_3": ""},
        **EN,
    )

    assert response.status_code == 200
    assert "one contact is required" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.DRAFT


@pytest.fixture
def finished_job(staff_a, django_capture_on_commit_callbacks):
    from customers.services.importing import import_job_create

    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(user=staff_a, file=customer_upload(), kind="customers")
    job.refresh_from_db()
    return job


def test_other_departments_cannot_see_a_job_or_its_rejected_rows(staff_b, finished_job):
    from django.test import Client

    client = Client()
    client.force_login(staff_b)
    for name in ("import-detail", "import-progress", "import-rejected-rows", "import-mapping"):
        assert client.get(reverse(f"customers:{name}", args=[finished_job.pk])).status_code == 404
    listing = client.get(reverse("customers:import-list"), **EN).content.decode()
    assert "customers.csv" not in listing
    assert "No imports yet" in listing


def test_rejected_rows_download_for_the_uploader_and_pii_holders_only(
    staff_a_client, manager_a_client, department_a, finished_job
):
    url = reverse("customers:import-rejected-rows", args=[finished_job.pk])
    response = staff_a_client.get(url)
    data = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1][1] == "'=1+1"
    assert AuditEntry.objects.filter(action="export", object_id=str(finished_job.pk)).exists()

    assert manager_a_client.get(url).status_code == 200
    colleague = UserFactory(username="staff_a2", role="staff", department=department_a)
    from django.test import Client

    client = Client()
    client.force_login(colleague)
    assert client.get(reverse("customers:import-detail", args=[finished_job.pk])).status_code == 200
    assert client.get(url).status_code == 404


def test_the_list_shows_recent_imports_with_counts(staff_a_client, finished_job):
    page = staff_a_client.get(reverse("customers:import-list"), **EN).content.decode()

    assert f'data-job="{finished_job.pk}"' in page
    assert "customers.csv" in page
    filtered = staff_a_client.get(reverse("customers:import-list") + "?kind=orders", **EN)
    assert "No imports match these filters" in filtered.content.decode()


def test_an_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("customers:import-new"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- API ------------------------------------------------------------------------------------


def test_api_import_is_queued_and_reports_status_and_counts(
    staff_a, api_client_for, django_capture_on_commit_callbacks
):
    client = api_client_for(staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/imports/",
            {
                "file": customer_upload(),
                "kind": "customers",
                "mapping": '{"客户经理备注": "notes"}',
            },
            format="multipart",
        )
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]

    body = client.get(f"/api/v1/imports/{job_id}/").json()

    assert body["status"] == "done"
    assert (body["created_count"], body["updated_count"], body["rejected_count"]) == (2, 0, 1)
    assert body["total_rows"] == 3
    assert body["preview"]["masked"] is True
    assert "138****5678" in str(body["preview"]["rows"])
    assert body["rejected_rows_url"].endswith(f"/api/v1/imports/{job_id}/rejected-rows/")
    assert Customer.objects.get(mobile="+8613812345678").notes == "重要客户"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "customers"}, "file", "No file was submitted"),
        ({"mapping": "{not json"}, "mapping", "not valid JSON"),
        ({"mapping": '{"电话": "mobile"}'}, "mapping", "no column “电话”"),
        ({"mapping": '{"姓名": "nickname"}'}, "mapping", "not a field"),
        ({"department": "south-sales"}, "department", "cannot import into"),
        ({"kind": "pets"}, "kind", "not a valid choice"),
    ],
)
def test_api_bad_input_gets_400_with_a_specific_message(
    staff_a, api_client_for, department_b, data, field, message
):
    payload = {"file": customer_upload(), **data}
    if "file" not in data and data.get("kind") == "customers" and len(data) == 1:
        payload.pop("file")

    response = api_client_for(staff_a).post("/api/v1/imports/", payload, format="multipart")

    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not ImportJob.objects.exists()


def test_api_jobs_of_other_departments_are_404(staff_b, api_client_for, finished_job):
    client = api_client_for(staff_b)

    assert client.get(f"/api/v1/imports/{finished_job.pk}/").status_code == 404
    assert client.get("/api/v1/imports/").json()["count"] == 0


# --- shell commands -------------------------------------------------------------------------


def test_command_prints_the_summary_and_exits_non_zero_on_rejected_rows(
    tmp_path, department_a, capsys
):
    path = tmp_path / "customers.csv"
    path.write_bytes(customer_upload().read())
    out = io.StringIO()

    with pytest.raises(CommandError) as error:
        call_command("import_customers", str(path), "--map", "客户经理备注=备注", stdout=out)

    assert error.value.returncode == 1
    summary = out.getvalue()
    assert "3 rows — created 2, updated 0, skipped 0, rejected 1" in summary
    assert "Rejected rows with reasons:" in summary
    assert "row 3: Mobile phone is not a phone number" in summary
    assert Customer.objects.get(mobile="+8613812345678").notes == "重要客户"

    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(["manage.py", "import_customers", str(path)]).execute()
    assert exit_.value.code == 1
    assert "rejected" in capsys.readouterr().err


def test_command_exits_zero_when_every_row_is_in_and_supports_skip_existing(tmp_path, department_a):
    CustomerFactory(department=department_a, mobile="+8613812345678", city="上海市")
    path = tmp_path / "clean.csv"
    path.write_bytes(csv_bytes([["姓名", "手机", "城市"], ["张三", "13812345678", "杭州市"]]))
    out = io.StringIO()

    call_command("import_customers", str(path), "--skip-existing", stdout=out)

    assert "skipped 1" in out.getvalue()
    assert Customer.objects.get().city == "上海市"


def test_command_dry_run_writes_nothing_and_needs_a_department_when_there_are_several(
    tmp_path, department_a, department_b
):
    path = tmp_path / "clean.csv"
    path.write_bytes(csv_bytes([["姓名", "手机"], ["张三", "13812345678"]]))

    with pytest.raises(CommandError, match="Choose the department"):
        call_command("import_customers", str(path), stdout=io.StringIO())
    out = io.StringIO()
    call_command(
        "import_customers", str(path), "--dry-run", "--department", "south-sales", stdout=out
    )

    assert "Checked (dry run, nothing written)" in out.getvalue()
    assert "created 1" in out.getvalue()
    assert not Customer.objects.exists()


def test_import_orders_command(tmp_path, department_a):
    CustomerFactory(department=department_a, mobile="+8613812345678")
    path = tmp_path / "orders.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["订单号", "手机", "下单时间", "商品", "数量", "单价"],
                ["SO1", "13812345678", "2024-01-05", "咖啡豆", "2", "49.5"],
                ["SO1", "13812345678", "2024-01-05", "马克杯", "1", "30"],
            ]
        )
    )
    out = io.StringIO()

    call_command("import_orders", str(path), stdout=out)

    assert "created 2" in out.getvalue()
    order = Order.objects.get()
    assert (str(order.amount), order.lines.count()) == ("129.00", 2)
