"""Reading points: a customer's balance, ledger and what expires soon; the programme's
figures in a user's scope; and the check that every balance is the sum of its ledger."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from carecrm.core.keyset import SortKey
from carecrm.core.scoping import visible_to
from customers.models import Customer
from loyalty.models import EntryKind, LoyaltySettings, PointsAccount, PointsEntry
from loyalty.selectors.settings import expiry_cutoff, level_rank, loyalty_settings

# How far ahead the customer page warns of points about to expire.
EXPIRY_WARNING_DAYS = 30
ZERO = Value(0, output_field=BigIntegerField())
# The cutoff when points never expire: no lot is older.
NEVER = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)


def _sum(condition: Q | None = None):
    return Coalesce(Sum("points", filter=condition), ZERO)


def expiring_by_customer(cutoff: dt.datetime, customer_ids: list[int] | None = None) -> QuerySet:
    """``{customer_id, expiring}`` for every customer with points of lots dated before
    ``cutoff`` not consumed yet (first in, first out: lots less everything consumed)."""
    entries = PointsEntry.objects.all()
    if customer_ids is not None:
        entries = entries.filter(customer_id__in=customer_ids)
    return (
        entries.order_by()
        .values("customer_id")
        .annotate(
            old_lots=_sum(Q(earned_at__lt=cutoff)),
            consumed=_sum(Q(earned_at__isnull=True)),
        )
        .annotate(expiring=F("old_lots") + F("consumed"))
        .filter(expiring__gt=0)
    )


def account_balance(customer: Customer) -> int:
    return (
        PointsAccount.objects.filter(customer=customer).values_list("balance", flat=True).first()
        or 0
    )


@dataclass(frozen=True)
class PointsSummary:
    balance: int
    earned: int  # from purchases, corrections and bonuses, less refunds
    redeemed: int
    expired: int
    expiring: int  # points that expire by ``expiring_by`` unless spent first
    expiring_by: dt.date | None
    may_redeem: bool  # the customer's level allows redemption
    redeem_min_level: str


def points_summary(
    customer: Customer, *, rules: LoyaltySettings | None = None, now: dt.datetime | None = None
) -> PointsSummary:
    """The figures of the customer's points panel and ledger page: two queries."""
    rules = rules or loyalty_settings()
    now = now or timezone.now()
    warn_at = now + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    cutoff = expiry_cutoff(rules, warn_at)
    totals = PointsEntry.objects.filter(customer=customer).aggregate(
        earned=_sum(~Q(kind__in=[EntryKind.REDEMPTION, EntryKind.EXPIRY])),
        redeemed=_sum(Q(kind=EntryKind.REDEMPTION)),
        expired=_sum(Q(kind=EntryKind.EXPIRY)),
        consumed=_sum(Q(earned_at__isnull=True)),
        old_lots=_sum(Q(earned_at__lt=cutoff or NEVER)),
    )
    expiring = max(totals["old_lots"] + totals["consumed"], 0)
    return PointsSummary(
        balance=account_balance(customer),
        earned=totals["earned"],
        redeemed=-totals["redeemed"],
        expired=-totals["expired"],
        expiring=expiring,
        expiring_by=timezone.localtime(warn_at).date() if expiring else None,
        may_redeem=level_rank(customer.vip_level) >= level_rank(rules.redeem_min_level),
        redeem_min_level=rules.redeem_min_level,
    )


# Accounts are listed biggest balance first and a ledger newest first, a keyset page at a
# time along the indexes on (balance, id) and (customer, created_at, id).
ACCOUNT_ORDER = SortKey("balance")
LEDGER_ORDER = SortKey("created_at")


def customer_ledger(customer: Customer) -> QuerySet[PointsEntry]:
    """Every entry of the customer, newest first."""
    return (
        PointsEntry.objects.filter(customer=customer)
        .select_related("order", "original_order", "referral", "created_by")
        .order_by("-created_at", "-id")
    )


def recent_entries(customer: Customer, count: int = 5) -> list[PointsEntry]:
    """The latest entries that moved points (an order that earned 0 is left out)."""
    return list(customer_ledger(customer).exclude(points=0)[:count])


def ledger_mismatches() -> QuerySet[PointsAccount]:
    """Accounts whose balance is not the sum of their customer's ledger — always empty;
    the programme's overview says so, and the tests hold every writer to it."""
    ledger_sum = (
        PointsEntry.objects.filter(customer_id=OuterRef("customer_id"))
        .order_by()
        .values("customer_id")
        .annotate(total=Sum("points"))
        .values("total")
    )
    return PointsAccount.objects.annotate(
        ledger_total=Coalesce(Subquery(ledger_sum), ZERO)
    ).exclude(balance=F("ledger_total"))


def entries_without_account() -> QuerySet[Customer]:
    """Customers with ledger entries but no account (never, for the same reason)."""
    return Customer.objects.filter(
        Exists(PointsEntry.objects.filter(customer=OuterRef("pk"))),
        ~Exists(PointsAccount.objects.filter(customer=OuterRef("pk"))),
    )


def visible_accounts(user) -> QuerySet[PointsAccount]:
    return visible_to(user, PointsAccount.objects.select_related("customer"))


@dataclass(frozen=True)
class ProgrammeFigures:
    outstanding: int  # points held by the customers the user sees
    accounts: int
    negative: int  # accounts below zero
    issued: int  # points added in the period (purchases, bonuses, corrections up)
    taken_back: int  # points refunds and corrections took back in the period
    redeemed: int
    expired: int


def programme_figures(user, *, since: dt.datetime) -> ProgrammeFigures:
    """The overview's figures in the user's scope: what customers hold now, and what
    moved since ``since``."""
    accounts = visible_accounts(user).aggregate(
        outstanding=Coalesce(Sum("balance"), ZERO),
        accounts=Count("pk"),
        negative=Count("pk", filter=Q(balance__lt=0)),
    )
    moved = visible_to(user, PointsEntry.objects.filter(created_at__gte=since)).aggregate(
        issued=_sum(Q(points__gt=0) & ~Q(kind__in=[EntryKind.REDEMPTION, EntryKind.EXPIRY])),
        taken_back=_sum(Q(points__lt=0, kind__in=[EntryKind.REVERSAL, EntryKind.CORRECTION])),
        redeemed=_sum(Q(kind=EntryKind.REDEMPTION)),
        expired=_sum(Q(kind=EntryKind.EXPIRY)),
    )
    return ProgrammeFigures(
        outstanding=accounts["outstanding"],
        accounts=accounts["accounts"],
        negative=accounts["negative"],
        issued=moved["issued"],
        taken_back=-moved["taken_back"],
        redeemed=-moved["redeemed"],
        expired=-moved["expired"],
    )
