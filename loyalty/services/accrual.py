"""Points for orders (issue 17): a purchase earns, a refund takes back, a corrected order is
brought in line — for every order at once, set-based, and never twice.

- **Earn**: an order with a positive amount earns ``floor(amount × rate)`` points at the
  rate of the customer's VIP level when the points are recorded. The entry is unique per
  order in the database, so running the accrual again (or two workers at once) earns
  nothing twice; an order that earns 0 points (¥5 at 0.1) still gets its entry, so it is
  not looked at again.
- **Refund** (an order with a negative amount): if the refunded purchase can be told — a
  purchase of the same customer, no later than the refund, whose order number (4
  characters or more) appears inside the refund's, the longest such — the refund takes
  back ``floor(refunded amount × that purchase's rate)``, never more than the purchase
  still holds, from the purchase's own lot (so it ages with it). Otherwise it takes back
  at the customer's current rate, from the oldest points. The balance may go below zero
  (the points were spent before the refund); the ledger shows it and later points fill
  the gap.
- **Correction**: when an order's amount changes after its points were recorded, one
  entry moves the points to what the new amount earns (a purchase never below what its
  refunds already took back).

Orders placed before the programme's start (``earn_since``), or so long ago that their
points would already have expired, earn nothing; nor do orders of merged or anonymised
customers.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Length, StrIndex
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import CustomerStatus, Order
from loyalty.models import EntryKind, LoyaltySettings, PointsEntry
from loyalty.selectors.settings import earn_window_start, loyalty_settings
from loyalty.services.ledger import entries_post, jobs_lock

# The Celery task running ``orders_accrue`` (loyalty/tasks.py), queued by name.
ACCRUAL_TASK_NAME = "loyalty.accrue_orders"
BATCH_ORDERS = 2000
# The shortest order number that may identify a refunded purchase inside a refund's
# number: "12" inside "R-10012" says nothing.
MIN_ORDER_NO = 4


@dataclass
class AccrualResult:
    earned: int = 0  # purchases that got their entry
    reversed: int = 0  # refunds that got theirs
    corrected: int = 0  # orders brought in line with a changed amount
    points: int = 0  # net points recorded

    def add(self, entries: list[PointsEntry]) -> None:
        for entry in entries:
            if entry.kind == EntryKind.EARN:
                self.earned += 1
            elif entry.kind == EntryKind.REVERSAL:
                self.reversed += 1
            else:
                self.corrected += 1
            self.points += entry.points


def points_for(amount: Decimal, rate: Decimal | None) -> int:
    """Whole points for an amount at a rate, rounded down."""
    if rate is None or amount <= 0:
        return 0
    return int((amount * rate).to_integral_value(rounding=ROUND_FLOOR))


def orders_accrue(
    *, now: dt.datetime | None = None, since: dt.datetime | None = None
) -> AccrualResult:
    """Record the points of every order that has none yet, batch by batch (each batch one
    transaction), then correct the orders whose amount changed. ``since`` replaces the
    earliest order date the rules allow (the demo uses it to backdate the programme)."""
    now = now or timezone.now()
    result = AccrualResult()
    while True:
        with transaction.atomic():
            jobs_lock()
            rules = loyalty_settings()
            start = since if since is not None else earn_window_start(rules, now)
            read, entries = _accrue_batch(rules, start, now)
            entries_post(entries)
        result.add(entries)
        if read < BATCH_ORDERS or not entries:
            break
    with transaction.atomic():
        jobs_lock()
        entries = _corrections(now)
        entries_post(entries)
    result.add(entries)
    return result


def _pending(start: dt.datetime | None):
    """Orders that may earn (or take back) points and have no entry yet."""
    orders = (
        Order.objects.filter(customer__status=CustomerStatus.ACTIVE)
        .exclude(amount=0)
        .filter(
            ~Exists(
                PointsEntry.objects.filter(
                    order=OuterRef("pk"), kind__in=[EntryKind.EARN, EntryKind.REVERSAL]
                )
            )
        )
    )
    if start is not None:
        orders = orders.filter(ordered_at__gte=start)
    return orders


def _accrue_batch(
    rules: LoyaltySettings, start: dt.datetime | None, now: dt.datetime
) -> tuple[int, list[PointsEntry]]:
    """The entries for the next batch of pending orders, oldest first (a purchase comes
    before its refund), and how many orders were read."""
    rows = list(
        _pending(start)
        .order_by("ordered_at", "pk")
        .values("pk", "customer_id", "amount", "ordered_at", "customer__vip_level")[:BATCH_ORDERS]
    )
    entries: list[PointsEntry] = []
    earned: dict[int, PointsEntry] = {}
    refunds = []
    for row in rows:
        if row["amount"] > 0:
            rate = rules.rate_for(row["customer__vip_level"])
            entry = PointsEntry(
                customer_id=row["customer_id"],
                kind=EntryKind.EARN,
                order_id=row["pk"],
                points=points_for(row["amount"], rate),
                rate=rate,
                basis=row["amount"],
                earned_at=row["ordered_at"],
                created_at=now,
            )
            earned[row["pk"]] = entry
            entries.append(entry)
        else:
            refunds.append(row)
    if refunds:
        entries.extend(_reversals(rules, start, refunds, earned, now))
    return len(rows), entries


def _originals(refund_ids: list[int]) -> dict[int, int | None]:
    """Each refund's purchase, when its order number is inside the refund's."""
    candidate = (
        Order.objects.filter(
            customer_id=OuterRef("customer_id"),
            amount__gt=0,
            ordered_at__lte=OuterRef("ordered_at"),
        )
        .annotate(
            number_length=Length("order_no"),
            position=StrIndex(OuterRef("order_no"), F("order_no")),
        )
        .filter(number_length__gte=MIN_ORDER_NO, position__gt=0)
        .order_by("-number_length", "-ordered_at", "-pk")
        .values("pk")[:1]
    )
    return dict(
        Order.objects.filter(pk__in=refund_ids)
        .annotate(original_id=Subquery(candidate))
        .values_list("pk", "original_id")
    )


def _lot_holdings(purchase_ids: set[int]) -> dict[int, int]:
    """Points each purchase still holds: what it earned (with corrections) less what its
    refunds took back."""
    holdings: dict[int, int] = defaultdict(int)
    if not purchase_ids:
        return holdings
    earned = (
        PointsEntry.objects.filter(
            order_id__in=purchase_ids, kind__in=[EntryKind.EARN, EntryKind.CORRECTION]
        )
        .values("order_id")
        .annotate(total=Sum("points"))
    )
    for row in earned:
        holdings[row["order_id"]] += row["total"]
    taken = (
        PointsEntry.objects.filter(original_order_id__in=purchase_ids)
        .values("original_order_id")
        .annotate(total=Sum("points"))
    )
    for row in taken:
        holdings[row["original_order_id"]] += row["total"]
    return holdings


def _reversals(
    rules: LoyaltySettings,
    start: dt.datetime | None,
    refunds: list[dict],
    earned: dict[int, PointsEntry],
    now: dt.datetime,
) -> list[PointsEntry]:
    originals = _originals([row["pk"] for row in refunds])
    linked = {pk for pk in originals.values() if pk is not None}
    stored = {
        row["order_id"]: row
        for row in PointsEntry.objects.filter(
            order_id__in=linked - set(earned), kind=EntryKind.EARN
        ).values("order_id", "rate", "earned_at")
    }
    waiting = set(
        _pending(start)
        .filter(pk__in=linked - set(earned) - set(stored))
        .values_list("pk", flat=True)
    )
    holdings = _lot_holdings(linked)
    for pk, entry in earned.items():
        if pk in linked:
            holdings[pk] += entry.points
    entries = []
    for row in refunds:
        refunded = -row["amount"]
        original = originals.get(row["pk"])
        entry = PointsEntry(
            customer_id=row["customer_id"],
            kind=EntryKind.REVERSAL,
            order_id=row["pk"],
            original_order_id=original,
            basis=row["amount"],
            created_at=now,
        )
        if original is None:
            entry.rate = rules.rate_for(row["customer__vip_level"])
            entry.points = -points_for(refunded, entry.rate)
        elif original in waiting:
            continue  # its purchase earns in a later batch; the refund follows it
        elif original in earned or original in stored:
            purchase = earned.get(original)
            entry.rate = purchase.rate if purchase else stored[original]["rate"]
            entry.earned_at = purchase.earned_at if purchase else stored[original]["earned_at"]
            taken = min(points_for(refunded, entry.rate), max(holdings[original], 0))
            holdings[original] -= taken
            entry.points = -taken
        else:
            entry.points = 0
            entry.note = _("The refunded purchase earned no points.")
        entries.append(entry)
    return entries


def _corrections(now: dt.datetime) -> list[PointsEntry]:
    """One entry per order whose amount changed since its points were recorded."""
    newer = PointsEntry.objects.filter(order=OuterRef("order"), pk__gt=OuterRef("pk"))
    changed = list(
        PointsEntry.objects.filter(order__isnull=False)
        .exclude(basis=F("order__amount"))
        .filter(~Exists(newer))
        .values("order_id", "order__amount", "order__customer_id")
    )
    if not changed:
        return []
    ids = [row["order_id"] for row in changed]
    first = {
        row["order_id"]: row
        for row in PointsEntry.objects.filter(
            order_id__in=ids, kind__in=[EntryKind.EARN, EntryKind.REVERSAL]
        ).values("order_id", "kind", "rate", "earned_at", "original_order_id")
    }
    posted = dict(
        PointsEntry.objects.filter(order_id__in=ids)
        .values("order_id")
        .annotate(total=Sum("points"))
        .values_list("order_id", "total")
    )
    purchases = {pk for pk, row in first.items() if row["kind"] == EntryKind.EARN}
    refunded_purchases = {
        row["original_order_id"]
        for row in first.values()
        if row["kind"] == EntryKind.REVERSAL and row["original_order_id"]
    }
    taken_back = dict(
        PointsEntry.objects.filter(original_order_id__in=purchases | refunded_purchases)
        .values("original_order_id")
        .annotate(total=Sum("points"))
        .values_list("original_order_id", "total")
    )
    purchase_net = dict(
        PointsEntry.objects.filter(
            Q(order_id__in=refunded_purchases),
            kind__in=[EntryKind.EARN, EntryKind.CORRECTION],
        )
        .values("order_id")
        .annotate(total=Sum("points"))
        .values_list("order_id", "total")
    )
    entries = []
    for row in changed:
        pk, amount = row["order_id"], row["order__amount"]
        origin = first.get(pk)
        if origin is None:
            continue
        so_far = posted.get(pk, 0)
        if origin["kind"] == EntryKind.EARN:
            target = max(points_for(amount, origin["rate"]), -taken_back.get(pk, 0))
        else:
            target = -points_for(-amount, origin["rate"])
            purchase = origin["original_order_id"]
            if purchase:
                others = taken_back.get(purchase, 0) - so_far
                room = max(purchase_net.get(purchase, 0) + others, 0)
                target = max(target, -room)
        entries.append(
            PointsEntry(
                customer_id=row["order__customer_id"],
                kind=EntryKind.CORRECTION,
                order_id=pk,
                original_order_id=origin["original_order_id"],
                points=target - so_far,
                rate=origin["rate"],
                basis=amount,
                earned_at=origin["earned_at"],
                created_at=now,
            )
        )
    return entries
