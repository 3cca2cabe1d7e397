"""Shared body of ``import_customers`` and ``import_orders`` (the leading underscore keeps
Django from offering this module as a command)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from carecrm.accounts.models import Department
from customers.models import ExistingCustomerMode, ImportPreset, ImportStatus
from customers.services.importing import import_job_create, import_job_run, skip_reason_label


class ImportCommand(BaseCommand):
    kind = ""
    noun = ""

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV (UTF-8 or GBK) or XLSX file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row and report; write nothing"
        )
        parser.add_argument("--department", metavar="CODE", help="department code to import into")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help="map a column to a field (repeatable); FIELD may be a key or a header alias, "
            "'ignore' leaves the column out",
        )
        parser.add_argument("--preset", metavar="NAME", help="apply a saved column mapping")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="act as this user (their permissions and scope); default: the department",
        )

    def existing_mode(self, options) -> str:
        return ExistingCustomerMode.UPDATE

    def create_options(self, options) -> dict:
        """Further keyword arguments of ``import_job_create`` for this kind."""
        return {}

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        user = self._user(options["user"])
        department = self._department(options["department"])
        mapping = self._mapping(options["map"])
        preset = self._preset(options["preset"], department, user)
        try:
            with path.open("rb") as handle:
                job = import_job_create(
                    user=user,
                    file=File(handle, name=path.name),
                    kind=self.kind,
                    mapping=mapping,
                    existing_mode=self.existing_mode(options),
                    dry_run=options["dry_run"],
                    department=department,
                    preset=preset,
                    queue=False,
                    **self.create_options(options),
                )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        result = import_job_run(job=job)
        job.refresh_from_db()
        self._summary(job, result)
        if result.status == ImportStatus.FAILED:
            raise CommandError(f"The import failed: {result.failure}", returncode=2)
        if result.rejected:
            raise CommandError(
                f"{result.rejected:,} of {result.total:,} rows were rejected.", returncode=1
            )

    def _summary(self, job, result) -> None:
        verb = "Checked (dry run, nothing written)" if result.dry_run else "Imported"
        self.stdout.write(
            f"{verb} {job.original_name} as import #{job.pk} into {job.department}: "
            f"{result.total:,} rows — created {result.created:,}, updated {result.updated:,}, "
            f"skipped {result.skipped:,}, rejected {result.rejected:,}."
        )
        if result.skipped_reasons:
            reasons = ", ".join(
                f"{skip_reason_label(code)} {count:,}"
                for code, count in sorted(result.skipped_reasons.items(), key=lambda i: -i[1])
            )
            self.stdout.write(f"Skipped: {reasons}.")
        for channel, counts in sorted((job.reach or {}).items()):
            detail = ", ".join(f"{reason.replace('_', ' ')} {n:,}" for reason, n in counts.items())
            self.stdout.write(
                f"Cannot be reached by {channel}: {sum(counts.values()):,} rows ({detail})."
            )
        if job.error_report:
            self.stdout.write(f"Rejected rows with reasons: {job.error_report.path}")
            for rejection in job.rejections.order_by("row_number")[:10]:
                self.stdout.write(f"  row {rejection.row_number}: {rejection.reason}")
            if result.rejected > 10:
                self.stdout.write(f"  … and {result.rejected - 10:,} more in the file above")

    def _user(self, username: str | None):
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No active user {username!r}") from exc

    def _department(self, code: str | None) -> Department | None:
        if not code:
            return None
        try:
            return Department.objects.get(code=code)
        except Department.DoesNotExist as exc:
            known = ", ".join(Department.objects.values_list("code", flat=True)[:20])
            raise CommandError(f"No department with code {code!r} (known: {known})") from exc

    def _mapping(self, pairs: list[str]) -> dict[str, str]:
        mapping = {}
        for pair in pairs:
            column, separator, field = pair.partition("=")
            if not separator or not column.strip():
                raise CommandError(f"--map expects COLUMN=FIELD, not {pair!r}")
            mapping[column.strip()] = field.strip()
        return mapping

    def _preset(self, name: str | None, department, user) -> ImportPreset | None:
        if not name:
            return None
        presets = ImportPreset.objects.filter(name=name, kind=self.kind)
        if department is not None:
            presets = presets.filter(department=department)
        elif user is not None and user.department_id:
            presets = presets.filter(department_id=user.department_id)
        found = list(presets[:2])
        if len(found) != 1:
            raise CommandError(
                f"No single {self.noun} preset named {name!r}"
                + ("" if not found else "; give --department to choose")
            )
        return found[0]
