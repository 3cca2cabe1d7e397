"""Property tests: whatever an import file holds — any of the accepted encodings, extra
columns with any names, formula-looking or control characters, huge cells — the import
never crashes, accounts for every data row and runs nothing a cell says."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from customers.models import Customer, ImportJob
from customers.tests.import_files import run_import

pytestmark = pytest.mark.django_db

ALPHABET = (
    "abcxyz019 ,;|\t\"'\r\n"  # delimiters, quotes and line breaks inside cells
    "\x00\x01\x07\x0b\x1b\x7f\u200b\ufeff\u3000"  # control and invisible characters
    "张王李伟芳手机号邮箱客户备注，。"
    "😀"
)
FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", '=HYPERLINK("http://x")']
HEADER_NAMES = ["邮箱", "生日", "城市", "标签", "备注", "email", "notes", "a", "a", ""]

cell = st.one_of(
    st.text(ALPHABET, max_size=12),
    st.sampled_from(FORMULAS),
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.just("x" * 40_000),  # longer than any spreadsheet cell
)


@st.composite
def import_files(draw):
    extra = draw(st.lists(st.one_of(st.sampled_from(HEADER_NAMES), st.text(ALPHABET)), max_size=5))
    header = ["姓名", "手机号", *extra]
    order = draw(st.permutations(range(len(header))))
    rows = draw(
        st.lists(st.lists(cell, min_size=len(header), max_size=len(header) + 1), max_size=12)
    )
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for cells in [header, *rows]:
        writer.writerow([cells[index] for index in order] + cells[len(header) :])
    data_rows = sum(1 for cells in rows if "".join(cells).strip())
    return buffer.getvalue().encode(encoding), data_rows


@settings(
    max_examples=50,
    deadline=None,
    # The same examples on every run, so CI is repeatable; to hunt for new failures,
    # run it locally without derandomize (a random draw found the NUL-byte bug).
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(file=import_files(), dry_run=st.booleans())
def test_every_data_row_of_any_file_is_imported_or_reported_and_nothing_runs(
    staff_a, file, dry_run
):
    content, data_rows = file
    try:
        result = run_import(staff_a, content, dry_run=dry_run)
    except ValidationError as refusal:
        # A refusal of the whole file is allowed, but only with a message a user can act on.
        assert refusal.messages and all(refusal.messages)
        event("file refused as a whole")
        return

    assert result.status == "done", result.failure
    counted = result.created + result.updated + result.skipped + result.rejected
    assert counted == data_rows
    job = ImportJob.objects.get(pk=result.job_id)
    assert job.rejections.count() == result.rejected
    # Formula-looking text is stored as text, and the rejected-rows report neutralises it.
    for name in Customer.objects.filter(name__startswith="=").values_list("name", flat=True):
        assert name in FORMULAS
    if job.error_report:
        with job.error_report.open("rb") as report:
            for cells in csv.reader(io.StringIO(report.read().decode("utf-8-sig"))):
                assert not any(text.startswith(("=", "+", "-", "@")) for text in cells)
