"""Importing customers and orders from CSV/XLSX files (care programme §1: bulk import with
validation and de-duplication is a core path).

A job moves draft → pending → running → done (or failed). Rows are processed in chunks;
each chunk's writes, its rejected rows and the job's counters and checkpoint
(``processed_rows``) commit in one transaction while the job row is locked. So a row is
either imported or in the error report, never half of it; a job resumed after a crash
continues after its last committed chunk; and two workers running the same job cannot
import a chunk twice. Every data row ends up counted once:
created + updated + skipped + rejected == rows.
"""

import csv
import io
import logging
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import closing
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecrm.accounts.models import Department
from carecrm.core.dispatch import task_enqueue
from carecrm.core.scoping import department_choices_for, scope_filter, visible_to
from carecrm.spreadsheet import spreadsheet_text
from customers.models import (
    Customer,
    ExistingCustomerMode,
    ImportJob,
    ImportKind,
    ImportPreset,
    ImportRejection,
    ImportStatus,
)
from customers.services.importing_consent import (
    ConsentBasis,
    consent_basis_check,
    import_consent_basis_record,
    reach_merge,
)
from customers.services.importing_fields import missing_fields, resolve_mapping
from customers.services.importing_files import ImportFileError, Table, open_table
from customers.services.importing_values import cell_text

logger = logging.getLogger(__name__)

# The Celery task that runs a job (customers/tasks/importing.py), queued by name.
IMPORT_TASK_NAME = "customers.import_run"

CHUNK_ROWS = 5000
# A chunk also ends once its cells hold this many characters, so a file of wide rows
# (long notes, 200 columns) is not held 5,000 rows at a time either.
CHUNK_CHARS = 2_000_000
PREVIEW_ROWS = 20
FINISHED = (ImportStatus.DONE, ImportStatus.FAILED)

SKIP_REASONS = {
    "duplicate_in_file": gettext_lazy("Repeats an earlier row of the file"),
    "existing": gettext_lazy("Customer already exists (existing customers are skipped)"),
    "unchanged": gettext_lazy("No changes"),
    "order_exists": gettext_lazy("Order already imported"),
}


@dataclass
class ImportResult:
    """What became of a job's rows (also for a dry run, where nothing was written)."""

    job_id: int
    status: str
    dry_run: bool
    total: int
    created: int
    updated: int
    skipped: int
    rejected: int
    skipped_reasons: dict[str, int]
    preview: list[dict]
    error_report: str
    failure: str = ""

    @classmethod
    def of(cls, job: ImportJob) -> "ImportResult":
        return cls(
            job_id=job.pk,
            status=job.status,
            dry_run=job.dry_run,
            total=job.total_rows,
            created=job.created_count,
            updated=job.updated_count,
            skipped=job.skipped_count,
            rejected=job.rejected_count,
            skipped_reasons=dict(job.skipped_reasons),
            preview=list(job.preview),
            error_report=job.error_report.name if job.error_report else "",
            failure=job.failure,
        )

    @property
    def accounted(self) -> int:
        return self.created + self.updated + self.skipped + self.rejected


@dataclass
class ChunkOutcome:
    """What one chunk did; the runner adds it to the job in the chunk's transaction."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: Counter = field(default_factory=Counter)
    rejections: list[ImportRejection] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    reach: Counter = field(default_factory=Counter)  # importing_consent.reach_count
    after_commit: Callable[[], None] | None = None

    def reject(self, job: ImportJob, number: int, cells: list, reason: str) -> None:
        self.rejections.append(
            ImportRejection(
                job=job, row_number=number, cells=[cell_text(c) for c in cells], reason=reason
            )
        )


@dataclass
class ImportScope:
    """Who the job runs for: the user who started it, or — for a shell import without
    ``--user`` — the job's department, as if a manager of that department ran it."""

    user: object | None
    department_id: int

    def customer_filter(self) -> Q | None:
        """Customers this job may update or attach orders to (``None``: all)."""
        if self.user is None:
            return Q(department_id=self.department_id)
        return scope_filter(self.user, Customer)


# --- creating and starting jobs -------------------------------------------------------------


