from customers.management.commands._import import ImportCommand
from customers.models import ImportKind


class Command(ImportCommand):
    help = (
        "Import orders (one row per order line) from a CSV or XLSX file now. Orders already "
        "imported are skipped; exits with 1 when rows were rejected."
    )
    kind = ImportKind.ORDERS
    noun = "order"
