import datetime as dt

from django.core.management.base import CommandError

from customers.management.commands._import import ImportCommand
from customers.models import ExistingCustomerMode, ImportKind
from customers.services.importing_consent import ConsentBasis


class Command(ImportCommand):
    help = (
        "Import customers from a CSV or XLSX file now (not through a worker). Prints the "
        "summary; exits with 1 when rows were rejected (they are in the rejected-rows CSV)."
    )
    kind = ImportKind.CUSTOMERS
    noun = "customer"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--skip-existing",
            action="store_true",
            help="leave customers that already exist unchanged (default: update them)",
        )
        parser.add_argument(
            "--consent-basis",
            metavar="TEXT",
            help="what the file's consents rest on, e.g. 注册时同意; rows without a consent "
            "value for a covered channel are recorded as granted on it",
        )
        parser.add_argument("--consent-date", metavar="YYYY-MM-DD", help="when it was given")
        parser.add_argument("--consent-source", metavar="TEXT", default="", help="where it is")
        parser.add_argument(
            "--consent-channels", metavar="LIST", default="", help="e.g. sms,email,phone"
        )

    def create_options(self, options) -> dict:
        if not options["consent_basis"]:
            return {}
        try:
            on = dt.date.fromisoformat(options["consent_date"] or "")
        except ValueError as exc:
            raise CommandError("--consent-date must be a date (YYYY-MM-DD).") from exc
        channels = tuple(c.strip() for c in options["consent_channels"].split(",") if c.strip())
        basis = ConsentBasis(options["consent_basis"], on, options["consent_source"], channels)
        return {"consent_basis": basis}

    def existing_mode(self, options) -> str:
        if options["skip_existing"]:
            return ExistingCustomerMode.SKIP
        return ExistingCustomerMode.UPDATE