def _check_permission(user, kind: str, existing_mode: str) -> None:
    if user is None:
        return
    needed = ["customers.add_importjob"]
    if kind == ImportKind.CUSTOMERS:
        needed.append("customers.add_customer")
        if existing_mode == ExistingCustomerMode.UPDATE:
            needed.append("customers.change_customer")
    else:
        needed.append("customers.add_order")
    if not user.has_perms(needed):
        raise PermissionDenied(_("You are not allowed to run this import."))


def _target_department(user, department: Department | None) -> Department:
    if user is None:
        if department is None:
            departments = list(Department.objects.all()[:2])
            if len(departments) != 1:
                raise ValidationError({"department": _("Choose the department to import into.")})
            return departments[0]
        return department
    if department is None:
        if user.department_id is None:
            raise ValidationError({"department": _("Choose the department to import into.")})
        department = user.department
    if not department_choices_for(user, Department.objects.all()).filter(pk=department.pk).exists():
        raise ValidationError(
            {
                "department": _("You cannot import into the department %(department)s.")
                % {"department": department}
            }
        )
    return department


def _check_size(file) -> None:
    """Refuse a file over ``IMPORT_MAX_BYTES`` by its declared size, before reading it."""
    size = getattr(file, "size", None)
    if size is None or size > settings.IMPORT_MAX_BYTES:
        raise ValidationError({"file": too_large_message()})


def too_large_message() -> str:
    return _("The file is larger than %(size)d MB; split it into several files.") % {
        "size": settings.IMPORT_MAX_BYTES // (1024 * 1024)
    }


def _read_columns(file, name: str) -> Table:
    _check_size(file)
    try:
        return open_table(file, name=name)
    except ImportFileError as exc:
        raise ValidationError({"file": str(exc)}) from exc


def _queue(job: ImportJob) -> None:
    task_enqueue(IMPORT_TASK_NAME, job.pk)


@transaction.atomic
def import_job_create(
    *,
    user,
    file,
    kind: str,
    mapping: dict | None = None,
    existing_mode: str = ExistingCustomerMode.UPDATE,
    dry_run: bool = False,
    department: Department | None = None,
    preset: ImportPreset | None = None,
    start: bool = True,
    queue: bool = True,
    consent_basis: ConsentBasis | None = None,
) -> ImportJob:
    """Store an uploaded file as an import job. With ``start`` the mapping (recognised
    headers, then the preset, then ``mapping``) must be complete and the job is queued for
    a worker after commit (``queue=False``: the caller runs it, as the shell commands do);
    without, the job waits as a draft for the mapping page. ``user`` ``None`` means a
    shell import acting for ``department``. ``consent_basis`` is recorded (and audited)
    with the job (see ``importing_consent``)."""
    kind = ImportKind(kind)
    existing_mode = ExistingCustomerMode(existing_mode)
    _check_permission(user, kind, existing_mode)
    department = _target_department(user, department)
    if consent_basis is not None:  # refused before the file is stored
        if kind != ImportKind.CUSTOMERS:
            raise ValidationError(_("A consent basis belongs to a customer import."))
        consent_basis_check(consent_basis)
    name = getattr(file, "name", "") or "import.csv"
    name = name.replace("\\", "/").rsplit("/", 1)[-1][:255]
    table = _read_columns(file, name)
    explicit: dict = {}
    if preset is not None:
        if preset.kind != kind:
            raise ValidationError({"preset": _("The preset is for another kind of import.")})
        explicit.update(
            {column: field for column, field in preset.mapping.items() if column in table.columns}
        )
    explicit.update(mapping or {})
    try:
        resolved = resolve_mapping(table.columns, kind, explicit)
    except ValidationError as exc:
        raise ValidationError({"mapping": exc.messages}) from exc
    problems = missing_fields(resolved, kind)
    if start and problems:
        raise ValidationError({"mapping": problems})
    job = ImportJob(
        kind=kind,
        original_name=name,
        mapping=resolved,
        existing_mode=existing_mode,
        dry_run=dry_run,
        department=department,
        status=ImportStatus.PENDING if start else ImportStatus.DRAFT,
        total_rows=table.estimated_rows,
        created_by=user,
    )
    file.seek(0)
    job.file.save(name, file, save=False)
    job.save()
    if consent_basis is not None:
        import_consent_basis_record(job=job, user=user, basis=consent_basis)
    if start and queue:
        _queue(job)
    return job


