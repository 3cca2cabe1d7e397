"""Customer rows: cleaning, de-duplication (in the file and against the database) and
set-based writing.

Matching follows PRODUCT.md §1 and issue 4: a row is the same customer as another row or
an active customer when its normalised mobile phone matches, or else its email. A match
in a department the importing user cannot see rejects the row; an identical repeat of an
earlier row is skipped; a repeat with different details is rejected (the file contradicts
itself and nobody can tell which row is right).

On PostgreSQL a chunk's rows are loaded with ``COPY`` into a temporary table and written
with one ``INSERT … SELECT`` and one ``UPDATE … FROM``; tags, consents and audit entries
with one ``INSERT … SELECT unnest(…)`` each. Elsewhere (SQLite) ``bulk_create`` and
``bulk_update`` do the same in batches. No statement runs per row.
"""

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from carecrm.core.audit import audit_record_many
from carecrm.core.models import AuditAction
from customers.models import (
    ChannelConsent,
    ConsentMethod,
    Customer,
    CustomerKind,
    CustomerStatus,
    ExistingCustomerMode,
    ImportJob,
    Source,
    Tag,
)
from customers.services.importing import PREVIEW_ROWS, ChunkOutcome, ImportScope
from customers.services.importing_fields import CONSENT_FIELDS, CUSTOMER_FIELDS
from customers.services.importing_values import CellError, cell_text

# Customer columns an import writes, with the value a new customer gets when the file is
# silent about it. An existing customer keeps its value unless the row has a new one.
COLUMN_DEFAULTS: dict[str, object] = {
    "name": "",
    "mobile": "",
    "email": "",
    "province": "",
    "city": "",
    "district": "",
    "street": "",
    "birthday": None,
    "gender": "",
    "registered_on": None,
    "source": Source.IMPORT,
    "industry": "",
    "region": "",
    "kind": CustomerKind.PERSON,
    "preferred_channel": "",
    "preferred_categories": [],
    "notes": "",
}
COLUMNS = tuple(COLUMN_DEFAULTS)
DERIVED = ("mobile_last4", "birth_month")
CONTACT_FIELDS = {"mobile", "email", "street"}


@dataclass(slots=True)
class CustomerRow:
    number: int
    cells: list
    values: dict
    signature: int = 0
    reason: str = ""
    duplicate_of: int = 0


class _Derived:
    """Stand-in for a new customer so ``Customer.refresh_derived_contact_fields`` — the one
    home of that rule — computes the helper columns without building a model instance."""

    __slots__ = (
        "birth_month",
        "birthday",
        "celebrates_lunar_birthday",
        "lunar_birth_month",
        "mobile",
        "mobile_last4",
    )

    def __init__(self, mobile: str, birthday) -> None:
        self.mobile = mobile
        self.birthday = birthday
        self.celebrates_lunar_birthday = False
        self.lunar_birth_month = None


def stored_value(value):
    """A cleaned value as the model stores it (tuples of tags/categories become lists)."""
    return list(value) if isinstance(value, tuple) else value


