"""Import files as an attacker writes them (issue 13, findings 1–3): a zip bomb, thousands
of identical headers, a header line of megabytes, a gigabyte upload. Each is refused with a
message saying why, before the work it would cause."""

import io
import time
import tracemalloc
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from openpyxl import Workbook

from customers.models import Customer, ImportJob
from customers.services.importing import import_job_create
from customers.services.importing_files import column_keys
from customers.tests.import_files import csv_bytes, run_import

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def workbook_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bomb_xlsx(*, inflated_bytes: int) -> bytes:
    """A valid workbook whose sharedStrings.xml inflates to ``inflated_bytes`` of one
    repeated letter; written in 1 MB pieces so building it stays light."""
    honest = zipfile.ZipFile(io.BytesIO(workbook_bytes([["姓名", "手机号"], ["张三", "x"]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for member in honest.infolist():
            if member.filename != "xl/sharedStrings.xml":
                archive.writestr(member, honest.read(member))
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
            strings.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/')
            strings.write(b'2006/main" count="1" uniqueCount="1"><si><t>')
            piece = b"a" * MB
            for _ in range(inflated_bytes // MB):
                strings.write(piece)
            strings.write(b"</t></si></sst>")
    return buffer.getvalue()


def create(user, content: bytes, name: str) -> ImportJob:
    return import_job_create(
        user=user, file=ContentFile(content, name=name), kind="customers", queue=False
    )


# --- finding 1: XLSX zip bomb ----------------------------------------------------------------


def test_a_zip_bomb_xlsx_is_refused_before_anything_is_inflated(staff_a):
    bomb = zip_bomb_xlsx(inflated_bytes=100 * MB)
    assert len(bomb) < MB

    tracemalloc.start()
    try:
        with pytest.raises(ValidationError) as refusal:
            create(staff_a, bomb, "customers.xlsx")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert "looks like a zip bomb: xl/sharedStrings.xml expands more than 100 times" in str(
        refusal.value
    )
    assert peak < 10 * MB
    assert not ImportJob.objects.exists()


def test_an_xlsx_expanding_past_the_limit_is_refused_with_both_sizes(staff_a, settings):
    settings.IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES = 1 * MB
    rows = [["姓名", "手机号"]] + [[f"客户{n:06d}" * 8, f"1381234{n:04d}"] for n in range(10_000)]

    with pytest.raises(ValidationError) as refusal:
        create(staff_a, workbook_bytes(rows), "customers.xlsx")

    assert "expands to" in str(refusal.value)
    assert "more than 1 MB" in str(refusal.value)


def test_an_xlsx_with_a_path_leaving_the_archive_is_refused(staff_a):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("../../etc/cron.d/evil", "* * * * * root true")

    with pytest.raises(ValidationError) as refusal:
        create(staff_a, buffer.getvalue(), "customers.xlsx")

    assert "unexpected path: ../../etc/cron.d/evil" in str(refusal.value)


def test_an_honest_xlsx_is_still_imported(staff_a):
    content = workbook_bytes([["姓名", "手机号"], ["张三", "13812345678"], ["李四", "=1+1"]])

    result = run_import(staff_a, content, name="customers.xlsx")

    assert (result.created, result.rejected) == (1, 1)


# --- finding 2: headers ----------------------------------------------------------------------


def test_two_thousand_identical_headers_are_refused_before_any_row_is_read(staff_a):
    header = ",".join(["a"] * 2000)
    # A second line that would fail to parse proves no data row was looked at.
    content = (header + "\n" + '"unterminated\n').encode()
    started = time.monotonic()

    with pytest.raises(ValidationError) as refusal:
        create(staff_a, content, "customers.csv")

    assert "The header row has 2000 columns; at most 200 are allowed." in str(refusal.value)
    assert time.monotonic() - started < 5
    assert not ImportJob.objects.exists()


def test_a_header_line_of_megabytes_is_refused_without_splitting_it(staff_a):
    content = ("a," * (2 * MB)).encode()
    started = time.monotonic()

    with pytest.raises(ValidationError) as refusal:
        create(staff_a, content, "customers.csv")

    assert "The first line is longer than 65536 characters" in str(refusal.value)
    assert time.monotonic() - started < 5


def test_the_api_refuses_two_thousand_identical_headers_with_a_400(staff_a, api_client_for):
    upload = ContentFile(",".join(["a"] * 2000).encode() + b"\n1\n", name="customers.csv")

    response = api_client_for(staff_a).post(
        "/api/v1/imports/", {"file": upload}, format="multipart"
    )

    assert response.status_code == 400
    assert "2000 columns; at most 200" in " ".join(response.json()["file"])


def test_repeated_headers_still_get_numbered_copies_in_file_order():
    assert column_keys(["a", "a (2)", "a", "", "a", None]) == [
        "a",
        "a (2)",
        "a (3)",
        "Column D",
        "a (4)",
    ]
    assert column_keys(["a"] * 200)[-1] == "a (200)"


def test_a_row_with_a_cell_longer_than_any_spreadsheet_cell_is_rejected_with_its_column(
    staff_a,
):
    content = csv_bytes(
        [
            ["姓名", "手机号", "备注来源"],
            ["张三", "13812345678", "x" * 40_000],
            ["李四", "13912345678", "ok"],
        ]
    )

    result = run_import(staff_a, content)

    assert (result.created, result.rejected) == (1, 1)
    job = ImportJob.objects.get()
    rejection = job.rejections.get()
    assert rejection.row_number == 2
    assert rejection.reason == "Column 备注来源 holds more than 32767 characters"
    assert Customer.objects.get().name == "李四"


# --- finding 3: size -------------------------------------------------------------------------


class GigabyteUpload(io.RawIOBase):
    """An upload that says it is 1 GB and fails the test if anything reads it."""

    size = 1024 * MB
    name = "customers.csv"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise AssertionError("the upload was read although its size is over the limit")


def test_a_file_over_the_limit_is_refused_by_its_size_without_being_read(staff_a):
    with pytest.raises(ValidationError) as refusal:
        import_job_create(
            user=staff_a,
            file=File(GigabyteUpload(), name="customers.csv"),
            kind="customers",
            queue=False,
        )

    assert "The file is larger than 50 MB; split it into several files." in str(refusal.value)


@pytest.mark.parametrize("url", ["/customers/imports/new/", "/api/v1/imports/"])
def test_a_request_declaring_a_gigabyte_body_gets_413_before_it_is_read(staff_a_client, url):
    response = staff_a_client.generic(
        "POST",
        url,
        data=b"--x--",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(1024 * MB),
    )

    assert response.status_code == 413
    assert "larger than 50 MB" in response.content.decode()


def test_a_nul_in_a_csv_cell_is_dropped_and_the_row_accounted_for(staff_a):
    """Found by the property test on PostgreSQL, which cannot store a NUL anywhere."""
    data = "姓名,手机号\r\n张\x00三,13912345678\r\n王五,\x00\r\n".encode()

    result = run_import(staff_a, data, name="nul.csv")

    assert result.status == "done"
    assert Customer.objects.filter(name="张三").exists()
    assert result.created + result.updated + result.skipped + result.rejected == 2
