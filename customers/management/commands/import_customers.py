from customers.management.commands._import import ImportCommand
from customers.models import ExistingCustomerMode, ImportKind


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

    def existing_mode(self, options) -> str:
        if options["skip_existing"]:
            return ExistingCustomerMode.SKIP
        return ExistingCustomerMode.UPDATE