def preview_value(value):
    if isinstance(value, tuple | list):
        return ", ".join(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class CustomerImporter:
    def __init__(
        self, *, job: ImportJob, columns: list[str], mapping: dict[str, str], scope: ImportScope
    ) -> None:
        self.job = job
        self.width = len(columns)
        self.plan = [
            (
                columns.index(column),
                field,
                CUSTOMER_FIELDS[field].text_length,
                CUSTOMER_FIELDS[field],
            )
            for column, field in mapping.items()
            if field
        ]
        self.mapped = [field for field in mapping.values() if field]
        self.update_mode = job.existing_mode == ExistingCustomerMode.UPDATE
        self.scope_filter = scope.customer_filter()
        self.now = timezone.now()
        self.seen_mobile: dict[str, tuple[int, int]] = {}
        self.seen_email: dict[str, tuple[int, int]] = {}
        self.claimed: dict[int, tuple[int, int]] = {}
        self.previewed = len(job.preview)
        self.preview_budget = PREVIEW_ROWS - self.previewed
        self.has_tags = "tags" in self.mapped
        self.consent_fields = [field for field in self.mapped if field in CONSENT_FIELDS]

    # --- reading ------------------------------------------------------------------------

    def _clean(self, cells: list) -> tuple[dict, list[str]]:
        values: dict = {}
        errors: list[str] = []
        failed_contact = False
        if len(cells) > self.width and any(cell_text(cell) for cell in cells[self.width :]):
            errors.append(
                _(
                    "The row has more cells than the header has columns "
                    "(a comma inside a value that is not quoted?)"
                )
            )
        size = len(cells)
        for index, key, text_length, field in self.plan:
            raw = cells[index] if index < size else None
            if raw is None or raw == "":
                continue
            if text_length is not None and raw.__class__ is str:
                # Plain text, the bulk of every file: inline what clean_text does.
                value = raw.strip()
                if value and (value[0] == "'" or "\ufeff" in value):
                    value = cell_text(value)
                if text_length and len(value) > text_length:
                    errors.append(
                        _("%(field)s is longer than %(max)d characters")
                        % {"field": field.label, "max": text_length}
                    )
                    continue
                if value:
                    values[key] = value
                continue
            try:
                value = field.clean(raw, label=field.label)
            except CellError as exc:
                errors.append(str(exc))
                failed_contact = failed_contact or key in ("mobile", "email")
                continue
            if value is None or value == "" or value == ():
                continue
            values[key] = value
        if "name" not in values:
            errors.insert(0, _("Name is missing"))
        if not failed_contact and "mobile" not in values and "email" not in values:
            errors.append(_("Neither a mobile phone nor an email: one contact is required"))
        return values, errors

    def parse(self, chunk: list[tuple[int, list]]) -> list[CustomerRow]:
        """Clean every row and find repeats within the file (kept across chunks)."""
        rows = []
        for number, cells in chunk:
            values, errors = self._clean(cells)
            if errors:
                rows.append(CustomerRow(number, cells, values, reason="; ".join(errors)))
                continue
            signature = hash(tuple(values.items()))
            row = CustomerRow(number, cells, values, signature)
            mobile, email = values.get("mobile"), values.get("email")
            earlier = self.seen_mobile.get(mobile) if mobile else None
            by_email = earlier is None and email
            if by_email:
                earlier = self.seen_email.get(email)
            if earlier is None:
                if mobile:
                    self.seen_mobile[mobile] = (number, signature)
                if email:
                    self.seen_email.setdefault(email, (number, signature))
            elif earlier[1] == signature:
                row.duplicate_of = earlier[0]
            else:
                row.reason = _(
                    "Same %(key)s as row %(row)d but different details; keep one of the two rows"
                ) % {"key": _("email") if by_email else _("mobile phone"), "row": earlier[0]}
            rows.append(row)
        return rows

    # --- matching -----------------------------------------------------------------------

    def _existing(self, rows: list[CustomerRow]) -> list[Customer]:
        mobiles = {row.values["mobile"] for row in rows if "mobile" in row.values}
        emails = {row.values["email"] for row in rows if "email" in row.values}
        if not mobiles and not emails:
            return []
        visible = (
            Value(True)
            if self.scope_filter is None
            else ExpressionWrapper(self.scope_filter, output_field=BooleanField())
        )
        if connection.vendor == "postgresql":
            # two arrays instead of one bound parameter per value: the same plan, far less
            # query building for a 5,000-row chunk
            contact = Q(
                pk__in=RawSQL(  # noqa: S611 (constant SQL, values are bound parameters)
                    f"SELECT id FROM {Customer._meta.db_table} "  # noqa: S608
                    "WHERE mobile = ANY(%s) OR email = ANY(%s)",
                    [list(mobiles), list(emails)],
                )
            )
        else:
            contact = Q(mobile__in=mobiles) | Q(email__in=emails)
        queryset = (
            Customer.objects.filter(status=CustomerStatus.ACTIVE)
            .filter(contact)
            .only(
                *COLUMNS,
                *DERIVED,
                "department_id",
                "relationship_manager_id",
                "celebrates_lunar_birthday",
                "lunar_birth_month",
            )
            .annotate(is_visible=visible)
            .order_by("pk")
        )
        if not self.job.dry_run:
            queryset = queryset.select_for_update(of=("self",))
        return list(queryset)

    def _related(self, customer_ids: list[int]) -> tuple[dict, dict]:
        tags: dict[int, set[str]] = defaultdict(set)
        consents: dict[tuple[int, str], bool] = {}
        if customer_ids and self.has_tags:
            links = Customer.tags.through.objects.filter(customer_id__in=customer_ids)
            for customer_id, name in links.values_list("customer_id", "tag__name"):
                tags[customer_id].add(name)
        if customer_ids and self.consent_fields:
            rows = ChannelConsent.objects.filter(customer_id__in=customer_ids)
            for customer_id, channel, granted in rows.values_list(
                "customer_id", "channel", "granted"
            ):
                consents[(customer_id, channel)] = granted
        return tags, consents

    def apply(self, rows: list[CustomerRow]) -> ChunkOutcome:
        """Decide each row's fate against the database and (unless a dry run) write."""
        outcome = ChunkOutcome(rows=len(rows))
        candidates = []
        for row in rows:
            if row.reason:
                outcome.reject(self.job, row.number, row.cells, row.reason)
            elif row.duplicate_of:
                outcome.skipped["duplicate_in_file"] += 1
                self._preview(outcome, row, "skip", row.values)
            else:
                candidates.append(row)
        existing = self._existing(candidates)
        by_mobile = {customer.mobile: customer for customer in existing if customer.mobile}
        by_email: dict[str, list[Customer]] = defaultdict(list)
        for customer in existing:
            if customer.email:
                by_email[customer.email].append(customer)
        tags_of, consents_of = (
            self._related([c.pk for c in existing]) if self.update_mode else ({}, {})
        )

        creates: list[CustomerRow] = []
        updates: list[tuple[Customer, CustomerRow, list[str]]] = []
        claims: dict[int, tuple[int, int]] = {}
        self.preview_budget = PREVIEW_ROWS - self.previewed
        for row in candidates:
            customer = self._match(row, by_mobile, by_email, outcome)
            if customer is False:
                continue
            if customer is None:
                creates.append(row)
                self._preview(outcome, row, "create", row.values)
                continue
            if not customer.is_visible:
                outcome.reject(
                    self.job,
                    row.number,
                    row.cells,
                    _(
                        "This mobile phone or email belongs to a customer of a department "
                        "you cannot see; it was not changed"
                    ),
                )
                continue
            earlier = claims.get(customer.pk) or self.claimed.get(customer.pk)
            if earlier and earlier[0] != row.number:
                if earlier[1] == row.signature:
                    outcome.skipped["duplicate_in_file"] += 1
                else:
                    outcome.reject(
                        self.job,
                        row.number,
                        row.cells,
                        _(
                            "Matches the same customer as row %(row)d but with different "
                            "details; keep one of the two rows"
                        )
                        % {"row": earlier[0]},
                    )
                continue
            claims[customer.pk] = (row.number, row.signature)
            if not self.update_mode:
                outcome.skipped["existing"] += 1
                self._preview(outcome, row, "skip", row.values)
                continue
            changed = self._apply_changes(customer, row, tags_of, consents_of)
            if not changed:
                outcome.skipped["unchanged"] += 1
                self._preview(outcome, row, "skip", row.values)
                continue
            updates.append((customer, row, changed))
            merged = {
                key: getattr(customer, key) if key in COLUMN_DEFAULTS else value
                for key, value in row.values.items()
            }
            self._preview(outcome, row, "update", merged)
        outcome.preview.sort(key=lambda entry: entry["row"])
        outcome.created = len(creates)
        outcome.updated = len(updates)
        if not self.job.dry_run and (creates or updates):
            writer = PostgresWriter(self) if connection.vendor == "postgresql" else OrmWriter(self)
            writer.write(creates, updates, tags_of, consents_of)
        previewed = len(outcome.preview)

        def committed() -> None:
            self.claimed.update(claims)
            self.previewed += previewed

        outcome.after_commit = committed
        return outcome

    def _match(self, row: CustomerRow, by_mobile: dict, by_email: dict, outcome: ChunkOutcome):
        """The existing customer of a row, ``None`` for a new one, ``False`` if rejected."""
        mobile, email = row.values.get("mobile"), row.values.get("email")
        if mobile and mobile in by_mobile:
            return by_mobile[mobile]
        if email:
            matches = by_email.get(email, [])
            if len(matches) > 1:
                outcome.reject(
                    self.job,
                    row.number,
                    row.cells,
                    _(
                        "This email belongs to %(count)d customers; add the mobile phone to "
                        "tell which one is meant"
                    )
                    % {"count": len(matches)},
                )
                return False
            if matches:
                return matches[0]
        return None

    def _apply_changes(
        self, customer: Customer, row: CustomerRow, tags_of: dict, consents_of: dict
    ) -> list[str]:
        """Set the row's non-empty values on ``customer``; what changed (fields, "tags",
        "consent") — empty when the row adds nothing new."""
        changed = []
        for key, value in row.values.items():
            if key in COLUMN_DEFAULTS:
                value = stored_value(value)
                if getattr(customer, key) != value:
                    setattr(customer, key, value)
                    changed.append(key)
        if changed:
            customer.refresh_derived_contact_fields()
        new_tags = [
            tag for tag in row.values.get("tags", ()) if tag not in tags_of.get(customer.pk, ())
        ]
        if new_tags:
            changed.append("tags")
        for field in self.consent_fields:
            granted = row.values.get(field)
            if (
                granted is not None
                and consents_of.get((customer.pk, CONSENT_FIELDS[field])) != granted
            ):
                changed.append("consent")
                break
        return changed

    def _preview(self, outcome: ChunkOutcome, row: CustomerRow, action: str, values: dict) -> None:
        if len(outcome.preview) >= self.preview_budget:
            return
        outcome.preview.append(
            {
                "row": row.number,
                "action": action,
                "values": {key: preview_value(values[key]) for key in self.mapped if key in values},
            }
        )

    # --- values for writing -------------------------------------------------------------

    def new_customer_values(self, row: CustomerRow) -> dict:
        values = dict(COLUMN_DEFAULTS)
        for key, value in row.values.items():
            if key in values:
                values[key] = stored_value(value)
        derived = _Derived(values["mobile"], values["birthday"])
        Customer.refresh_derived_contact_fields(derived)
        values["mobile_last4"] = derived.mobile_last4
        values["birth_month"] = derived.birth_month
        return values

    def consent_changes(self, customer_id: int, row: CustomerRow, consents_of: dict) -> list:
        changes = []
        for field in self.consent_fields:
            granted = row.values.get(field)
            channel = CONSENT_FIELDS[field]
            if granted is not None and consents_of.get((customer_id, channel)) != granted:
                changes.append((customer_id, channel, granted))
        return changes

    def tag_ids(self, names: set[str]) -> dict[str, int]:
        if not names:
            return {}
        known = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
        missing = names - set(known)
        if missing:
            Tag.objects.bulk_create([Tag(name=name) for name in missing], ignore_conflicts=True)
            known.update(Tag.objects.filter(name__in=missing).values_list("name", "id"))
        return known

    def tag_links(self, pairs: list[tuple[int, CustomerRow]], tags_of: dict) -> list:
        """(customer id, tag id) pairs the rows add; existing links are left alone."""
        names = {tag for _customer_id, row in pairs for tag in row.values.get("tags", ())}
        tag_ids = self.tag_ids(names)
        return [
            (customer_id, tag_ids[tag])
            for customer_id, row in pairs
            for tag in row.values.get("tags", ())
            if tag not in tags_of.get(customer_id, ())
        ]

    @property
    def consent_note(self) -> str:
        return _("Import #%(job)d") % {"job": self.job.pk}


class OrmWriter:
    """``bulk_create``/``bulk_update`` in batches: SQLite and any other database."""

    batch_size = 500

    def __init__(self, importer: CustomerImporter) -> None:
        self.importer = importer
        self.job = importer.job
        if not connection.features.can_return_rows_from_bulk_insert:
            raise ImproperlyConfigured("Importing needs a database that returns inserted ids.")

    def write(self, creates, updates, tags_of, consents_of) -> None:
        importer, now = self.importer, self.importer.now
        new_customers = [
            Customer(
                **importer.new_customer_values(row),
                department_id=self.job.department_id,
                created_by_id=self.job.created_by_id,
            )
            for row in creates
        ]
        Customer.objects.bulk_create(new_customers, batch_size=self.batch_size)
        changed = [customer for customer, _row, _fields in updates]
        for customer in changed:
            customer.updated_at = now
        Customer.objects.bulk_update(
            changed, [*COLUMNS, *DERIVED, "updated_at"], batch_size=self.batch_size
        )
        pairs = [(c.pk, row) for c, row in zip(new_customers, creates, strict=True)]
        pairs += [(customer.pk, row) for customer, row, _fields in updates]
        tag_links = importer.tag_links(pairs, tags_of)
        Customer.tags.through.objects.bulk_create(
            [Customer.tags.through(customer_id=c, tag_id=t) for c, t in tag_links],
            batch_size=self.batch_size,
            ignore_conflicts=True,
        )
        consents = [
            ChannelConsent(
                customer_id=customer_id,
                channel=channel,
                granted=granted,
                changed_at=now,
                method=ConsentMethod.IMPORT,
                note=importer.consent_note,
                recorded_by_id=self.job.created_by_id,
            )
            for pair_id, row in pairs
            for customer_id, channel, granted in importer.consent_changes(pair_id, row, consents_of)
        ]
        ChannelConsent.objects.bulk_create(
            consents,
            batch_size=self.batch_size,
            update_conflicts=True,
            unique_fields=["customer", "channel"],
            update_fields=["granted", "changed_at", "method", "note", "recorded_by"],
        )
        for ids, change in (
            ([c.pk for c in new_customers], "created"),
            ([c.pk for c in changed], "updated"),
        ):
            audit_record_many(
                actor=self.job.created_by,
                action=AuditAction.IMPORT,
                customer_ids=ids,
                detail={"import_job": self.job.pk, "change": change},
            )


class PostgresWriter:
    """COPY into a temporary table, then one statement per target table."""

    staging = "customer_import_rows"

    def __init__(self, importer: CustomerImporter) -> None:
        self.importer = importer
        self.job = importer.job
        self.table = Customer._meta.db_table
        self.staged = ["id", *COLUMNS, *DERIVED]
        self.list_index = self.staged.index("preferred_categories")
        self.nullable = [  # id too: new rows get theirs from the insert
            self._column(name)
            for name in self.staged
            if name == "id" or Customer._meta.get_field(name).null
        ]

    def _column(self, name: str) -> str:
        return connection.ops.quote_name(Customer._meta.get_field(name).column)

    def write(self, creates, updates, tags_of, consents_of) -> None:
        importer, now = self.importer, self.importer.now
        with connection.cursor() as cursor:
            buffer = io.StringIO()
            writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
            writer.writerows(
                self._row(importer.new_customer_values(row), is_new=True) for row in creates
            )
            writer.writerows(
                self._row(customer.__dict__ | {"id": customer.pk}, is_new=False)
                for customer, _row, _fields in updates
            )
            buffer.seek(0)
            staged_columns = ", ".join(self._column(name) for name in self.staged)
            cursor.execute(
                f"CREATE TEMP TABLE {self.staging} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {staged_columns}, FALSE AS is_new FROM {self.table} WITH NO DATA"
            )
            cursor.copy_expert(
                f"COPY {self.staging} ({staged_columns}, is_new) FROM STDIN "
                f"WITH (FORMAT csv, FORCE_NULL ({', '.join(self.nullable)}))",
                buffer,
            )
            new_ids: list[int] = []
            if creates:
                # Within a chunk's new customers mobile and email are each unique (repeats
                # were caught in the file), so they tell which row got which id.
                inserted = self._insert(cursor, now)
                new_ids = [
                    inserted[(row.values.get("mobile", ""), row.values.get("email", ""))]
                    for row in creates
                ]
            if updates:
                assignments = ", ".join(
                    f"{self._column(name)} = s.{self._column(name)}" for name in self.staged[1:]
                )
                cursor.execute(
                    f"UPDATE {self.table} AS c SET {assignments}, "  # noqa: S608
                    f"{self._column('updated_at')} = %s "
                    f"FROM {self.staging} AS s WHERE c.id = s.id AND NOT s.is_new",
                    [now],
                )
            cursor.execute(f"DROP TABLE {self.staging}")
            pairs = list(zip(new_ids, creates, strict=True))
            pairs += [(customer.pk, row) for customer, row, _fields in updates]
            tag_links = importer.tag_links(pairs, tags_of)
            if tag_links:
                through = Customer.tags.through._meta.db_table
                cursor.execute(
                    f"INSERT INTO {through} (customer_id, tag_id) "  # noqa: S608
                    "SELECT * FROM unnest(%s::bigint[], %s::bigint[]) ON CONFLICT DO NOTHING",
                    [[c for c, _t in tag_links], [t for _c, t in tag_links]],
                )
            consents = [
                change
                for customer_id, row in pairs
                for change in importer.consent_changes(customer_id, row, consents_of)
            ]
            if consents:
                cursor.execute(
                    f"INSERT INTO {ChannelConsent._meta.db_table} "  # noqa: S608
                    "(customer_id, channel, granted, changed_at, method, note, recorded_by_id) "
                    "SELECT u.customer_id, u.channel, u.granted, %s, %s, %s, %s "
                    "FROM unnest(%s::bigint[], %s::text[], %s::boolean[]) "
                    "AS u(customer_id, channel, granted) "
                    "ON CONFLICT (customer_id, channel) DO UPDATE SET "
                    "granted = EXCLUDED.granted, changed_at = EXCLUDED.changed_at, "
                    "method = EXCLUDED.method, note = EXCLUDED.note, "
                    "recorded_by_id = EXCLUDED.recorded_by_id",
                    [
                        now,
                        ConsentMethod.IMPORT.value,
                        importer.consent_note,
                        self.job.created_by_id,
                        [c[0] for c in consents],
                        [c[1] for c in consents],
                        [c[2] for c in consents],
                    ],
                )
            self._audit(cursor, new_ids, [customer.pk for customer, _r, _f in updates], now)

    def _row(self, values: dict, *, is_new: bool) -> list:
        """One staged row for ``COPY … (FORMAT csv)``: strings quoted (so "" stays an
        empty string), NULLs forced for the nullable columns, the JSON list as text."""
        row = [values.get(name) for name in self.staged]
        row[self.list_index] = json.dumps(row[self.list_index], ensure_ascii=False)
        row.append(is_new)
        return row

    def _insert(self, cursor, now) -> dict[tuple[str, str], int]:
        """Insert the staged new customers; their ids by (mobile, email)."""
        fixed = {
            "department_id": self.job.department_id,
            "created_by_id": self.job.created_by_id,
            "status": CustomerStatus.ACTIVE.value,
            "created_at": now,
            "updated_at": now,
        }
        columns, selects, params = [], [], []
        for field in Customer._meta.concrete_fields:
            if field.primary_key:
                continue
            if field.attname in self.staged:
                columns.append(self._column(field.name))
                selects.append(f"s.{self._column(field.name)}")
            elif field.attname in fixed:
                columns.append(connection.ops.quote_name(field.column))
                selects.append("%s")
                params.append(fixed[field.attname])
            elif field.has_default() or (not field.null and field.empty_strings_allowed):
                columns.append(connection.ops.quote_name(field.column))
                selects.append("%s")
                params.append(field.get_db_prep_save(field.get_default(), connection))
            elif not field.null:
                raise ImproperlyConfigured(
                    f"Customer.{field.name} has no default; the import cannot fill it."
                )
        cursor.execute(
            f"INSERT INTO {self.table} ({', '.join(columns)}) "  # noqa: S608
            f"SELECT {', '.join(selects)} FROM {self.staging} AS s WHERE s.is_new "
            f"RETURNING id, {self._column('mobile')}, {self._column('email')}",
            params,
        )
        return {(mobile, email): pk for pk, mobile, email in cursor.fetchall()}

    def _audit(self, cursor, created: list[int], updated: list[int], now) -> None:
        """One audit entry per customer touched (PRODUCT.md: every change is audited)."""
        from carecrm.core.models import AuditEntry

        if not created and not updated:
            return
        detail = {"import_job": self.job.pk}
        cursor.execute(
            f"INSERT INTO {AuditEntry._meta.db_table} "  # noqa: S608
            "(at, actor_id, action, customer_id, object_type, object_id, detail) "
            "SELECT %s, %s, %s, u.id, 'customers.customer', u.id::text, "
            "%s::jsonb || jsonb_build_object('change', u.change) "
            "FROM unnest(%s::bigint[], %s::text[]) AS u(id, change)",
            [
                now,
                self.job.created_by_id,
                AuditAction.IMPORT.value,
                json.dumps(detail),
                created + updated,
                ["created"] * len(created) + ["updated"] * len(updated),
            ],
        )
