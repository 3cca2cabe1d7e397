"""Reading referrals (``Customer.referred_by``) in a user's scope: the list with its
filters, a customer's own figures, and the figures per relationship manager.

A referral is listed when the user can see the referred customer. The referrer may be a
customer of another department: the pages then say so without naming them.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from carecrm.core.keyset import SortKey
from carecrm.core.scoping import visible_to
from customers.filters import customer_search_condition
from customers.models import Customer, CustomerStatus
from customers.privacy import can_see_pii
from customers.selectors import visible_customers
from loyalty.models import EntryKind, PointsEntry
from loyalty.selectors.settings import VIP_LEVELS

ZERO = Value(0, output_field=BigIntegerField())


def _bonus(field: str):
    return Subquery(
        PointsEntry.objects.filter(kind=EntryKind.REFERRAL, referral=OuterRef("pk")).values(field)[
            :1
        ]
    )


@dataclass(frozen=True)
class ReferralFilters:
    q: str = ""
    vip: str = ""  # "yes": referred customers who are VIPs now, "no": the others
    bonus: str = ""  # "granted" or "pending" (a VIP whose referrer has no bonus yet)
    manager: int | None = None  # the referred customer's relationship manager
    referrer: int | None = None
    referred_from: dt.date | None = None
    referred_to: dt.date | None = None


# Referrals are listed the latest first, a keyset page at a time along the customer index
# on (referred_at, id) of referred customers.
REFERRAL_ORDER = SortKey("referred_at", nullable=True)


def referral_list(user, filters: ReferralFilters | None = None) -> QuerySet[Customer]:
    """Referred customers the user sees, the latest referral first, with the bonus their
    referral brought (``bonus_points``, ``bonus_at``; empty while none)."""
    filters = filters or ReferralFilters()
    rows = (
        visible_customers(user)
        .filter(referred_by__isnull=False)
        .select_related("referred_by", "relationship_manager", "department")
        .annotate(bonus_points=_bonus("points"), bonus_at=_bonus("created_at"))
        .order_by("-referred_at", "-pk")
    )
    if filters.q:
        condition = customer_search_condition(filters.q, sees_contact=can_see_pii(user))
        rows = rows.filter(condition | Q(referred_by__in=visible_customers(user).filter(condition)))
    if filters.vip == "yes":
        rows = rows.filter(vip_level__in=VIP_LEVELS)
    elif filters.vip == "no":
        rows = rows.exclude(vip_level__in=VIP_LEVELS)
    claimed = PointsEntry.objects.filter(kind=EntryKind.REFERRAL, referral=OuterRef("pk"))
    if filters.bonus == "granted":
        rows = rows.filter(Exists(claimed))
    elif filters.bonus == "pending":
        rows = rows.filter(~Exists(claimed), vip_level__in=VIP_LEVELS)
    if filters.manager:
        rows = rows.filter(relationship_manager_id=filters.manager)
    if filters.referrer:
        rows = rows.filter(referred_by_id=filters.referrer)
    if filters.referred_from:
        rows = rows.filter(referred_at__date__gte=filters.referred_from)
    if filters.referred_to:
        rows = rows.filter(referred_at__date__lte=filters.referred_to)
    return rows


def visible_ids(user, customer_ids) -> set[int]:
    """Which of these customers the user may see (one query): a referrer outside it is
    shown without a name or a link."""
    ids = {pk for pk in customer_ids if pk}
    if not ids:
        return set()
    return set(visible_to(user, Customer.objects.filter(pk__in=ids)).values_list("pk", flat=True))


@dataclass(frozen=True)
class ReferralStats:
    referrer_id: int | None
    referrer_name: str  # "" when the user may not see the referrer
    referred: int  # customers this one brought in (active ones)
    vip: int  # of whom VIPs now
    bonus_points: int  # referral bonus points this customer received


def referral_stats(customer: Customer, user) -> ReferralStats:
    """One customer's referral figures, in one query."""
    bonus = (
        PointsEntry.objects.filter(customer=OuterRef("pk"), kind=EntryKind.REFERRAL)
        .order_by()
        .values("customer")
        .annotate(total=Sum("points"))
        .values("total")
    )
    active = Q(referrals__status=CustomerStatus.ACTIVE)
    row = (
        Customer.objects.filter(pk=customer.pk)
        .annotate(
            referred=Count("referrals", filter=active, distinct=True),
            vip=Count(
                "referrals",
                filter=active & Q(referrals__vip_level__in=VIP_LEVELS),
                distinct=True,
            ),
            bonus_points=Coalesce(Subquery(bonus), ZERO),
            referrer_visible=Exists(
                visible_to(user, Customer.objects.filter(pk=OuterRef("referred_by_id")))
            ),
        )
        .values("referred", "vip", "bonus_points", "referrer_visible", "referred_by__name")
        .get()
    )
    return ReferralStats(
        referrer_id=customer.referred_by_id,
        referrer_name=(row["referred_by__name"] or "") if row["referrer_visible"] else "",
        referred=row["referred"],
        vip=row["vip"],
        bonus_points=row["bonus_points"],
    )


@dataclass(frozen=True)
class ManagerReferrals:
    manager_id: int | None
    manager_name: str
    referrers: int  # their customers who brought someone in
    referred: int  # customers those brought in
    vip: int  # of whom VIPs now
    bonus_points: int  # referral bonus points their customers received


def manager_referral_stats(user, *, since: dt.date | None = None) -> list[ManagerReferrals]:
    """Referrals among each relationship manager's customers (the referrers' manager),
    for the referrers the user sees; ``since`` counts referrals made from that day."""
    referrals = Q(referrals__status=CustomerStatus.ACTIVE)
    bonus = Q(kind=EntryKind.REFERRAL)
    if since:
        referrals &= Q(referrals__referred_at__date__gte=since)
        bonus &= Q(referral__referred_at__date__gte=since)
    rows = (
        visible_customers(user)
        .filter(referrals)
        .order_by()
        .values(
            "relationship_manager",
            "relationship_manager__display_name",
            "relationship_manager__username",
        )
        .annotate(
            referrers=Count("pk", distinct=True),
            referred=Count("referrals", distinct=True),
            vip=Count("referrals", filter=Q(referrals__vip_level__in=VIP_LEVELS), distinct=True),
        )
    )
    points = dict(
        visible_to(user, PointsEntry.objects.filter(bonus))
        .order_by()
        .values("customer__relationship_manager")
        .annotate(total=Sum("points"))
        .values_list("customer__relationship_manager", "total")
    )
    result = [
        ManagerReferrals(
            manager_id=row["relationship_manager"],
            manager_name=row["relationship_manager__display_name"]
            or row["relationship_manager__username"]
            or "",
            referrers=row["referrers"],
            referred=row["referred"],
            vip=row["vip"],
            bonus_points=points.get(row["relationship_manager"], 0) or 0,
        )
        for row in rows
    ]
    return sorted(result, key=lambda r: (-r.referred, r.manager_name))


def referrer_candidates(user, search: str, *, exclude: int | None = None) -> QuerySet[Customer]:
    """Active customers the user sees matching a search (name, mobile, last 4 digits,
    email), to pick as a referrer."""
    search = (search or "").strip()
    if not search:
        return Customer.objects.none()
    found = visible_customers(user).filter(
        customer_search_condition(search, sees_contact=can_see_pii(user))
    )
    if exclude:
        found = found.exclude(pk=exclude)
    return found.order_by("name", "pk")
