"""Reads for the import screens and API: jobs and presets within the user's scope, and the
stored preview as a table masked for the viewer."""

from itertools import islice

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from carecrm.channels import CONSENT_CHANNELS
from carecrm.core.keyset import SortKey
from carecrm.core.scoping import visible_to
from customers.models import (
    Channel,
    CustomerKind,
    Gender,
    ImportJob,
    ImportPreset,
    ImportRejection,
    Source,
)
from customers.privacy import can_see_pii, mask_email, mask_phone, mask_street
from customers.services.importing_fields import FIELDS
from customers.services.importing_files import open_table
from customers.services.importing_values import cell_text

MASKED_PREVIEW_FIELDS = {
    "mobile": mask_phone,
    "customer_mobile": mask_phone,
    "email": mask_email,
    "customer_email": mask_email,
    "street": mask_street,
}


CHOICE_LABELS = {
    "gender": Gender,
    "source": Source,
    "kind": CustomerKind,
    "preferred_channel": Channel,
}


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


# Rejected rows are read in file order, a keyset page at a time along the index on
# (job, row_number, id); the job's ``rejected_count`` is their count.
REJECTION_ORDER = SortKey("row_number")


def import_rejections(job: ImportJob) -> QuerySet[ImportRejection]:
    """The rejected rows of a job the caller has already checked the user may see."""
    return job.rejections.order_by("row_number", "pk")


def can_download_rejected_rows(user, job: ImportJob) -> bool:
    """The rejected rows hold the file's raw contact details: the person who uploaded it
    and those who may see unmasked personal data can download them."""
    return job.created_by_id == user.pk or can_see_pii(user)


def import_file_sample(job: ImportJob, *, rows: int = 3) -> tuple[list[str], list[list[str]]]:
    """The file's columns and, per column, its first few values (for the mapping page,
    which only the person who uploaded the file opens)."""
    with job.file.open("rb") as handle:
        table = open_table(handle, name=job.original_name)
        first = [cells for _number, cells in islice(table.rows, rows)]
    samples = [
        [cell_text(cells[index]) if index < len(cells) else "" for cells in first]
        for index in range(len(table.columns))
    ]
    return table.columns, samples


def import_preview(job: ImportJob, user) -> dict:
    """The stored preview of a job as a table, masked for users without the PII permission
    (PIPL art. 51, as everywhere else a phone, email or address is shown)."""
    fields = FIELDS[job.kind]
    present = {key for entry in job.preview for key in entry.get("values", {})}
    keys = [key for key in fields if key in present]
    unmasked = can_see_pii(user)
    actions = {"create": _("New"), "update": _("Update"), "skip": _("Skip")}
    rows = []
    for entry in job.preview:
        cells = []
        for key in keys:
            value = entry["values"].get(key, "")
            if value is True or value is False:
                value = _("Yes") if value else _("No")
            elif key in CHOICE_LABELS and value:
                value = dict(CHOICE_LABELS[key].choices).get(value, value)
            elif key in MASKED_PREVIEW_FIELDS and not unmasked:
                value = MASKED_PREVIEW_FIELDS[key](str(value))
            cells.append(value)
        rows.append(
            {
                "row": entry["row"],
                "action": entry["action"],
                "action_label": actions.get(entry["action"], ""),
                "cells": cells,
            }
        )
    return {"headers": [fields[key].label for key in keys], "rows": rows, "masked": not unmasked}


def import_reach(job: ImportJob) -> dict:
    """Per channel, the rows of a customer import nobody could reach afterwards, as the
    sentences the result page shows ("SMS: 1,204 rows cannot be reached (not asked 1,180,
    refused 24)"), and whether to suggest a consent basis or column."""
    lines = []
    not_asked_total = 0
    for channel in CONSENT_CHANNELS:
        counts = (job.reach or {}).get(channel.value, {})
        not_asked = counts.get("not_asked", 0)
        refused = counts.get("refused", 0)
        no_address = counts.get("no_address", 0)
        total = not_asked + refused + no_address
        not_asked_total += not_asked
        if not total:
            continue
        parts = [
            text % {"count": intcomma(count)}
            for text, count in (
                (_("not asked %(count)s"), not_asked),
                (_("refused %(count)s"), refused),
                (_("no number or address %(count)s"), no_address),
            )
            if count
        ]
        head = ngettext(
            "%(channel)s: %(count)s row cannot be reached",
            "%(channel)s: %(count)s rows cannot be reached",
            total,
        ) % {
            "channel": channel.label,
            "count": intcomma(total),
        }
        lines.append(
            {
                "channel": channel.value,
                "total": total,
                "not_asked": not_asked,
                "refused": refused,
                "no_address": no_address,
                "text": _("%(head)s (%(parts)s)") % {"head": head, "parts": _(", ").join(parts)},
            }
        )
    return {"lines": lines, "suggest_basis": not_asked_total > 0}
