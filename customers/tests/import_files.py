"""Helpers shared by the import tests: files built in the test and a synchronous run."""

import csv
import io

from django.core.files.base import ContentFile

from customers.services.importing import ImportResult, import_job_create, import_job_run


def csv_bytes(rows: list[list], *, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def run_import(
    user, content: bytes, *, name="customers.csv", kind="customers", **options
) -> ImportResult:
    """Create the job and run it here, as the shell commands do."""
    job = import_job_create(
        user=user, file=ContentFile(content, name=name), kind=kind, queue=False, **options
    )
    return import_job_run(job=job)
