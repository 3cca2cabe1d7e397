import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from carecrm.core.bench import machine_load, render_section, write_section
from carecrm.core.bench import suites as registered_suites


class Command(BaseCommand):
    help = (
        "Run benchmark suites on PostgreSQL in a throw-away database and write the figures "
        "to docs/BENCHMARKS.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("suite_names", nargs="*", metavar="suite", help="default: all")
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="fraction of the issue's data size (1.0 = e.g. 1,000,000 customers)",
        )
        parser.add_argument("--keep-db", action="store_true", help="reuse the bench database")
        parser.add_argument("--no-write", action="store_true", help="print, do not write the file")

    def handle(
        self, *args, suite_names: list[str], scale: float, keep_db: bool, no_write: bool, **options
    ):
        if connection.vendor != "postgresql":
            raise CommandError(
                "Benchmarks compare against bare PostgreSQL: set DATABASE_URL=postgres://…"
            )
        names = suite_names or sorted(registered_suites)
        unknown = [name for name in names if name not in registered_suites]
        if unknown:
            raise CommandError(
                f"Unknown suite(s): {', '.join(unknown)}. "
                f"Known: {', '.join(sorted(registered_suites))}"
            )
        db_settings = settings.DATABASES["default"]
        db_settings.setdefault("TEST", {})["NAME"] = f"{db_settings['NAME']}_bench"
        for name in names:
            # Each suite gets a database of its own (unless --keep-db): suites generate
            # their data with fixed names and numbers, and would collide in one.
            old_name = connection.creation.create_test_db(
                verbosity=1, autoclobber=True, keepdb=keep_db, serialize=False
            )
            try:
                self._run_suite(name, scale=scale, no_write=no_write)
            finally:
                if not keep_db:
                    connection.creation.destroy_test_db(old_name, verbosity=1)

    def _run_suite(self, name: str, *, scale: float, no_write: bool) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(f"== bench {name} (scale {scale:g})"))
        started = time.perf_counter()
        load = machine_load()
        figures = registered_suites[name](scale=scale, stdout=self.stdout)
        section = render_section(
            name, figures, scale=scale, seconds=time.perf_counter() - started, load=load
        )
        self.stdout.write(section)
        if not no_write:
            write_section(name, section)
