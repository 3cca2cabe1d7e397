"""Writing a chunk of imported customers: set-based, one statement per table.

On PostgreSQL the rows are loaded with ``COPY`` into a temporary table and written with
one ``INSERT … SELECT`` and one ``UPDATE … FROM``; tags, consents and audit entries with
one ``INSERT … SELECT unnest(…)`` each. Elsewhere (SQLite) ``bulk_create`` and
``bulk_update`` do the same in batches. No statement runs per row.
"""

import csv
import io
import json

from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from carecrm.core.audit import audit_record_many
from carecrm.core.models import AuditAction, AuditEntry
from customers.models import (
    ChannelConsent,
    ConsentMethod,
    Customer,
    CustomerKind,
    CustomerStatus,
    Source,
)

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
# What matching and updating need to know of an existing customer.
FETCHED = (
    "id",
    *COLUMNS,
    *DERIVED,
    "celebrates_lunar_birthday",
    "lunar_birth_month",
    "referred_by_id",
    "wecom_external_id",  # for the reach counts
    "push_token",
)


BASIS_FIELDS = ("basis", "basis_date", "basis_source")


def basis_values(basis) -> dict:
    """The consent record's basis fields for a consent granted on the file's basis
    (``importing_consent.ConsentBasis``), or blank ones."""
    if basis is None:
        return {"basis": "", "basis_date": None, "basis_source": ""}
    return {"basis": basis.basis, "basis_date": basis.on, "basis_source": basis.source}


class OrmWriter:
    """``bulk_create``/``bulk_update`` in batches: SQLite and any other database."""

    batch_size = 500

    def __init__(self, importer) -> None:
        self.importer = importer
        self.job = importer.job
        if not connection.features.can_return_rows_from_bulk_insert:
            raise ImproperlyConfigured("Importing needs a database that returns inserted ids.")

    def write(self, creates, updates, tags_of, consents_of) -> list[int]:
        """Write the chunk; the new customers' ids, in the order of ``creates``."""
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
        changed = [
            Customer(
                id=customer["id"],
                updated_at=now,
                **{name: customer[name] for name in (*COLUMNS, *DERIVED)},
            )
            for customer, _row, _fields in updates
        ]
        Customer.objects.bulk_update(
            changed, [*COLUMNS, *DERIVED, "updated_at"], batch_size=self.batch_size
        )
        pairs = [(c.pk, row) for c, row in zip(new_customers, creates, strict=True)]
        pairs += [(customer["id"], row) for customer, row, _fields in updates]
        tag_links = importer.tag_links(pairs, tags_of)
        Customer.tags.through.objects.bulk_create(
            [Customer.tags.through(customer_id=c, tag_id=t) for c, t in tag_links],
            batch_size=self.batch_size,
            ignore_conflicts=True,
        )
        basis = importer.basis
        consents = [
            ChannelConsent(
                customer_id=customer_id,
                channel=channel,
                granted=granted,
                changed_at=now,
                method=ConsentMethod.IMPORT,
                note=importer.consent_note,
                recorded_by_id=self.job.created_by_id,
                **(basis_values(basis) if on_basis else basis_values(None)),
            )
            for pair_id, row in pairs
            for customer_id, channel, granted, on_basis in importer.consent_changes(
                pair_id, row, consents_of
            )
        ]
        ChannelConsent.objects.bulk_create(
            consents,
            batch_size=self.batch_size,
            update_conflicts=True,
            unique_fields=["customer", "channel"],
            update_fields=[
                "granted",
                "changed_at",
                "method",
                "note",
                "recorded_by",
                *BASIS_FIELDS,
            ],
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
        return [customer.pk for customer in new_customers]


class PostgresWriter:
    """COPY into a temporary table, then one statement per target table."""

    staging = "customer_import_rows"

    def __init__(self, importer) -> None:
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

    def write(self, creates, updates, tags_of, consents_of) -> list[int]:
        """Write the chunk; the new customers' ids, in the order of ``creates``."""
        importer, now = self.importer, self.importer.now
        with connection.cursor() as cursor:
            buffer = io.StringIO()
            writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
            writer.writerows(
                self._row(importer.new_customer_values(row), is_new=True) for row in creates
            )
            writer.writerows(
                self._row(customer, is_new=False) for customer, _row, _fields in updates
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
            pairs += [(customer["id"], row) for customer, row, _fields in updates]
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
                basis = basis_values(importer.basis)
                cursor.execute(
                    f"INSERT INTO {ChannelConsent._meta.db_table} "  # noqa: S608
                    "(customer_id, channel, granted, changed_at, method, note, recorded_by_id, "
                    "basis, basis_date, basis_source) "
                    "SELECT u.customer_id, u.channel, u.granted, %s, %s, %s, %s, "
                    "CASE WHEN u.on_basis THEN %s ELSE '' END, "
                    "CASE WHEN u.on_basis THEN %s::date END, "
                    "CASE WHEN u.on_basis THEN %s ELSE '' END "
                    "FROM unnest(%s::bigint[], %s::text[], %s::boolean[], %s::boolean[]) "
                    "AS u(customer_id, channel, granted, on_basis) "
                    "ON CONFLICT (customer_id, channel) DO UPDATE SET "
                    "granted = EXCLUDED.granted, changed_at = EXCLUDED.changed_at, "
                    "method = EXCLUDED.method, note = EXCLUDED.note, "
                    "recorded_by_id = EXCLUDED.recorded_by_id, basis = EXCLUDED.basis, "
                    "basis_date = EXCLUDED.basis_date, basis_source = EXCLUDED.basis_source",
                    [
                        now,
                        ConsentMethod.IMPORT.value,
                        importer.consent_note,
                        self.job.created_by_id,
                        basis["basis"],
                        basis["basis_date"],
                        basis["basis_source"],
                        [c[0] for c in consents],
                        [c[1] for c in consents],
                        [c[2] for c in consents],
                        [c[3] for c in consents],
                    ],
                )
            self._audit(cursor, new_ids, [customer["id"] for customer, _r, _f in updates], now)
        return new_ids

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
        """One audit entry per customer touched (care programme: every change is audited)."""
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


def referrals_write(rows: list[tuple[int, int, object]]) -> None:
    """Set ``referred_by`` and ``referred_at`` for ``(customer id, referrer id, at)`` rows:
    one ``UPDATE … FROM unnest`` on PostgreSQL, ``bulk_update`` elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Customer.objects.bulk_update(
            [Customer(id=pk, referred_by_id=referrer, referred_at=at) for pk, referrer, at in rows],
            ["referred_by", "referred_at"],
            batch_size=500,
        )
        return
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS c SET referred_by_id = u.referrer, referred_at = u.at "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[]) AS u(id, referrer, at) "
            "WHERE c.id = u.id",
            [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]],
        )
