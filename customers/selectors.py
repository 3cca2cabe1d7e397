"""Reads shared by customer views, the API, tasks and other apps."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce, Length
from django.http import Http404
from django.utils import timezone

from carecrm.core.counts import CountEstimate, first_page_with_count, list_count
from carecrm.core.keyset import InvalidCursor, KeysetPage, SortKey, keyset_paginate
from carecrm.core.models import AuditAction, AuditEntry
from carecrm.core.scoping import get_visible_or_404, visible_to
from customers.list_columns import clean_columns
from customers.models import (
    ContactPerson,
    Customer,
    CustomerListPreference,
    CustomerStatus,
    Interaction,
    InteractionOutcome,
    SavedCustomerView,
    StaticList,
    Tag,
)


def visible_customers(user, *, include_inactive: bool = False) -> QuerySet[Customer]:
    """Customers the user may see; merged and anonymised records are hidden by default."""
    queryset = Customer.objects.all()
    if not include_inactive:
        queryset = queryset.filter(status=CustomerStatus.ACTIVE)
    return visible_to(user, queryset)


def open_follow_ups(user) -> QuerySet[Interaction]:
    """Interactions with a follow-up date that are not resolved, of active customers in
    the user's scope."""
    return visible_to(
        user,
        Interaction.objects.filter(
            follow_up_due__isnull=False, customer__status=CustomerStatus.ACTIVE
        ).exclude(outcome=InteractionOutcome.RESOLVED),
    )


# --- the customer page and record screens ------------------------------------------------


def customer_for_page(user, pk: int, *, include_inactive: bool = True) -> Customer:
    """One customer for the 360° page (404 outside the user's scope), with what the
    profile card shows loaded up front."""
    queryset = Customer.objects.all()
    if not include_inactive:
        queryset = queryset.filter(status=CustomerStatus.ACTIVE)
    return get_visible_or_404(
        user,
        queryset.select_related(
            "department", "relationship_manager", "merged_into"
        ).prefetch_related(
            "tags",
            "consents",
            Prefetch(
                "contact_persons", queryset=ContactPerson.objects.order_by("-is_primary", "name")
            ),
        ),
        pk=pk,
    )


def customer_for_edit(user, pk: int) -> Customer:
    """An active customer the user may see; merged and anonymised records are not edited."""
    return get_visible_or_404(
        user,
        Customer.objects.filter(status=CustomerStatus.ACTIVE).select_related(
            "department", "relationship_manager"
        ),
        pk=pk,
    )


def customer_order_summary(customer: Customer) -> dict:
    """Orders on record right now (the segmentation figures are only as fresh as its run)."""
    return customer.orders.aggregate(
        order_count=Count("pk", filter=Q(amount__gte=0)),
        refund_count=Count("pk", filter=Q(amount__lt=0)),
        net_amount=Coalesce(Sum("amount"), Decimal("0"), output_field=DecimalField()),
        last_ordered_at=Max("ordered_at"),
    )


def interaction_for(user, pk: int) -> Interaction:
    return get_visible_or_404(
        user, Interaction.objects.select_related("customer", "staff", "resolved_by"), pk=pk
    )


def contact_person_for(user, pk: int) -> ContactPerson:
    return get_visible_or_404(
        user,
        ContactPerson.objects.select_related("customer").filter(
            customer__status=CustomerStatus.ACTIVE
        ),
        pk=pk,
    )


FOLLOW_UP_ORDER = SortKey("follow_up_due")


def follow_ups_for(
    user, *, mine: bool = False, kind: str = "", overdue_only: bool = False
) -> QuerySet[Interaction]:
    """Open follow-ups of active customers, most overdue first."""
    queryset = open_follow_ups(user)
    if mine:
        queryset = queryset.filter(Q(staff=user) | Q(customer__relationship_manager=user))
    if kind:
        queryset = queryset.filter(kind=kind)
    if overdue_only:
        queryset = queryset.filter(follow_up_due__lt=timezone.localdate())
    return queryset.select_related("customer", "staff").order_by("follow_up_due", "pk")


# --- The customer list (keyset-paginated, see carecrm.core.keyset) ---------------------

CUSTOMER_SORTS: dict[str, SortKey] = {
    "id": SortKey("id"),
    "name": SortKey("name"),
    "last_purchase": SortKey("last_purchase_on", nullable=True),
    "total_spend": SortKey("total_spend"),
    "registered": SortKey("registered_on", nullable=True),
}
DEFAULT_CUSTOMER_SORT = "-id"
CUSTOMER_PAGE_SIZES = (25, 50, 100)


@dataclass(frozen=True)
class CustomerSort:
    """A sort parameter such as ``-last_purchase``: column name, minus for descending."""

    name: str
    descending: bool

    @classmethod
    def parse(cls, value: str | None) -> "CustomerSort":
        value = value or DEFAULT_CUSTOMER_SORT
        name = value.removeprefix("-")
        if name not in CUSTOMER_SORTS:
            return cls.parse(DEFAULT_CUSTOMER_SORT)
        return cls(name, value.startswith("-"))

    @property
    def key(self) -> SortKey:
        return CUSTOMER_SORTS[self.name]

    @property
    def param(self) -> str:
        return f"-{self.name}" if self.descending else self.name


