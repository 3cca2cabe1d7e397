"""Order rows: one row per order line, lines of one order share its order number.

An order is imported whole or not at all: if one of its lines is rejected, so are the
others. Order numbers are unique, so a second import of the same file skips every order.
A negative amount is a refund. Order-level cells (customer, time, amount, store) may be
repeated on every line or left blank on the second and later lines, but must not differ.
An order must fit in one chunk (5,000 lines, 2 million characters); a larger one is
rejected, each of its lines with the reason.
"""

import pickle
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import BooleanField, ExpressionWrapper, Q, Value
from django.utils.translation import gettext as _

from carecrm.core.registry import orders_recorded
from customers.models import Customer, CustomerStatus, ImportJob, Order, OrderLine
from customers.services.importing import (
    CHUNK_CHARS,
    CHUNK_ROWS,
    PREVIEW_ROWS,
    ChunkOutcome,
    ImportScope,
    row_weight,
)
from customers.services.importing_customers import active_with_contacts
from customers.services.importing_fields import ORDER_FIELDS
from customers.services.importing_files import oversized_cell
from customers.services.importing_values import CENT, CellError, cell_text
from customers.services.order_summaries import order_summaries_refresh
from customers.services.products import order_lines_link

ORDER_LEVEL = ("customer_id", "customer_mobile", "customer_email", "ordered_at", "amount", "store")
LINE_LEVEL = ("product", "category", "quantity", "unit_price")
# An order must fit in one chunk, which is validated and written as a whole.
ORDER_MAX_LINES = CHUNK_ROWS
ORDER_MAX_CHARS = CHUNK_CHARS


def _dump(cells: list) -> bytes:
    return pickle.dumps(cells, pickle.HIGHEST_PROTOCOL)


@dataclass(slots=True)
class LineRow:
    number: int
    cells: list
    values: dict
    reason: str = ""


@dataclass
class OrderGroup:
    order_no: str
    rows: list[LineRow]
    header: dict = field(default_factory=dict)
    reason: str = ""

    @property
    def first_row(self) -> int:
        return self.rows[0].number


