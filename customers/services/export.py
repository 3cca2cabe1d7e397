"""Export of customers to CSV and XLSX (care programme: every export is audited).

Rules that hold for every export:
- only users with ``customers.export_customer``, and at most ``CUSTOMER_EXPORTS_PER_HOUR``
  exports per user per hour (default 10), against scripted bulk harvesting;
- phone, email and street are masked for users without ``view_customer_pii``;
- every text cell that a spreadsheet would run as a formula (= + - @ tab CR at the start)
  gets a leading apostrophe (OWASP "CSV injection");
- one ``export`` audit entry per customer, written in bulk as each chunk is read;
- rows are streamed with ``.iterator(chunk_size=…)``, never loaded all at once.
"""

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from carecrm.core.audit import audit_record_many
from carecrm.core.models import AuditAction
from carecrm.spreadsheet import neutralise_cell
from customers.models import Customer
from customers.privacy import customer_contact_view

EXPORT_PERMISSION = "customers.export_customer"
DEFAULT_EXPORTS_PER_HOUR = 10
CHUNK_SIZE = 2000
XLSX_MAX_ROWS = 1_048_575  # one sheet holds 1,048,576 rows, the first is the header


class ExportLimitExceeded(ValidationError):
    """The user has used up this hour's exports."""


def exports_per_hour() -> int:
    return int(getattr(settings, "CUSTOMER_EXPORTS_PER_HOUR", DEFAULT_EXPORTS_PER_HOUR))


def export_quota_take(*, user) -> None:
    """Count one export against the user's hourly allowance (a fixed clock-hour window in
    the shared cache, so it holds across web workers); raise when it is used up."""
    limit = exports_per_hour()
    now = timezone.now()
    window_start = now.replace(minute=0, second=0, microsecond=0)
    key = f"customers:exports:{user.pk}:{window_start:%Y%m%d%H}"
    cache.add(key, 0, timeout=3600 + 60)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600 + 60)
        used = 1
    if used > limit:
        retry_at = timezone.localtime(window_start + dt.timedelta(hours=1))
        raise ExportLimitExceeded(
            _(
                "You have reached the limit of %(limit)d customer exports per hour. "
                "You can export again after %(time)s."
            )
            % {"limit": limit, "time": formats.time_format(retry_at, "H:i")},
            code="export_limit",
        )


def _require_export_permission(user) -> None:
    if not user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied(_("You may not export customers."))


Column = tuple[str, Callable[[Customer, dict], Any]]


def export_columns() -> list[Column]:
    """The exported columns, headed in the user's language."""
    return [
        (_("ID"), lambda c, contact: c.pk),
        (_("Name"), lambda c, contact: c.name),
        (_("Customer kind"), lambda c, contact: c.get_kind_display()),
        (_("Mobile phone"), lambda c, contact: contact["mobile"]),
        (_("Email"), lambda c, contact: contact["email"]),
        (_("Province"), lambda c, contact: c.province),
        (_("City"), lambda c, contact: c.city),
        (_("District"), lambda c, contact: c.district),
        (_("Street address"), lambda c, contact: contact["street"]),
        (_("Gender"), lambda c, contact: c.get_gender_display() if c.gender else ""),
        (_("Birthday"), lambda c, contact: c.birthday),
        (_("Registration date"), lambda c, contact: c.registered_on),
        (_("Source"), lambda c, contact: c.get_source_display()),
        (_("Industry"), lambda c, contact: c.industry),
        (_("Region"), lambda c, contact: c.region),
        (_("Department"), lambda c, contact: str(c.department)),
        (
            _("Relationship manager"),
            lambda c, contact: str(c.relationship_manager) if c.relationship_manager else "",
        ),
        (_("Value tier"), lambda c, contact: c.get_value_tier_display() if c.value_tier else ""),
        (_("VIP level"), lambda c, contact: c.get_vip_level_display()),
        (
            _("Lifecycle"),
            lambda c, contact: c.get_lifecycle_stage_display() if c.lifecycle_stage else "",
        ),
        (_("Total spend (CNY)"), lambda c, contact: c.total_spend),
        (_("Purchases"), lambda c, contact: c.purchase_count),
        (_("Last purchase"), lambda c, contact: c.last_purchase_on),
        (_("Tags"), lambda c, contact: ", ".join(tag.name for tag in c.tags.all())),
        (_("Status"), lambda c, contact: c.get_status_display()),
    ]


def _row_batches(
    *, customers: QuerySet[Customer], user, file_format: str, request=None
) -> Iterator[list[list]]:
    """Raw rows in batches of ``CHUNK_SIZE``; each batch is audited before it is handed
    out. Callers format the values and then neutralise them (formatting last could undo it).
    """
    columns = export_columns()
    queryset = (
        customers.select_related("department", "relationship_manager")
        .prefetch_related("tags")
        .order_by("pk")
    )
    batch: list[Customer] = []

    def emit(chunk: list[Customer]) -> list[list]:
        audit_record_many(
            actor=user,
            action=AuditAction.EXPORT,
            customer_ids=[customer.pk for customer in chunk],
            detail={"format": file_format},
            request=request,
        )
        rows = []
        for customer in chunk:
            contact = customer_contact_view(customer, user)
            rows.append([get(customer, contact) for _header, get in columns])
        return rows

    for customer in queryset.iterator(chunk_size=CHUNK_SIZE):
        batch.append(customer)
        if len(batch) == CHUNK_SIZE:
            yield emit(batch)
            batch = []
    if batch:
        yield emit(batch)


class _Echo:
    """A file-like object that hands back what ``csv.writer`` writes (Django docs)."""

    def write(self, value: str) -> str:
        return value


def _csv_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def customer_export_csv(*, customers: QuerySet[Customer], user, request=None) -> Iterator[str]:
    """CSV text in pieces for a ``StreamingHttpResponse``: UTF-8 with a byte-order mark so
    Excel opens Chinese text correctly."""
    _require_export_permission(user)
    writer = csv.writer(_Echo())
    headers = [neutralise_cell(header) for header, _get in export_columns()]
    yield "\ufeff" + writer.writerow(headers)
    for rows in _row_batches(customers=customers, user=user, file_format="csv", request=request):
        yield "".join(
            writer.writerow([neutralise_cell(_csv_value(value)) for value in row]) for row in rows
        )


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def customer_export_xlsx(*, customers: QuerySet[Customer], user, request=None) -> IO[bytes]:
    """An XLSX workbook built with openpyxl's write-only mode (constant memory per row),
    spooled to a temporary file; the caller sends and closes it."""
    _require_export_permission(user)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Customers")[:31])
    sheet.append([header for header, _get in export_columns()])
    for rows in _row_batches(customers=customers, user=user, file_format="xlsx", request=request):
        for row in rows:
            sheet.append([neutralise_cell(_xlsx_value(value)) for value in row])
    # Handed to FileResponse, which closes it when the download has been sent.
    handle = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return handle


def customer_export_too_large_for_xlsx(customers: QuerySet[Customer]) -> bool:
    return customers.order_by()[XLSX_MAX_ROWS : XLSX_MAX_ROWS + 1].exists()
