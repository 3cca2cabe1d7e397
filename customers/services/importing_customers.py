"""Customer rows: cleaning, and de-duplication in the file and against the database.

Matching follows care programme §1 and issue 4: a row is the same customer as another row or
an active customer when its normalised mobile phone matches, or else its email. A match
in a department the importing user cannot see rejects the row; an identical repeat of an
earlier row is skipped; a repeat with different details is rejected (the file contradicts
itself and nobody can tell which row is right).

Writing is set-based and lives in ``importing_writers``.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import (
    ChannelConsent,
    Customer,
    CustomerStatus,
    ExistingCustomerMode,
    ImportJob,
    Tag,
)
from customers.services.importing import PREVIEW_ROWS, ChunkOutcome, ImportScope
from customers.services.importing_consent import ConsentBasis, reach_count
from customers.services.importing_fields import CONSENT_FIELDS, CUSTOMER_FIELDS
from customers.services.importing_files import oversized_cell
from customers.services.importing_values import CellError, cell_text
from customers.services.importing_writers import (
    COLUMN_DEFAULTS,
    FETCHED,
    OrmWriter,
    PostgresWriter,
    referrals_write,
)
from customers.services.referrals import closes_a_circle, referral_parents

_MISSING = object()
CACHE_SIZE = 20_000


@dataclass(slots=True)
class CustomerRow:
    number: int
    cells: list
    values: dict
    signature: int = 0
    reason: str = ""
    duplicate_of: int = 0
    referrer: tuple | None = None  # the referrer's node (see ``_ReferrerLookup``) to write


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

    def __init__(
        self, mobile: str, birthday, *, celebrates_lunar_birthday=False, lunar_birth_month=None
    ) -> None:
        self.mobile = mobile
        self.birthday = birthday
        self.celebrates_lunar_birthday = celebrates_lunar_birthday
        self.lunar_birth_month = lunar_birth_month


def stored_value(value):
    """A cleaned value as the model stores it (tuples of tags/categories become lists)."""
    return list(value) if isinstance(value, tuple) else value


def preview_value(value):
    if isinstance(value, tuple | list):
        return ", ".join(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class _ReferrerLookup:
    """The referrers a chunk names, resolved in two queries: by customer ID and by mobile
    phone, each customer's visibility to the importing user, and the referral chains above
    them. A referrer is a node: ``("c", id)`` for a customer on record, ``("m", mobile)``
    for one an earlier row of the file adds (not written yet in a dry run, or in this
    chunk)."""

    def __init__(self, importer: "CustomerImporter", rows: list["CustomerRow"]) -> None:
        refs = [row.values["referrer"] for row in rows if "referrer" in row.values]
        ids = {ref for ref in refs if isinstance(ref, int)}
        mobiles = {ref for ref in refs if isinstance(ref, str)}
        self.by_id: dict[int, bool] = {}
        self.by_mobile: dict[str, tuple[int, bool]] = {}
        if ids or mobiles:
            visible = (
                Value(True)
                if importer.scope_filter is None
                else ExpressionWrapper(importer.scope_filter, output_field=BooleanField())
            )
            found = (
                Customer.objects.filter(status=CustomerStatus.ACTIVE)
                .filter(ids_in("pk", sorted(ids)) | active_with_contacts(mobiles, set()))
                .annotate(is_visible=visible)
                .values_list("pk", "mobile", "is_visible")
            )
            for pk, mobile, is_visible in found:
                if pk in ids:
                    self.by_id[pk] = is_visible
                if mobile in mobiles:
                    self.by_mobile[mobile] = (pk, is_visible)
        self.known_mobiles = importer.added_mobiles
        # Chains above every referrer on record, and above the first customer on record
        # up the in-file chains of the others (a dry run has not written them).
        roots = {pk for pk, is_visible in self.by_id.items() if is_visible}
        roots |= {pk for pk, is_visible in self.by_mobile.values() if is_visible}
        for node in list(importer.graph.values()):
            while node is not None and node[0] != "c":
                node = importer.graph.get(node)
            if node is not None:
                roots.add(node[1])
        self.graph: dict = {
            ("c", pk): ("c", parent) if parent else None
            for pk, parent in referral_parents(roots).items()
        }
        self.graph.update(importer.graph)

    def node_for(self, ref: int | str, added: set[str]) -> tuple | None:
        """The referrer's node, or ``None`` when no customer the user can see is meant."""
        if isinstance(ref, int):
            return ("c", ref) if self.by_id.get(ref) else None
        if ref in self.by_mobile:
            pk, is_visible = self.by_mobile[ref]
            return ("c", pk) if is_visible else None
        if ref in added or ref in self.known_mobiles:
            return ("m", ref)
        return None