class OrderImporter:
    def __init__(
        self, *, job: ImportJob, columns: list[str], mapping: dict[str, str], scope: ImportScope
    ) -> None:
        self.job = job
        self.columns = columns
        self.width = len(columns)
        self.plan = [
            (columns.index(column), ORDER_FIELDS[key]) for column, key in mapping.items() if key
        ]
        self.order_no_index = next(
            (columns.index(column) for column, key in mapping.items() if key == "order_no"), None
        )
        self.scope_filter = scope.customer_filter()
        self.previewed = len(job.preview)
        self.too_large: set[str | int] = set()  # orders rejected for their size

    def order_chunks(self, rows: Iterator[tuple[int, list]]) -> Iterator[list]:
        """Rows regrouped so all lines of an order fall in the same chunk (orders in the
        order of their first line, lines in file order; the grouping is the same on every
        run of the job). The rows are spilled to a temporary SQLite file and read back in
        that order, so one chunk is in memory at a time, never the file. An order too large
        for a chunk (``ORDER_MAX_LINES`` lines or ``ORDER_MAX_CHARS`` characters) is
        rejected whole, its lines passed on in chunks of their own."""
        with closing(sqlite3.connect("")) as spill:  # a private file, deleted when closed
            spill.execute("PRAGMA cache_size = -4000")  # 4 MB of pages in memory at most
            spill.execute("PRAGMA journal_mode = OFF")
            # "key" has no type: an order number stays text, and a row without one is a
            # group of its own keyed by its row number (an integer equals no text)
            spill.execute("CREATE TABLE line (key, number INTEGER PRIMARY KEY, weight, cells)")
            spill.executemany(
                "INSERT INTO line VALUES (?, ?, ?, ?)",
                (
                    (self._order_key(number, cells), number, row_weight(cells), _dump(cells))
                    for number, cells in rows
                ),
            )
            spill.execute("CREATE INDEX line_key ON line (key, number)")
            # one row per order, kept in the order of its first line: the query below reads
            # it in that order and each order's lines through the index, without sorting
            spill.execute("CREATE TABLE grp (first INTEGER PRIMARY KEY, key, lines, weight)")
            spill.execute(
                "INSERT INTO grp SELECT MIN(number), key, COUNT(*), SUM(weight)"
                " FROM line GROUP BY key"
            )
            lines = spill.execute(
                "SELECT grp.key, grp.lines, grp.weight, line.number, line.weight, line.cells"
                " FROM grp JOIN line ON line.key = grp.key ORDER BY grp.first, line.number"
            )
            chunk: list = []
            weight = 0
            current: object = None
            too_large = False
            for key, group_lines, group_weight, number, line_weight, cells in lines:
                full = len(chunk) >= CHUNK_ROWS or weight >= CHUNK_CHARS
                if key != current:  # the first line of an order
                    current = key
                    was_too_large = too_large
                    too_large = group_lines > ORDER_MAX_LINES or (
                        group_lines > 1 and group_weight > ORDER_MAX_CHARS
                    )
                    if too_large:
                        self.too_large.add(key)
                    if chunk and (full or too_large or was_too_large):
                        yield chunk
                        chunk, weight = [], 0
                elif too_large and full:  # (an order that fits is never split)
                    yield chunk
                    chunk, weight = [], 0
                chunk.append((number, pickle.loads(cells)))  # noqa: S301 (written above)
                weight += line_weight
            if chunk:
                yield chunk

    def _order_key(self, number: int, cells: list) -> str | int:
        """The order number as written, or the row number when the cell is blank."""
        index = self.order_no_index
        return cell_text(cells[index] if index < len(cells) else None) or number

    # --- reading ------------------------------------------------------------------------

    def _clean(self, number: int, cells: list) -> LineRow:
        values: dict = {}
        errors: list[str] = []
        if too_long := oversized_cell(cells, self.columns):
            return LineRow(number, cells, values, too_long)
        if len(cells) > self.width and any(cell_text(cell) for cell in cells[self.width :]):
            errors.append(_("The row has more cells than the header has columns"))
        for index, spec in self.plan:
            raw = cells[index] if index < len(cells) else None
            if raw is None or raw == "":
                continue
            try:
                value = spec.clean(raw, label=spec.label)
            except CellError as exc:
                errors.append(str(exc))
                continue
            if value is not None and value != "":
                values[spec.key] = value
        if "order_no" not in values:
            errors.insert(0, _("Order number is missing"))
        if ("unit_price" in values or "quantity" in values) and "product" not in values:
            errors.append(_("Product is missing for a line with a price or quantity"))
        return LineRow(number, cells, values, "; ".join(errors))

    def parse(self, chunk: list[tuple[int, list]]) -> list[OrderGroup]:
        groups: dict[str, OrderGroup] = {}
        ordered: list[OrderGroup] = []
        for number, cells in chunk:
            row = self._clean(number, cells)
            if self.too_large and (order := self._order_key(number, cells)) in self.too_large:
                row.reason = _(
                    "Order %(order)s is too large to import: more than %(lines)d lines or "
                    "%(chars)d characters"
                ) % {"order": order, "lines": ORDER_MAX_LINES, "chars": ORDER_MAX_CHARS}
            key = row.values.get("order_no") or f"\0{number}"
            if key not in groups:
                groups[key] = OrderGroup(row.values.get("order_no", ""), [])
                ordered.append(groups[key])
            groups[key].rows.append(row)
        for group in ordered:
            self._check_group(group)
        return ordered

    def _check_group(self, group: OrderGroup) -> None:
        bad = next((row for row in group.rows if row.reason), None)
        if bad is not None:
            group.reason = _("Another line of order %(order)s (row %(row)d) was rejected") % {
                "order": group.order_no,
                "row": bad.number,
            }
            return
        header: dict = {}
        for row in group.rows:
            for key in ORDER_LEVEL:
                value = row.values.get(key)
                if value is None:
                    continue
                if key in header and header[key][0] != value:
                    group.reason = _(
                        "Lines of order %(order)s disagree on %(field)s (rows %(first)d and "
                        "%(second)d)"
                    ) % {
                        "order": group.order_no,
                        "field": ORDER_FIELDS[key].label,
                        "first": header[key][1],
                        "second": row.number,
                    }
                    return
                header.setdefault(key, (value, row.number))
        group.header = {key: value for key, (value, _number) in header.items()}
        problems = []
        if "ordered_at" not in group.header:
            problems.append(_("Order time is missing"))
        if not group.header.keys() & {"customer_id", "customer_mobile", "customer_email"}:
            problems.append(_("The customer is missing (mobile phone, email or customer ID)"))
        lines = [row for row in group.rows if "product" in row.values]
        if len(lines) != len(group.rows) and len(group.rows) > 1:
            problems.append(_("Several rows of one order must each name a product"))
        if "amount" not in group.header:
            if not lines or any("unit_price" not in row.values for row in lines):
                problems.append(_("Neither the order amount nor every line's unit price is given"))
        elif len(lines) > 1 and any("unit_price" not in row.values for row in lines):
            problems.append(_("Unit price is missing on a line of a multi-line order"))
        if problems:
            group.reason = "; ".join(problems)

    # --- matching and writing -----------------------------------------------------------

    def _customers(self, groups: list[OrderGroup]) -> tuple[dict, dict, dict]:
        ids = {g.header["customer_id"] for g in groups if "customer_id" in g.header}
        mobiles = {g.header["customer_mobile"] for g in groups if "customer_mobile" in g.header}
        emails = {g.header["customer_email"] for g in groups if "customer_email" in g.header}
        if not ids and not mobiles and not emails:
            return {}, {}, {}
        visible = (
            Value(True)
            if self.scope_filter is None
            else ExpressionWrapper(self.scope_filter, output_field=BooleanField())
        )
        found = (
            Customer.objects.filter(status=CustomerStatus.ACTIVE)
            .filter(Q(pk__in=ids) | active_with_contacts(mobiles, emails))
            .annotate(is_visible=visible)
            .filter(is_visible=True)
            .values_list("pk", "mobile", "email")
        )
        by_id, by_mobile, by_email = {}, {}, defaultdict(list)
        for pk, mobile, email in found:
            by_id[pk] = pk
            if mobile:
                by_mobile[mobile] = pk
            if email:
                by_email[email].append(pk)
        return by_id, by_mobile, by_email

    def _customer_of(self, group: OrderGroup, by_id, by_mobile, by_email) -> int | str:
        """The customer's id, or the reason none can be used."""
        header = group.header
        if "customer_id" in header:
            return by_id.get(header["customer_id"]) or _("No customer you can see has this ID")
        if "customer_mobile" in header:
            found = by_mobile.get(header["customer_mobile"])
            return found or _("No customer you can see has this mobile phone")
        matches = by_email.get(header["customer_email"], [])
        if len(matches) > 1:
            return _("Several customers have this email; identify the customer by mobile phone")
        return matches[0] if matches else _("No customer you can see has this email")

    def apply(self, groups: list[OrderGroup]) -> ChunkOutcome:
        outcome = ChunkOutcome(rows=sum(len(group.rows) for group in groups))
        valid = []
        for group in groups:
            if group.reason:
                for row in group.rows:
                    outcome.reject(self.job, row.number, row.cells, row.reason or group.reason)
            else:
                valid.append(group)
        by_id, by_mobile, by_email = self._customers(valid)
        existing = dict(
            Order.objects.filter(order_no__in=[g.order_no for g in valid])
            .annotate(
                is_visible=Value(True)
                if self.scope_filter is None
                else ExpressionWrapper(
                    Q(customer__in=Customer.objects.filter(self.scope_filter)),
                    output_field=BooleanField(),
                )
            )
            .values_list("order_no", "is_visible")
        )
        new_orders: list[tuple[OrderGroup, Order]] = []
        for group in valid:
            if group.order_no in existing:
                if existing[group.order_no]:
                    outcome.skipped["order_exists"] += len(group.rows)
                    self._preview(outcome, group, "skip")
                else:
                    for row in group.rows:
                        outcome.reject(
                            self.job,
                            row.number,
                            row.cells,
                            _("This order number is already used by another customer's order"),
                        )
                continue
            customer = self._customer_of(group, by_id, by_mobile, by_email)
            if isinstance(customer, str):
                for row in group.rows:
                    outcome.reject(self.job, row.number, row.cells, customer)
                continue
            new_orders.append((group, self._order(group, customer)))
            outcome.created += len(group.rows)
            self._preview(outcome, group, "create")
        if not self.job.dry_run and new_orders:
            Order.objects.bulk_create([order for _g, order in new_orders], batch_size=1000)
            OrderLine.objects.bulk_create(
                [line for group, order in new_orders for line in self._lines(group, order)],
                batch_size=1000,
            )
            order_lines_link([order.pk for _g, order in new_orders])
            order_summaries_refresh({order.customer_id for _g, order in new_orders})
            orders_recorded([order.pk for _g, order in new_orders])
        previewed = len(outcome.preview)

        def committed() -> None:
            self.previewed += previewed

        outcome.after_commit = committed
        return outcome

    def _order(self, group: OrderGroup, customer_id: int) -> Order:
        header = group.header
        amount = header.get("amount")
        if amount is None:
            amount = sum(
                (row.values.get("quantity", Decimal(1)) * row.values["unit_price"])
                for row in group.rows
            ).quantize(CENT)
        return Order(
            customer_id=customer_id,
            order_no=group.order_no,
            ordered_at=header["ordered_at"],
            amount=amount,
            store=header.get("store", ""),
        )

    def _lines(self, group: OrderGroup, order: Order) -> list[OrderLine]:
        lines = []
        for row in group.rows:
            if "product" not in row.values:
                continue
            quantity = row.values.get("quantity", Decimal(1))
            unit_price = row.values.get("unit_price")
            if unit_price is None:  # single-line order given only its amount
                unit_price = (order.amount / quantity).quantize(CENT)
            lines.append(
                OrderLine(
                    order=order,
                    product=row.values["product"],
                    category=row.values.get("category", ""),
                    quantity=quantity,
                    unit_price=unit_price,
                )
            )
        return lines

    def _preview(self, outcome: ChunkOutcome, group: OrderGroup, action: str) -> None:
        if self.previewed + len(outcome.preview) >= PREVIEW_ROWS:
            return
        values: dict = {"order_no": group.order_no}
        for key in ORDER_LEVEL:
            if key in group.header:
                value = group.header[key]
                values[key] = value.isoformat() if hasattr(value, "isoformat") else str(value)
        products = [
            f"{row.values['product']} × {row.values.get('quantity', Decimal(1)).normalize()}"
            for row in group.rows
            if "product" in row.values
        ]
        if products:
            values["product"] = "; ".join(products)
        outcome.preview.append({"row": group.first_row, "action": action, "values": values})
