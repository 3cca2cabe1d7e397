"""Saved segments: create, change, delete, count and export."""

import csv
import tempfile
from collections.abc import Iterator
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecrm.core.audit import audit_record_many
from carecrm.core.models import AuditAction
from carecrm.core.scoping import visible_to
from carecrm.spreadsheet import neutralise_cell, spreadsheet_text
from customers.models import StaticList
from customers.privacy import can_see_pii, customer_contact_view
from segmentation.models import Segment, SegmentKind
from segmentation.rules import referenced_ids, validate_rules
from segmentation.selectors import segment_customers

EXPORT_PERMISSION = "customers.export_customer"


def _check_department(*, user, department) -> None:
    if user.is_admin_role:
        return
    if department is None or department.pk != user.department_id:
        raise PermissionDenied(_("You may only keep segments for your own department."))


def _check_static_list(*, user, static_list: StaticList | None) -> None:
    if (
        static_list is not None
        and not visible_to(user, StaticList.objects.filter(pk=static_list.pk)).exists()
    ):
        raise PermissionDenied(_("You cannot use this static list."))


@transaction.atomic
def segment_save(
    *,
    user,
    name: str,
    kind: str,
    department,
    rules: dict | None = None,
    static_list: StaticList | None = None,
    description: str = "",
    segment: Segment | None = None,
) -> Segment:
    """Create or change a segment. Rules are validated (and normalised) here so every path —
    pages, API, scripts — stores only rules that compile."""
    _check_department(user=user, department=department)
    segment = segment or Segment(created_by=user)
    segment.name = name.strip()
    segment.description = description
    segment.kind = kind
    segment.department = department
    if kind == SegmentKind.STATIC:
        if static_list is None:
            raise ValidationError({"static_list": _("Choose the static list this segment wraps.")})
        _check_static_list(user=user, static_list=static_list)
        segment.static_list, segment.rules = static_list, {}
    else:
        segment.static_list = None
        segment.rules = validate_rules(rules or {})
        list_ids = referenced_ids(segment.rules, "static_list")
        visible = visible_to(user, StaticList.objects.filter(pk__in=list_ids)).count()
        if visible != len(list_ids):
            raise PermissionDenied(_("You cannot use this static list."))
    segment.full_clean(exclude=["created_by"], validate_constraints=False)
    try:
        with transaction.atomic():
            segment.save()
    except IntegrityError as exc:
        raise ValidationError({"name": _("A segment with this name already exists.")}) from exc
    return segment


@transaction.atomic
def segment_delete(*, segment: Segment, user) -> None:
    _check_department(user=user, department=segment.department)
    segment.delete()


def segment_count(*, segment: Segment, user) -> int:
    """Members the user can see now; remembered on the segment for the list page."""
    count = segment_customers(segment, user=user).count()
    Segment.objects.filter(pk=segment.pk).update(last_count=count, last_counted_at=timezone.now())
    return count


def segment_count_remember(*, segment: Segment, count: int) -> None:
    """A count a page came by for free (a short segment): remembered for the list page,
    written only when it changed."""
    if segment.last_count != count:
        Segment.objects.filter(pk=segment.pk).update(
            last_count=count, last_counted_at=timezone.now()
        )


class _Echo:
    def write(self, value: str) -> str:
        return value


EXPORT_HEADER = (
    "id",
    "name",
    "mobile",
    "email",
    "province",
    "city",
    "region",
    "industry",
    "value_tier",
    "vip_level",
    "lifecycle_stage",
    "rfm_segment",
    "rfm_recency",
    "rfm_frequency",
    "rfm_monetary",
    "loyalty_score",
    "spend_12m",
    "purchase_count_12m",
    "last_purchase_on",
)


def _audited_members(*, segment: Segment, user, request, file_format: str):
    """The members ``user`` may export (permission checked, export audited one row per
    customer now) and whether their contacts go out unmasked."""
    if not user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied(_("You may not export customers."))
    members = segment_customers(segment, user=user).order_by("pk")
    unmasked = can_see_pii(user)
    audit_record_many(
        actor=user,
        action=AuditAction.PII_EXPORT if unmasked else AuditAction.EXPORT,
        customer_ids=members.values_list("pk", flat=True).iterator(chunk_size=5000),
        detail={
            "segment": segment.pk,
            "name": segment.name,
            "masked": not unmasked,
            "format": file_format,
        },
        request=request,
    )
    return members, unmasked


def segment_export(*, segment: Segment, user, request=None) -> Iterator[str]:
    """CSV lines of the segment's members as ``user`` may see them (masked without the
    personal-data permission). Permission is checked and the export audited (one row per
    customer) now, before any line is produced."""
    members, unmasked = _audited_members(
        segment=segment, user=user, request=request, file_format="csv"
    )
    return _export_lines(members, user, unmasked=unmasked)


def segment_export_xlsx(*, segment: Segment, user, request=None) -> IO[bytes]:
    """The same rows as :func:`segment_export` in an Excel workbook (openpyxl write-only,
    spooled to a temporary file the caller sends and closes)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    members, unmasked = _audited_members(
        segment=segment, user=user, request=request, file_format="xlsx"
    )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Customers")[:31])
    sheet.append(list(EXPORT_HEADER))
    for row in _export_rows(members, user, unmasked=unmasked):
        sheet.append(
            [
                neutralise_cell(ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v)
                for v in row
            ]
        )
    handle = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return handle


def _export_rows(members, user, *, unmasked: bool) -> Iterator[list]:
    for customer in members.iterator(chunk_size=2000):
        # Unmasked exports carry E.164 numbers (for other systems); masked ones the mask.
        contact = (
            {"mobile": customer.mobile, "email": customer.email}
            if unmasked
            else customer_contact_view(customer, user)
        )
        yield [
            customer.pk,
            customer.name,
            contact["mobile"],
            contact["email"],
            customer.province,
            customer.city,
            customer.region,
            customer.industry,
            customer.value_tier,
            customer.vip_level,
            customer.lifecycle_stage,
            customer.rfm_segment,
            customer.rfm_recency,
            customer.rfm_frequency,
            customer.rfm_monetary,
            customer.loyalty_score,
            customer.spend_12m,
            customer.purchase_count_12m,
            customer.last_purchase_on,
        ]


def _export_lines(members, user, *, unmasked: bool) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(EXPORT_HEADER)
    for row in _export_rows(members, user, unmasked=unmasked):
        yield writer.writerow([spreadsheet_text(value) for value in row])
