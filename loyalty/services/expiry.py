"""Points expire (issue 17): points not spent within the rules' period after the lot they
belong to was earned, first in, first out.

Redemptions, expiries and refunds whose purchase cannot be told consume the oldest points
first. So by a cutoff, what is left of the lots dated before it is their points less
everything consumed so far (if that is positive): one aggregate per customer, no lot
bookkeeping. A lot's own refund and corrections carry its date and shrink it in place,
never below zero; so an expiry never takes a balance below zero, and a negative balance
(a refund after the points were spent) has nothing to expire.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty.models import EntryKind, PointsEntry
from loyalty.selectors.points import expiring_by_customer
from loyalty.selectors.settings import expiry_cutoff, loyalty_settings
from loyalty.services.ledger import accounts_lock, entries_post, jobs_lock

# The Celery task running ``points_expire`` (loyalty/tasks.py).
EXPIRY_TASK_NAME = "loyalty.expire_points"
BATCH = 2000


def points_expire(*, now: dt.datetime | None = None) -> int:
    """Record the expiry of every customer's points due by ``now``; returns the number of
    customers whose points expired. Running it again the same day expires nothing more."""
    now = now or timezone.now()
    cutoff = expiry_cutoff(loyalty_settings(), now)
    if cutoff is None:
        return 0
    candidates = list(
        expiring_by_customer(cutoff).order_by("customer_id").values_list("customer_id", flat=True)
    )
    day = timezone.localtime(cutoff).date().isoformat()
    expired = 0
    for start in range(0, len(candidates), BATCH):
        batch = candidates[start : start + BATCH]
        with transaction.atomic():
            jobs_lock()
            # Lock, then count again: a redemption that committed meanwhile is included.
            accounts_lock(batch)
            entries = [
                PointsEntry(
                    customer_id=row["customer_id"],
                    kind=EntryKind.EXPIRY,
                    points=-row["expiring"],
                    created_at=now,
                    note=_("Points earned before %(day)s and not spent") % {"day": day},
                )
                for row in expiring_by_customer(cutoff, customer_ids=batch).values(
                    "customer_id", "expiring"
                )
            ]
            entries_post(entries)
        expired += len(entries)
    return expired