@transaction.atomic
def import_job_start(
    *, job: ImportJob, mapping: dict, user=None, consent_basis: ConsentBasis | None = None
) -> ImportJob:
    """Confirm a draft's column mapping — and, for customers, the file's consent basis
    (recorded and audited for ``user``) — and queue it."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.DRAFT:
        raise ValidationError(_("This import has already been started."))
    resolved = resolve_mapping(list(job.mapping), job.kind, mapping)
    problems = missing_fields(resolved, job.kind)
    if problems:
        raise ValidationError(problems)
    if consent_basis is not None:
        import_consent_basis_record(job=job, user=user, basis=consent_basis)
    job.mapping = resolved
    job.status = ImportStatus.PENDING
    job.save(update_fields=["mapping", "status"])
    _queue(job)
    return job


@transaction.atomic
def import_job_repeat(*, job: ImportJob, user, dry_run: bool = False) -> ImportJob:
    """Run a finished job's file again with the same settings — "import for real" after a
    dry run. Re-importing is safe: unchanged rows are skipped."""
    _check_permission(user, job.kind, job.existing_mode)
    department = _target_department(user, job.department)
    repeat = ImportJob(
        kind=job.kind,
        original_name=job.original_name,
        mapping=job.mapping,
        existing_mode=job.existing_mode,
        dry_run=dry_run,
        department=department,
        total_rows=job.total_rows,
        created_by=user,
    )
    try:
        with job.file.open("rb") as handle:
            repeat.file.save(job.original_name, handle, save=False)
    except (ValueError, FileNotFoundError) as exc:  # no file recorded, or gone from storage
        raise ValidationError(
            _("The file of this import is no longer stored; upload it again.")
        ) from exc
    repeat.save()
    basis = ConsentBasis.of(job)
    if basis is not None:  # the same basis, recorded (and audited) for this import too
        import_consent_basis_record(job=repeat, user=user, basis=basis)
    _queue(repeat)
    return repeat


@transaction.atomic
def import_preset_save(
    *, user, name: str, kind: str, mapping: dict, department: Department
) -> ImportPreset:
    """Save (or replace) a named mapping for the department; ignored columns are left out
    so a preset also fits files with extra columns."""
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the preset a name."))
    if len(name) > 100:
        raise ValidationError(_("The preset name is longer than 100 characters."))
    if not user.has_perm("customers.add_importpreset"):
        raise PermissionDenied(_("You are not allowed to save presets."))
    department = _target_department(user, department)
    preset, _created = ImportPreset.objects.update_or_create(
        department=department,
        kind=ImportKind(kind),
        name=name,
        defaults={
            "mapping": {column: field for column, field in mapping.items() if field},
            "created_by": user,
        },
    )
    return preset


def import_preset_delete(*, user, preset: ImportPreset) -> None:
    if not user.has_perm("customers.delete_importpreset"):
        raise PermissionDenied(_("You are not allowed to delete presets."))
    if not visible_to(user, ImportPreset.objects.filter(pk=preset.pk)).exists():
        raise PermissionDenied(_("You are not allowed to delete presets."))
    preset.delete()


# --- running jobs ---------------------------------------------------------------------------


def import_job_run(*, job: ImportJob) -> ImportResult:
    """Run (or resume) a pending or interrupted job; a finished job is returned as is."""
    job.refresh_from_db()
    if job.status in FINISHED or job.status == ImportStatus.DRAFT:
        return ImportResult.of(job)
    claimed = ImportJob.objects.filter(
        pk=job.pk, status__in=(ImportStatus.PENDING, ImportStatus.RUNNING)
    ).update(status=ImportStatus.RUNNING)
    if not claimed:
        job.refresh_from_db()
        return ImportResult.of(job)
    if job.started_at is None:
        ImportJob.objects.filter(pk=job.pk, started_at__isnull=True).update(
            started_at=timezone.now()
        )
    job.refresh_from_db()
    with translation.override(settings.LANGUAGE_CODE):
        try:
            if job.kind == ImportKind.CUSTOMERS:
                customer_import(job=job)
            else:
                order_import(job=job)
        except (ImportFileError, ValidationError) as exc:
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            _fail(job, message)
        except Exception as exc:
            logger.exception("import job %s failed", job.pk)
            _fail(
                job,
                _("The import stopped because of an internal error: %(error)s")
                % {"error": exc.__class__.__name__},
            )
            raise
    job.refresh_from_db()
    return ImportResult.of(job)


def customer_import(*, job: ImportJob) -> ImportResult:
    from customers.services.importing_customers import CustomerImporter

    with job.file.open("rb") as handle:
        table, mapping = _open_job(job, handle)
        importer = CustomerImporter(
            job=job, columns=table.columns, mapping=mapping, scope=_scope(job)
        )
        _run_chunks(
            job, _chunks(table.rows, CHUNK_ROWS), importer.parse, importer.apply, ahead=True
        )
    return _finish(job, table.columns)


def order_import(*, job: ImportJob) -> ImportResult:
    from customers.services.importing_orders import OrderImporter

    with job.file.open("rb") as handle:
        table, mapping = _open_job(job, handle)
        importer = OrderImporter(job=job, columns=table.columns, mapping=mapping, scope=_scope(job))
        _run_chunks(job, importer.order_chunks(table.rows), importer.parse, importer.apply)
    return _finish(job, table.columns)


def _scope(job: ImportJob) -> ImportScope:
    return ImportScope(user=job.created_by, department_id=job.department_id)


def _open_job(job: ImportJob, handle) -> tuple[Table, dict[str, str]]:
    table = open_table(handle, name=job.original_name)
    # (jsonb keeps no key order: the column order always comes from the file itself)
    if job.mapping and set(job.mapping) != set(table.columns):
        raise ImportFileError(_("The stored file no longer matches the job's columns."))
    mapping = resolve_mapping(table.columns, job.kind, job.mapping)
    problems = missing_fields(mapping, job.kind)
    if problems:
        raise ValidationError(problems)
    if not job.processed_rows and table.estimated_rows != job.total_rows:
        ImportJob.objects.filter(pk=job.pk).update(total_rows=table.estimated_rows)
    return table, mapping


def row_weight(cells: list) -> int:
    """What a row's cells cost to hold, in characters (a number counts as one)."""
    try:
        return len(cells) + sum(map(len, cells))  # all text, as every CSV row is
    except TypeError:
        return len(cells) + sum(len(cell) for cell in cells if cell.__class__ is str)