def active_with_contacts(mobiles: set[str], emails: set[str]) -> Q:
    """Active customers having one of these mobile phones or emails. On PostgreSQL two
    array parameters replace one bound parameter per value (a 5,000-row chunk), and the
    mobile branch repeats the unique index's condition so that index is used."""
    if connection.vendor != "postgresql":
        return Q(mobile__in=mobiles) | Q(email__in=emails)
    table = Customer._meta.db_table
    return Q(
        pk__in=RawSQL(  # noqa: S611 (constant SQL, the values are bound parameters)
            f"SELECT id FROM {table} WHERE status = 'active' AND NOT (mobile = '') "  # noqa: S608
            f"AND mobile = ANY(%s) UNION ALL SELECT id FROM {table} WHERE email = ANY(%s)",
            [sorted(mobiles), sorted(emails)],
        )
    )


def ids_in(field: str, ids: list[int]) -> Q:
    """``field IN ids`` — on PostgreSQL as one array parameter, which Django compiles and
    PostgreSQL plans far faster than thousands of bound values."""
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": ids})
    return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", [list(ids)])})


class CustomerImporter:
    def __init__(
        self, *, job: ImportJob, columns: list[str], mapping: dict[str, str], scope: ImportScope
    ) -> None:
        self.job = job
        self.columns = columns
        self.width = len(columns)
        self.plan = sorted(
            (
                columns.index(column),
                field,
                CUSTOMER_FIELDS[field].text_length,
                CUSTOMER_FIELDS[field],
            )
            for column, field in mapping.items()
            if field
        )
        self.mapped = [field for field in mapping.values() if field]
        self.update_mode = job.existing_mode == ExistingCustomerMode.UPDATE
        self.scope_filter = scope.customer_filter()
        self.now = timezone.now()
        self.seen_mobile: dict[str, tuple[int, int]] = {}
        self.seen_email: dict[str, tuple[int, int]] = {}
        self.claimed: dict[int, tuple[int, int]] = {}
        self.previewed = len(job.preview)
        self.preview_budget = PREVIEW_ROWS - self.previewed
        # Most columns repeat a few values (性别, 来源, 同意短信, dates): remember each distinct
        # cell's result instead of cleaning it again. Names and contacts are unique, not
        # worth it.
        self.caches: dict[str, dict] = {
            key: {} for key in self.mapped if key not in ("name", "mobile", "email")
        }
        self.has_tags = "tags" in self.mapped
        self.consent_fields = [field for field in self.mapped if field in CONSENT_FIELDS]
        self.basis = ConsentBasis.of(job)
        self.basis_channels = tuple(self.basis.channels) if self.basis else ()
        self.has_referrer = "referrer" in self.mapped
        # Mobiles of the customers earlier chunks added, and the referrals they set: a
        # later row may name them as referrer (in a dry run nothing is on record).
        self.added_mobiles: set[str] = set()
        self.graph: dict = {}

    # --- reading ------------------------------------------------------------------------

    def _clean(self, cells: list) -> tuple[dict, list[str]]:
        values: dict = {}
        errors: list[str] = []
        failed_contact = failed_name = False
        if too_long := oversized_cell(cells, self.columns):
            return values, [too_long]
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
            cache = self.caches.get(key)
            value = cache.get(raw, _MISSING) if cache is not None else _MISSING
            if value is _MISSING:
                try:
                    value = field.clean(raw, label=field.label)
                except CellError as exc:
                    value = exc
                if cache is not None and len(cache) < CACHE_SIZE:
                    cache[raw] = value
            if value.__class__ is CellError:
                errors.append(str(value))
                failed_contact = failed_contact or key in ("mobile", "email")
                failed_name = failed_name or key == "name"
                continue
            if value is None or value == "" or value == ():
                continue
            values[key] = value
        if "name" not in values and not failed_name:
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

    def _existing(self, rows: list[CustomerRow]) -> list[dict]:
        """The active customers the rows may match, as dicts (no model instances: a chunk
        can match thousands), locked for the chunk's transaction unless a dry run."""
        mobiles = {row.values["mobile"] for row in rows if "mobile" in row.values}
        emails = {row.values["email"] for row in rows if "email" in row.values}
        if not mobiles and not emails:
            return []
        visible = (
            Value(True)
            if self.scope_filter is None
            else ExpressionWrapper(self.scope_filter, output_field=BooleanField())
        )
        contact = active_with_contacts(mobiles, emails)
        queryset = (
            Customer.objects.filter(status=CustomerStatus.ACTIVE)
            .filter(contact)
            .annotate(is_visible=visible)
            .order_by("pk")
            .values(*FETCHED, "is_visible")
        )
        if not self.job.dry_run:
            queryset = queryset.select_for_update(of=("self",))
        return list(queryset)

    def _related(self, customer_ids: list[int]) -> tuple[dict, dict]:
        tags: dict[int, set[str]] = defaultdict(set)
        consents: dict[tuple[int, str], bool] = {}
        if customer_ids and self.has_tags:
            links = Customer.tags.through.objects.filter(ids_in("customer_id", customer_ids))
            for customer_id, name in links.values_list("customer_id", "tag__name"):
                tags[customer_id].add(name)
        if customer_ids:  # every channel: the reach counts read them too
            rows = ChannelConsent.objects.filter(ids_in("customer_id", customer_ids))
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
        by_mobile = {customer["mobile"]: customer for customer in existing if customer["mobile"]}
        by_email: dict[str, list[dict]] = defaultdict(list)
        for customer in existing:
            if customer["email"]:
                by_email[customer["email"]].append(customer)
        tags_of, consents_of = self._related([c["id"] for c in existing])
        # Each row's customer as it will be, and its consents: the reach counts.
        states: list[tuple[dict, dict]] = []

        creates: list[CustomerRow] = []
        updates: list[tuple[dict, CustomerRow, list[str]]] = []
        claims: dict[int, tuple[int, int]] = {}
        self.preview_budget = PREVIEW_ROWS - self.previewed
        referrers = _ReferrerLookup(self, candidates) if self.has_referrer else None
        added: set[str] = set()
        edges: dict = {}
        for row in candidates:
            row.referrer = None
            customer = self._match(row, by_mobile, by_email, outcome)
            if customer is False:
                continue
            if customer is None:
                mobile = row.values.get("mobile")
                node = ("m", mobile) if mobile else ("row", row.number)
                if referrers and (problem := self._referrer(row, node, None, referrers, added)):
                    outcome.reject(self.job, row.number, row.cells, problem)
                    continue
                if row.referrer is not None:
                    edges[node] = row.referrer
                if mobile:
                    added.add(mobile)
                creates.append(row)
                states.append((row.values, self.consents_after(None, row, consents_of)))
                self._preview(outcome, row, "create", row.values, states[-1][1])
                continue
            if not customer["is_visible"]:
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
            customer_id = customer["id"]
            earlier = claims.get(customer_id) or self.claimed.get(customer_id)
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
            if not self.update_mode:
                claims[customer_id] = (row.number, row.signature)
                states.append((customer, self.consents_after(customer_id, None, consents_of)))
                outcome.skipped["existing"] += 1
                self._preview(outcome, row, "skip", row.values)
                continue
            node = ("c", customer_id)
            if referrers and (problem := self._referrer(row, node, customer, referrers, added)):
                outcome.reject(self.job, row.number, row.cells, problem)
                continue
            claims[customer_id] = (row.number, row.signature)
            changed = self._apply_changes(customer, row, tags_of, consents_of)
            if row.referrer is not None:
                edges[node] = row.referrer
                changed.append("referrer")
            states.append((customer, self.consents_after(customer_id, row, consents_of)))
            if not changed:
                outcome.skipped["unchanged"] += 1
                self._preview(outcome, row, "skip", row.values)
                continue
            updates.append((customer, row, changed))
            merged = {
                key: customer[key] if key in COLUMN_DEFAULTS else value
                for key, value in row.values.items()
            }
            self._preview(outcome, row, "update", merged, states[-1][1])
        outcome.preview.sort(key=lambda entry: entry["row"])
        outcome.reach = reach_count(states)
        outcome.created = len(creates)
        outcome.updated = len(updates)
        if not self.job.dry_run and (creates or updates):
            writer_class = PostgresWriter if connection.vendor == "postgresql" else OrmWriter
            writer = writer_class(self)
            new_ids = writer.write(creates, updates, tags_of, consents_of)
            if referrers:
                self._write_referrals(creates, new_ids, updates)
        previewed = len(outcome.preview)

        def committed() -> None:
            self.claimed.update(claims)
            self.previewed += previewed
            self.added_mobiles |= added
            self.graph.update(edges)

        outcome.after_commit = committed
        return outcome

    # --- referrers ------------------------------------------------------------------------

    def _referrer(
        self,
        row: CustomerRow,
        node: tuple,
        customer: dict | None,
        referrers: _ReferrerLookup,
        added: set[str],
    ) -> str:
        """Why the row's referrer cannot be recorded (``""``: it can, or there is none);
        sets ``row.referrer`` to the node to write."""
        ref = row.values.get("referrer")
        if ref is None:
            return ""
        if isinstance(ref, str) and ref == row.values.get("mobile"):
            return _("A customer cannot be their own referrer")
        target = referrers.node_for(ref, added)
        if target is None:
            if isinstance(ref, int):
                return _("Unknown referrer: no customer you can see has the customer ID %(id)d") % {
                    "id": ref
                }
            return _(
                "Unknown referrer: no customer you can see has the mobile phone %(mobile)s, "
                "and no earlier row of the file adds one"
            ) % {"mobile": ref}
        if target == node:
            return _("A customer cannot be their own referrer")
        current = customer.get("referred_by_id") if customer else None
        if current is not None:
            if ("c", current) == target:
                return ""  # already recorded
            return _(
                "Already referred by customer %(id)d; change the referrer on the customer page"
            ) % {"id": current}
        if closes_a_circle(referrers.graph, node, target):
            return _(
                "This referrer was referred, directly or through others, by this customer; "
                "referrals cannot go round in a circle"
            )
        referrers.graph[node] = target
        row.referrer = target
        return ""

    def _write_referrals(self, creates: list[CustomerRow], new_ids: list[int], updates) -> None:
        """Record the referrers of the rows just written, in one statement."""
        links = [(pk, row) for pk, row in zip(new_ids, creates, strict=True) if row.referrer]
        links += [(customer["id"], row) for customer, row, _fields in updates if row.referrer]
        if not links:
            return
        mobiles = {row.referrer[1] for _pk, row in links if row.referrer[0] == "m"}
        by_mobile = dict(
            Customer.objects.filter(status=CustomerStatus.ACTIVE, mobile__in=mobiles).values_list(
                "mobile", "pk"
            )
            if mobiles
            else []
        )
        rows = []
        for pk, row in links:
            kind, value = row.referrer
            referrer_id = value if kind == "c" else by_mobile.get(value)
            if referrer_id is None or referrer_id == pk:
                continue
            registered = row.values.get("registered_on")
            at = (
                timezone.make_aware(dt.datetime.combine(registered, dt.time(12)))
                if registered
                else self.now
            )
            rows.append((pk, referrer_id, at))
        referrals_write(rows)

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
        self, customer: dict, row: CustomerRow, tags_of: dict, consents_of: dict
    ) -> list[str]:
        """Put the row's non-empty values into ``customer``; what changed (fields, "tags",
        "consent") — empty when the row adds nothing new."""
        changed = []
        for key, value in row.values.items():
            if key in COLUMN_DEFAULTS:
                value = stored_value(value)
                if customer[key] != value:
                    customer[key] = value
                    changed.append(key)
        if changed:
            derived = _Derived(
                customer["mobile"],
                customer["birthday"],
                celebrates_lunar_birthday=customer["celebrates_lunar_birthday"],
                lunar_birth_month=customer["lunar_birth_month"],
            )
            Customer.refresh_derived_contact_fields(derived)
            customer["mobile_last4"] = derived.mobile_last4
            customer["birth_month"] = derived.birth_month
        customer_id = customer["id"]
        new_tags = [
            tag for tag in row.values.get("tags", ()) if tag not in tags_of.get(customer_id, ())
        ]
        if new_tags:
            changed.append("tags")
        if self.consent_changes(customer_id, row, consents_of):
            changed.append("consent")
        return changed

    def _preview(
        self,
        outcome: ChunkOutcome,
        row: CustomerRow,
        action: str,
        values: dict,
        consents: dict | None = None,
    ) -> None:
        """One row of the preview; ``consents`` (after the import) shows the consents the
        file's basis grants as well as those of the file's columns."""
        if len(outcome.preview) >= self.preview_budget:
            return
        shown = {key: preview_value(values[key]) for key in self.mapped if key in values}
        for channel in self.basis_channels:
            if consents and channel in consents:
                shown.setdefault(f"consent_{channel}", consents[channel])
        outcome.preview.append({"row": row.number, "action": action, "values": shown})

    # --- values for writing -------------------------------------------------------------

    def new_customer_values(self, row: CustomerRow) -> dict:
        values = COLUMN_DEFAULTS | {
            key: value for key, value in row.values.items() if key in COLUMN_DEFAULTS
        }
        values["preferred_categories"] = list(values["preferred_categories"])
        derived = _Derived(values["mobile"], values["birthday"])
        Customer.refresh_derived_contact_fields(derived)
        values["mobile_last4"] = derived.mobile_last4
        values["birth_month"] = derived.birth_month
        return values

    def consent_changes(self, customer_id: int, row: CustomerRow, consents_of: dict) -> list:
        """``(customer id, channel, granted, on the file's basis)`` for each consent the
        row changes: its consent columns first; then, for a channel the file's basis
        covers, granted on that basis — unless the row or an earlier decision on record
        says otherwise (a basis never overrides a customer's own refusal)."""
        changes = []
        for field in self.consent_fields:
            granted = row.values.get(field)
            channel = CONSENT_FIELDS[field]
            if granted is not None and consents_of.get((customer_id, channel)) != granted:
                changes.append((customer_id, channel, granted, False))
        for channel in self.basis_channels:
            if row.values.get(f"consent_{channel}") is None and (
                (customer_id, channel) not in consents_of
            ):
                changes.append((customer_id, channel, True, True))
        return changes

    def consents_after(self, customer_id: int | None, row: CustomerRow | None, consents_of):
        """``{channel: granted}`` of a customer once the row is imported (``row`` ``None``:
        the row leaves the customer alone, as when existing customers are skipped)."""
        after = {
            channel: consents_of[(customer_id, channel)]
            for channel in CONSENT_FIELDS.values()
            if customer_id is not None and (customer_id, channel) in consents_of
        }
        if row is not None:
            for _id, channel, granted, _basis in self.consent_changes(
                customer_id or 0, row, consents_of if customer_id is not None else {}
            ):
                after[channel] = granted
        return after

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
