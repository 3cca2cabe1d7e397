"""Reads for data quality and privacy: duplicate groups, verification work lists and the
audit trail."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, Length, Lower, Replace, Substr, Trim
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecrm.core.keyset import SortKey
from carecrm.core.models import AuditEntry
from carecrm.core.registry import TimelineEntry
from carecrm.core.scoping import visible_to
from customers.models import (
    ContactPerson,
    ContactStatus,
    Customer,
    CustomerMerge,
    VerificationOutcome,
    VerificationTask,
)
from customers.privacy import can_see_pii, display_phone, mask_email, mask_phone
from customers.selectors import visible_customers

DUPLICATE_KINDS = {
    "phone": _("Same mobile phone"),
    "email": _("Same email"),
    "name_birthday": _("Same name and birthday"),
}


def _digits_only(expression):
    for character in ("+", " ", "-", "(", ")", "."):
        expression = Replace(expression, Value(character), Value(""))
    return expression


def _phone_key_queryset(queryset: QuerySet, field_name: str, customer_ref: str) -> QuerySet:
    """Mobile numbers in one comparable form: digits only, without the 86 / 0086 country
    prefix, so "+86 138-1234-5678", "8613812345678" and "13812345678" match."""
    return (
        queryset.exclude(**{field_name: ""})
        .annotate(phone_digits=_digits_only(F(field_name)))
        .annotate(phone_length=Length("phone_digits"))
        .annotate(
            customer_ref=F(customer_ref),
            match_key=Case(
                When(
                    phone_length=13, phone_digits__startswith="86", then=Substr("phone_digits", 3)
                ),
                When(
                    phone_length=15, phone_digits__startswith="0086", then=Substr("phone_digits", 5)
                ),
                default=F("phone_digits"),
                output_field=CharField(),
            ),
        )
    )


def _keyed_rows(user, kind: str) -> QuerySet:
    """(customer_ref, match_key, via) for every active customer the user can see."""
    customers = visible_customers(user).order_by()
    columns = ("customer_ref", "match_key", "via")
    if kind == "phone":
        own = _phone_key_queryset(customers, "mobile", "pk").annotate(via=Value("customer"))
        persons = _phone_key_queryset(
            ContactPerson.objects.filter(customer__in=customers), "mobile", "customer_id"
        ).annotate(via=Value("contact"))
        return (
            own.values_list(*columns)
            .order_by()
            .union(persons.values_list(*columns).order_by(), all=True)
        )
    if kind == "email":
        own = (
            customers.exclude(email="")
            .annotate(customer_ref=F("pk"), match_key=Lower(Trim("email")))
            .annotate(via=Value("customer"))
        )
        persons = (
            ContactPerson.objects.filter(customer__in=customers)
            .exclude(email="")
            .annotate(customer_ref=F("customer_id"), match_key=Lower(Trim("email")))
            .annotate(via=Value("contact"))
        )
        return (
            own.values_list(*columns)
            .order_by()
            .union(persons.values_list(*columns).order_by(), all=True)
        )
    if kind == "name_birthday":
        return (
            customers.filter(birthday__isnull=False)
            .exclude(name="")
            .annotate(
                customer_ref=F("pk"),
                match_key=Concat(
                    Lower(Replace(Trim("name"), Value(" "), Value(""))),
                    Value("|"),
                    Cast("birthday", CharField()),
                    output_field=CharField(),
                ),
                via=Value("customer"),
            )
            .values_list(*columns)
        )
    raise ValueError(kind)


@dataclass
class DuplicateMember:
    customer: Customer
    via: str
    contact: dict = field(default_factory=dict)


@dataclass
class DuplicateGroup:
    number: int
    key: str
    size: int
    members: list[DuplicateMember]

    @property
    def oldest(self) -> Customer:
        return min((m.customer for m in self.members), key=lambda c: c.pk)


@dataclass
class DuplicatePage:
    """One page of duplicate groups, shaped like Django's ``Page`` (it is its own
    ``paginator``) so the usual pagination template renders it."""

    number: int
    per_page: int
    count: int
    object_list: list[DuplicateGroup]

    @property
    def paginator(self) -> "DuplicatePage":
        return self

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def has_previous(self) -> bool:
        return self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def duplicate_groups_page(user, kind: str, *, number: int = 1, per_page: int = 20) -> DuplicatePage:
    """Groups of visible active customers sharing a phone, an email or a name and
    birthday, biggest first, one page at a time."""
    return DuplicateGroups(user, kind).page(number, per_page)


class DuplicateGroups:
    """The duplicate search, set-based in one statement: the keys shared by more than one
    customer come from a GROUP BY … HAVING over every visible customer (a hash aggregate,
    no sort of the whole table); only the page's groups are ranked, counted with window
    functions and joined back to their members."""

    _SQL = """
        WITH keyed AS (
            SELECT customer_ref, match_key, MAX(via) AS via
            FROM ({rows}) AS raw_rows
            WHERE match_key IS NOT NULL AND match_key <> ''
            GROUP BY customer_ref, match_key
        ),
        duplicate_keys AS (
            SELECT match_key, COUNT(*) AS members
            FROM keyed
            GROUP BY match_key
            HAVING COUNT(*) > 1
        ),
        ranked AS (
            SELECT match_key, members,
                   ROW_NUMBER() OVER (ORDER BY members DESC, match_key) AS group_no,
                   COUNT(*) OVER () AS total_groups
            FROM duplicate_keys
        ),
        shown AS (
            SELECT match_key, members, group_no, total_groups
            FROM ranked
            WHERE group_no > %s AND group_no <= %s
        )
        SELECT shown.group_no, shown.match_key, shown.members, shown.total_groups,
               keyed.customer_ref, keyed.via
        FROM shown JOIN keyed ON keyed.match_key = shown.match_key
        ORDER BY shown.group_no, keyed.customer_ref
    """
    _COUNT_SQL = """
        SELECT COUNT(*) FROM (
            SELECT match_key
            FROM (SELECT DISTINCT customer_ref, match_key FROM ({rows}) AS raw_rows
                  WHERE match_key IS NOT NULL AND match_key <> '') AS people
            GROUP BY match_key
            HAVING COUNT(*) > 1
        ) AS duplicate_keys
    """

    def __init__(self, user, kind: str):
        if kind not in DUPLICATE_KINDS:
            raise ValueError(kind)
        self.user = user
        self.kind = kind

    def _rows_sql(self) -> tuple[str, list]:
        rows_sql, rows_params = _keyed_rows(self.user, self.kind).query.sql_with_params()
        return rows_sql, list(rows_params)

    def _fetch(self, start: int, stop: int) -> list[tuple]:
        rows_sql, params = self._rows_sql()
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Two hash aggregates over every visible customer: keep them in memory.
                cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute(self._SQL.format(rows=rows_sql), [*params, start, stop])
            return cursor.fetchall()

    def count(self) -> int:
        rows_sql, params = self._rows_sql()
        with connection.cursor() as cursor:
            cursor.execute(self._COUNT_SQL.format(rows=rows_sql), params)
            return cursor.fetchone()[0]

    def page(self, number: int, per_page: int) -> DuplicatePage:
        number = max(1, number)
        rows = self._fetch((number - 1) * per_page, number * per_page)
        if rows:
            total = rows[0][3]
        elif number == 1:
            total = 0
        else:
            # Past the last page: show the last one.
            total = self.count()
            last = max(1, -(-total // per_page))
            if total and number > last:
                return self.page(last, per_page)
        groups = self._groups([(r[0], r[1], r[2], r[4], r[5]) for r in rows])
        return DuplicatePage(number=number, per_page=per_page, count=total, object_list=groups)

    def _groups(self, rows: list[tuple]) -> list[DuplicateGroup]:
        customers = {
            c.pk: c
            for c in visible_customers(self.user)
            .filter(pk__in={row[3] for row in rows})
            .select_related("department", "relationship_manager")
            .annotate(
                order_count=Count("orders", distinct=True),
                interaction_count=Count("interactions", distinct=True),
            )
        }
        pii = can_see_pii(self.user)
        groups: dict[int, DuplicateGroup] = {}
        for number, key, size, customer_id, via in rows:
            customer = customers.get(customer_id)
            if customer is None:  # changed between the two reads
                continue
            group = groups.setdefault(
                number, DuplicateGroup(number, self._display_key(key, pii), size, [])
            )
            group.members.append(DuplicateMember(customer, via, _contact(customer, pii)))
        return [g for g in groups.values() if len(g.members) > 1]

    def _display_key(self, key: str, pii: bool) -> str:
        if self.kind == "phone":
            return key if pii else mask_phone(key)
        if self.kind == "email":
            return key if pii else mask_email(key)
        name, _sep, birthday = key.rpartition("|")
        return f"{name} · {birthday}"


def _contact(customer: Customer, pii: bool) -> dict:
    if pii:
        return {"mobile": display_phone(customer.mobile), "email": customer.email}
    return {"mobile": mask_phone(customer.mobile), "email": mask_email(customer.email)}


# --- Contact verification -------------------------------------------------------------

VERIFICATION_SCOPES = ("mine", "all")


# Verification tasks are worked soonest due first, a keyset page at a time.
VERIFICATION_ORDER = SortKey("due_on")


def verification_tasks(
    user,
    *,
    scope: str = "mine",
    outcome: str | None = VerificationOutcome.PENDING,
    period: dt.date | None = None,
    overdue: bool = False,
) -> QuerySet[VerificationTask]:
    """Verification tasks the user may see: their own by default; "all" is every task of
    their department (and any assigned to them)."""
    tasks = visible_to(user, VerificationTask.objects.all())
    if scope == "mine":
        tasks = tasks.filter(assigned_to=user)
    if outcome:
        tasks = tasks.filter(outcome=outcome)
    if period:
        tasks = tasks.filter(period=period)
    if overdue:
        tasks = tasks.filter(outcome=VerificationOutcome.PENDING, due_on__lt=timezone.localdate())
    return tasks.select_related(
        "customer", "customer__department", "assigned_to", "completed_by"
    ).order_by("due_on", "pk")


def verification_periods(user) -> list[dt.date]:
    return list(
        visible_to(user, VerificationTask.objects.all())
        .order_by("-period")
        .values_list("period", flat=True)
        .distinct()[:24]
    )


# The unreachable list, the latest found first, a keyset page at a time.
UNREACHABLE_ORDER = SortKey("contact_unreachable_at", nullable=True)


def unreachable_customers(user) -> QuerySet[Customer]:
    """Active customers whose contact could not be reached at the last verification."""
    return (
        visible_customers(user)
        .filter(contact_status=ContactStatus.UNREACHABLE)
        .select_related("department", "relationship_manager")
    )


# --- Audit trail ------------------------------------------------------------------------


def audit_entries(
    *,
    customer_id: int | None = None,
    actor_id: int | None = None,
    action: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEntry]:
    """Audit entries, newest first; dates are whole days in the local time zone."""
    entries = AuditEntry.objects.select_related("actor").order_by("-pk")
    if customer_id is not None:
        entries = entries.filter(customer_id=customer_id)
    if actor_id:
        entries = entries.filter(actor_id=actor_id)
    if action:
        entries = entries.filter(action=action)
    zone = timezone.get_current_timezone()
    if date_from:
        entries = entries.filter(at__gte=dt.datetime.combine(date_from, dt.time.min, zone))
    if date_to:
        next_day = date_to + dt.timedelta(days=1)
        entries = entries.filter(at__lt=dt.datetime.combine(next_day, dt.time.min, zone))
    return entries


# The audit log is read newest first, a keyset page at a time (no OFFSET over millions
# of rows).
AUDIT_ORDER = SortKey("id")


# --- Customer timeline (registered in customers.registrations) ----------------------------


def quality_timeline(customer: Customer, user) -> Iterable[TimelineEntry]:
    """Verification outcomes and merges on the customer's 360° timeline."""
    entries = []
    for task in customer.verifications.exclude(outcome=VerificationOutcome.PENDING).select_related(
        "completed_by"
    ):
        entries.append(
            TimelineEntry(
                at=task.completed_at or timezone.now(),
                kind="verification",
                icon="patch-check" if task.outcome != "unreachable" else "telephone-x",
                title=_("Contact verification: %(outcome)s")
                % {"outcome": task.get_outcome_display()},
                detail=task.note,
                actor=str(task.completed_by or ""),
            )
        )
    for merge in CustomerMerge.objects.filter(survivor=customer).select_related("merged_by"):
        entries.append(
            TimelineEntry(
                at=merge.merged_at,
                kind="merge",
                icon="intersect",
                title=_("Duplicate record #%(id)s merged into this customer")
                % {"id": merge.merged_id},
                actor=str(merge.merged_by or ""),
            )
        )
    return entries


# --- What belongs to a customer -----------------------------------------------------------


@dataclass
class RelatedCount:
    label: str
    name: str
    counts: dict[int, int]


def related_row_counts(customer_ids: list[int]) -> list[RelatedCount]:
    """How many rows of each related table belong to each customer — what a merge moves
    and what a personal data export contains. One grouped count per table."""
    from customers.services.related_records import customer_related_tables

    result = []
    for table in customer_related_tables():
        counts = dict(
            table.model._base_manager.filter(**{f"{table.customer_field}__in": customer_ids})
            .values(table.customer_field)
            .annotate(n=Count("pk"))
            .values_list(table.customer_field, "n")
        )
        if table.is_membership:
            name = table.other_model._meta.verbose_name_plural
        elif table.model is Customer:
            name = _("Records merged into this one")
        else:
            name = table.model._meta.verbose_name_plural
        result.append(RelatedCount(label=table.label, name=str(name), counts=counts))
    return result