def _chunks(rows: Iterator, size: int, chars: int = CHUNK_CHARS) -> Iterator[list]:
    """Rows in chunks of ``size`` rows or ``chars`` characters, whichever comes first; the
    same file always gives the same chunks (a resumed job relies on it)."""
    chunk: list = []
    weight = 0
    for row in rows:
        chunk.append(row)
        weight += row_weight(row[1])
        if len(chunk) >= size or weight >= chars:
            yield chunk
            chunk, weight = [], 0
    if chunk:
        yield chunk


def _run_chunks(
    job: ImportJob,
    chunks: Iterable[list],
    parse: Callable[[list], object],
    apply: Callable[[object], ChunkOutcome],
    *,
    ahead: bool = False,
) -> None:
    """Parse every chunk (cheap, and it rebuilds the in-file duplicate state when resuming)
    and apply the rows past the job's checkpoint, each chunk in its own transaction.

    A chunk the checkpoint falls inside is split there: the job may have been interrupted
    under other chunk sizes (a deploy between the crash and the resume), and its
    committed rows are whole chunks of those, not of these.

    With ``ahead``, reading and cleaning the next chunk runs in a second thread while this
    one is written: parsing is plain Python that never touches the database, and the
    database write releases the GIL, so with two cores the two overlap. It costs a second
    chunk in memory (order imports, whose chunks can be far larger, stay one at a time)."""
    checkpoint = job.processed_rows
    language = translation.get_language()

    def parsed_chunks() -> Iterator[tuple[int, int, object]]:
        with translation.override(language):
            start = 0
            for chunk in chunks:
                done = min(max(checkpoint - start, 0), len(chunk))
                if done:
                    parse(chunk[:done])
                if done < len(chunk):
                    yield start + done, len(chunk) - done, parse(chunk[done:])
                start += len(chunk)

    parsed = _one_ahead(parsed_chunks()) if ahead else parsed_chunks()
    with closing(parsed):  # at once, not when a traceback lets go of it
        for start, rows, parsed_rows in parsed:
            _commit_chunk(job, start=start, rows=rows, apply=lambda p=parsed_rows: apply(p))