def customer_list_page(
    queryset: QuerySet[Customer],
    *,
    sort: CustomerSort,
    size: int,
    after: str | None = None,
    before: str | None = None,
) -> KeysetPage:
    """One page of an already scoped and filtered customer queryset, with what the table
    shows loaded in a fixed number of queries. An unreadable cursor gives the first page."""
    queryset = _with_table_relations(queryset)
    try:
        return keyset_paginate(
            queryset,
            key=sort.key,
            descending=sort.descending,
            size=size,
            after=after,
            before=before,
        )
    except InvalidCursor:
        return keyset_paginate(queryset, key=sort.key, descending=sort.descending, size=size)


def _with_table_relations(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    return queryset.select_related("relationship_manager", "department").prefetch_related("tags")


def customer_first_page(
    queryset: QuerySet[Customer], *, sort: CustomerSort, size: int
) -> tuple[KeysetPage, CountEstimate]:
    """The first page of the list and its size; a search with few matches reads them once
    (see ``carecrm.core.counts.first_page_with_count``)."""
    return first_page_with_count(
        _with_table_relations(queryset), key=sort.key, descending=sort.descending, size=size
    )


def customer_count_estimate(
    queryset: QuerySet[Customer], *, page: KeysetPage, first_page: bool
) -> CountEstimate:
    """The size of the filtered list without ``COUNT(*)`` over a million rows (the one
    count helper every long list uses, see ``carecrm.core.counts``)."""
    return list_count(queryset, page=page, first_page=first_page)


def selected_customers(
    *, scoped: QuerySet[Customer], filtered: QuerySet[Customer], ids: list[int], select_all: bool
) -> QuerySet[Customer]:
    """The customers a bulk action or export applies to: every row of the filtered list
    ("all N matching"), or the ticked ids — but only those within the user's scope."""
    if select_all:
        return filtered
    return scoped.filter(pk__in=ids)


# --- Static lists --------------------------------------------------------------------


def visible_static_lists(user) -> QuerySet[StaticList]:
    return visible_to(
        user,
        StaticList.objects.select_related("department", "created_by").annotate(
            member_count=Count("customers")
        ),
    )


def static_list_members(*, static_list: StaticList, user) -> QuerySet[Customer]:
    """Members of a list the user may see (a list can hold customers of another scope)."""
    membership = StaticList.customers.through.objects.filter(
        staticlist_id=static_list.pk, customer_id=OuterRef("pk")
    )
    return visible_customers(user, include_inactive=True).filter(Exists(membership))


# --- calling: shown phone numbers, and tag suggestions ---------------------------------


def _phone_reveals(user, *, since):
    return AuditEntry.objects.filter(actor=user, action=AuditAction.PHONE_REVEAL, at__gte=since)


def phone_reveal_count(user, *, since) -> int:
    """How many full phone numbers ``user`` had shown since ``since``: one indexed
    ``COUNT`` over the audit trail (``audit_actor_at``)."""
    return _phone_reveals(user, since=since).count()


def phone_reveal_at(user, *, since, position: int):
    """When the ``position``-th (from 0, oldest first) of those reveals happened."""
    return (
        _phone_reveals(user, since=since)
        .order_by("at")
        .values_list("at", flat=True)[position : position + 1]
        .first()
    )


TAG_SUGGESTIONS = 8


def tags_in_scope(user) -> QuerySet[Tag]:
    """Tags on at least one active customer the user may see (a tag only another
    department uses is not theirs to pick); admins get every tag."""
    tags = Tag.objects.all()
    if user.is_admin_role:
        return tags
    tagged = Customer.tags.through.objects.filter(
        tag_id=OuterRef("pk"), customer__in=visible_customers(user).values("pk")
    )
    return tags.filter(Exists(tagged))


def tag_suggestions(user, text: str, *, limit: int = TAG_SUGGESTIONS) -> list[str]:
    """Names of tags in the user's scope containing ``text``, shortest and then
    alphabetical first."""
    text = (text or "").strip()
    tags = tags_in_scope(user)
    if text:
        tags = tags.filter(name__icontains=text)
    return list(
        tags.annotate(length=Length("name"))
        .order_by("length", "name")
        .values_list("name", flat=True)[:limit]
    )


# --- the customer list's columns and saved views (private to their owner) -----------------


def list_columns_of(user) -> list[str]:
    """The columns ``user`` last chose for the customer list (the default set if none)."""
    stored = (
        CustomerListPreference.objects.filter(user=user).values_list("columns", flat=True).first()
    )
    return clean_columns(stored, user)


def saved_views_of(user) -> QuerySet[SavedCustomerView]:
    """The user's own saved views; nobody else's, whatever their role."""
    if user is None or not user.is_authenticated:
        return SavedCustomerView.objects.none()
    return SavedCustomerView.objects.filter(owner=user).order_by("name", "pk")


def saved_view_for(user, pk: int) -> SavedCustomerView:
    """One of the user's own saved views; 404 for anyone else's (not even an admin opens
    another user's view, nor learns that it exists)."""
    view = saved_views_of(user).filter(pk=pk).first()
    if view is None:
        raise Http404("saved view")
    return view
