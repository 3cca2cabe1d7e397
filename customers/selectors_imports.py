"""Reads for the import screens and API: jobs and presets within the user's scope."""

from django.db.models import QuerySet

from carecrm.core.scoping import visible_to
from customers.models import ImportJob, ImportPreset, ImportRejection


def visible_import_jobs(user, *, kind: str = "", status: str = "") -> QuerySet[ImportJob]:
    jobs = ImportJob.objects.select_related("department", "created_by")
    if kind:
        jobs = jobs.filter(kind=kind)
    if status:
        jobs = jobs.filter(status=status)
    return visible_to(user, jobs).order_by("-created_at", "-pk")


def visible_import_presets(user, *, kind: str = "") -> QuerySet[ImportPreset]:
    presets = ImportPreset.objects.select_related("department")
    if kind:
        presets = presets.filter(kind=kind)
    return visible_to(user, presets).order_by("kind", "name")


def import_rejections(job: ImportJob, *, limit: int = 50) -> QuerySet[ImportRejection]:
    """The first rejected rows of a job the caller has already checked the user may see."""
    return job.rejections.order_by("row_number")[:limit]


def can_download_rejected_rows(user, job: ImportJob) -> bool:
    """The rejected rows hold the file's raw contact details: the person who uploaded it
    and those who may see unmasked personal data can download them."""
    from customers.privacy import can_see_pii

    return job.created_by_id == user.pk or can_see_pii(user)
