"""Celery tasks: customer and order imports."""

from celery import shared_task

from customers.models import ImportJob
from customers.services.importing import IMPORT_TASK_NAME, import_job_run

__all__ = ["import_run"]


@shared_task(name=IMPORT_TASK_NAME)
def import_run(job_id: int) -> dict:
    """Run one import job. Safe to deliver twice: a finished job is not run again, and a
    running one resumes after its last committed chunk (see ``services.importing``)."""

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return {"job": job_id, "status": "missing"}
    result = import_job_run(job=job)
    return {
        "job": job_id,
        "status": result.status,
        "created": result.created,
        "updated": result.updated,
        "skipped": result.skipped,
        "rejected": result.rejected,
    }