_END = object()


def _one_ahead(items: Iterator) -> Iterator:
    """``items``, each computed in a worker thread while the caller handles the one
    before (at most one item ahead, so memory holds two chunks, never the file).
    An exception in the worker reaches the caller at the item it would have given; if
    the caller stops early, ``items`` is closed in the worker's thread, where it runs."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-parse") as pool:
        pending = pool.submit(next, items, _END)
        try:
            while (item := pending.result()) is not _END:
                pending = pool.submit(next, items, _END)
                yield item
        finally:
            wait([pending])
            pool.submit(items.close).result()


def _commit_chunk(
    job: ImportJob, *, start: int, rows: int, apply: Callable[[], ChunkOutcome]
) -> None:
    for attempt in range(3):
        try:
            with transaction.atomic():
                locked = ImportJob.objects.select_for_update().get(pk=job.pk)
                if locked.status != ImportStatus.RUNNING or locked.processed_rows != start:
                    return  # another worker already committed this chunk
                outcome = apply()
                assert outcome.rows == rows, "a chunk must account for every row"
                _record(locked, outcome)
            job.processed_rows = start + rows
            if outcome.after_commit:
                outcome.after_commit()
            return
        except IntegrityError:
            # Another writer inserted a matching customer between our read and our write;
            # the next attempt sees it and updates instead of inserting.
            if attempt == 2:
                raise
            logger.warning("import job %s: chunk at %s retried after a conflict", job.pk, start)


def _record(job: ImportJob, outcome: ChunkOutcome) -> None:
    ImportRejection.objects.bulk_create(outcome.rejections, batch_size=1000)
    reasons = Counter(job.skipped_reasons)
    reasons.update(outcome.skipped)
    job.skipped_reasons = dict(reasons)
    job.created_count += outcome.created
    job.updated_count += outcome.updated
    job.skipped_count += sum(outcome.skipped.values())
    job.rejected_count += len(outcome.rejections)
    job.processed_rows += outcome.rows
    if len(job.preview) < PREVIEW_ROWS:
        job.preview = job.preview + outcome.preview[: PREVIEW_ROWS - len(job.preview)]
    job.total_rows = max(job.total_rows, job.processed_rows)
    if outcome.reach:
        job.reach = reach_merge(job.reach, outcome.reach)
    job.save(
        update_fields=[
            "reach",
            "skipped_reasons",
            "created_count",
            "updated_count",
            "skipped_count",
            "rejected_count",
            "processed_rows",
            "preview",
            "total_rows",
        ]
    )


def _finish(job: ImportJob, columns: list[str]) -> ImportResult:
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status == ImportStatus.RUNNING:
            if locked.rejected_count:
                with _error_report(locked, columns) as report:
                    locked.error_report.save(
                        f"import-{locked.pk}-rejected-rows.csv", report, save=False
                    )
            locked.status = ImportStatus.DONE
            locked.total_rows = locked.processed_rows
            locked.finished_at = timezone.now()
            locked.save()
    job.refresh_from_db()
    return ImportResult.of(job)


def _fail(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).exclude(status=ImportStatus.DONE).update(
        status=ImportStatus.FAILED, failure=message[:2000], finished_at=timezone.now()
    )


def _error_report(job: ImportJob, columns: list[str]) -> File:
    """Every rejected row's original cells and the reason, as CSV with a BOM so Excel opens
    the Chinese text correctly; cells are neutralised so none runs as a formula. Written
    to a temporary file as the rows come from the database, never held whole."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (the storage reads it; closed with it)
    buffer = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([spreadsheet_text(column) for column in columns] + [_("reason"), _("row")])
    rejections = job.rejections.order_by("row_number").values_list("row_number", "cells", "reason")
    for number, cells, reason in rejections.iterator(chunk_size=2000):
        padded = list(cells) + [""] * (len(columns) - len(cells))
        writer.writerow(
            [spreadsheet_text(cell) for cell in padded] + [spreadsheet_text(reason), number]
        )
    buffer.flush()
    buffer.detach()
    spool.seek(0)
    return File(spool)


def skip_reason_label(code: str) -> str:
    return str(SKIP_REASONS.get(code, code))
