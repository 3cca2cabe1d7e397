"""A customer import whose process is killed (SIGKILL, no cleanup) resumes where it
stopped: when it is run again every row is imported exactly once, with its tags, consents
and audit entry, and the counters add up. The killed process is real and writes to the
test database, so this runs on PostgreSQL (the SQLite suite gives a child process a copy of
the database, where its writes could not be seen)."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.db.models import Count

from carecrm.core.models import AuditAction, AuditEntry
from carecrm.core.testing import BASE_DIR, base_env, worker_database_url
from customers.models import ChannelConsent, Customer, ImportJob, ImportStatus
from customers.services.importing import import_job_create, import_job_run
from customers.tests.import_files import csv_bytes

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the killed process needs a shared database"
    ),
]

ROWS = 4000
CHUNK = 100

CHILD = """
import sys, django
django.setup()
from customers.services import importing
from customers.models import ImportJob
importing.CHUNK_ROWS = int(sys.argv[2])
importing.import_job_run(job=ImportJob.objects.get(pk=int(sys.argv[1])))
"""


def _file() -> bytes:
    rows = [["姓名", "手机号", "邮箱", "标签", "同意短信"]]
    for number in range(ROWS):
        rows.append(
            [
                f"客户{number}",
                f"139{number:08d}",
                f"killed{number}@example.cn",
                "老客户,咖啡" if number % 3 == 0 else "",
                "是" if number % 2 == 0 else "",
            ]
        )
    return csv_bytes(rows)


def _run_until_killed(job: ImportJob, tmp_path, settings) -> int:
    """Run the job in a child process and SIGKILL it once some chunks have committed;
    how many rows had been committed just before."""
    env = base_env(tmp_path, worker_database_url(tmp_path), MEDIA_ROOT=str(settings.MEDIA_ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(job.pk), str(CHUNK)],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and child.poll() is None:
            processed = ImportJob.objects.values_list("processed_rows", flat=True).get(pk=job.pk)
            if processed >= 5 * CHUNK:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
                _wait_for_its_session_to_end()
                return processed
            time.sleep(0.02)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    pytest.fail(
        "the import finished or stalled before it could be killed:\n" + str(child.stdout.read())
    )


def _wait_for_its_session_to_end() -> None:
    """PostgreSQL notices a killed client a moment later; its session would otherwise
    still be open when the test database is dropped."""
    with connection.cursor() as cursor:
        for _attempt in range(200):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if not cursor.fetchone()[0]:
                return
            time.sleep(0.05)


def test_a_killed_import_resumes_with_no_row_lost_or_doubled(staff_a, tmp_path, settings):
    job = import_job_create(
        user=staff_a, file=ContentFile(_file(), name="big.csv"), kind="customers", queue=False
    )

    _run_until_killed(job, tmp_path, settings)

    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING  # nobody got to say otherwise
    assert 0 < job.processed_rows < ROWS
    # What committed is whole chunks, and the counters say exactly that.
    assert job.processed_rows % CHUNK == 0
    assert Customer.objects.count() == job.created_count == job.processed_rows

    # The task delivered again, here with the default chunk size (5,000 rows), as after a
    # deploy that changed it: the rows past the checkpoint are still imported.
    result = import_job_run(job=job)

    assert (result.status, result.created, result.rejected) == (ImportStatus.DONE, ROWS, 0)
    assert Customer.objects.count() == ROWS
    assert not Customer.objects.values("mobile").annotate(n=Count("id")).filter(n__gt=1).exists()
    audited = AuditEntry.objects.filter(action=AuditAction.IMPORT, detail__import_job=job.pk)
    assert audited.count() == ROWS
    assert audited.values("customer_id").distinct().count() == ROWS
    tagged = Customer.tags.through.objects.filter(customer__mobile__startswith="+86139")
    assert tagged.count() == 2 * len(range(0, ROWS, 3))
    assert ChannelConsent.objects.filter(granted=True).count() == ROWS // 2
