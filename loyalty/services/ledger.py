"""Writing the ledger: the one way points change.

Every writer — accrual, bonuses, redemption, expiry, a merge — goes through
``entries_post`` inside a transaction: it locks the accounts of the customers concerned
(``SELECT … FOR UPDATE``, in customer id order so two writers never wait on each other in a
circle), adds the entries and sets each balance to the sum of the customer's entries in one
``UPDATE``. A reader of ``PointsAccount.balance`` therefore always sees the sum of the
ledger, and a second redemption waits for the first and then sees what it left.
"""

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from loyalty.models import PointsAccount, PointsEntry

BATCH = 1000
# One PostgreSQL advisory lock serialises the batch jobs (accrual, bonuses, expiry): two
# workers running the same beat task never grant the same points twice. The number is
# this app's own; nothing else in CareCRM takes it.
JOBS_LOCK = 7_317_001


def jobs_lock() -> None:
    """Wait for any other loyalty batch job, until the current transaction ends. A no-op
    off PostgreSQL (SQLite writes one transaction at a time anyway)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [JOBS_LOCK])


def accounts_lock(customer_ids: Iterable[int]) -> dict[int, PointsAccount]:
    """The customers' accounts, created if missing, locked until the transaction ends."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    if not connection.in_atomic_block:
        raise RuntimeError("accounts_lock needs a transaction (transaction.atomic)")
    for start in range(0, len(ids), BATCH):
        PointsAccount.objects.bulk_create(
            [PointsAccount(customer_id=pk) for pk in ids[start : start + BATCH]],
            ignore_conflicts=True,
        )
    accounts = {}
    for start in range(0, len(ids), BATCH):
        locked = (
            PointsAccount.objects.select_for_update()
            .filter(customer_id__in=ids[start : start + BATCH])
            .order_by("customer_id")
        )
        accounts.update({account.customer_id: account for account in locked})
    return accounts


def balances_recompute(customer_ids: Iterable[int]) -> None:
    """Set each account's balance to the sum of its customer's entries (the accounts must
    be locked by ``accounts_lock`` in this transaction)."""
    ids = sorted(set(customer_ids))
    ledger_sum = (
        PointsEntry.objects.filter(customer_id=OuterRef("customer_id"))
        .order_by()
        .values("customer_id")
        .annotate(total=Sum("points"))
        .values("total")
    )
    now = timezone.now()
    for start in range(0, len(ids), BATCH):
        PointsAccount.objects.filter(customer_id__in=ids[start : start + BATCH]).update(
            balance=Coalesce(Subquery(ledger_sum), Value(0)), updated_at=now
        )


@transaction.atomic
def entries_post(entries: list[PointsEntry]) -> list[PointsEntry]:
    """Add ``entries`` to the ledger and bring their customers' balances to the new sums,
    in one transaction (the caller's, when it has one)."""
    if not entries:
        return []
    customer_ids = {entry.customer_id for entry in entries}
    accounts_lock(customer_ids)
    PointsEntry.objects.bulk_create(entries, batch_size=BATCH)
    balances_recompute(customer_ids)
    return entries


@transaction.atomic
def balances_reconcile(customer_ids: Iterable[int]) -> None:
    """After rows moved between customers outside this module (a merge re-points every
    row of the duplicate), bring those customers' balances back to their sums."""
    ids = set(customer_ids)
    accounts_lock(ids)
    balances_recompute(ids)
