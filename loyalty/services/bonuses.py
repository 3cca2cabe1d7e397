"""Bonus points: the birthday bonus and the referral bonus, granted by daily tasks for
every customer due at once, each at most once (a unique constraint per customer and year,
and per referred customer, backs the check)."""

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from customers.birthdays import birthday_filter
from customers.models import Customer, CustomerStatus
from loyalty.models import EntryKind, PointsEntry
from loyalty.selectors.settings import VIP_LEVELS, levels_from, loyalty_settings
from loyalty.services.ledger import entries_post, jobs_lock

# A missed run (a worker down over a weekend) is made up for: a birthday celebrated in
# the last week still earns its bonus.
BIRTHDAY_CATCH_UP_DAYS = 7
BATCH = 2000


def birthday_bonuses_grant(
    *, today: dt.date | None = None, catch_up_days: int = BIRTHDAY_CATCH_UP_DAYS
) -> int:
    """The birthday bonus to every active customer at or above the rules' level whose
    birthday (solar or lunar, as they celebrate it) fell on one of the last
    ``catch_up_days`` days up to ``today``, once per customer and calendar year of the
    celebration. Returns how many bonuses were granted."""
    today = today or timezone.localdate()
    granted = 0
    days = [today - dt.timedelta(days=offset) for offset in range(max(catch_up_days, 1))]
    for year in sorted({day.year for day in days}):
        celebrated = Q(pk__in=[])
        for day in days:
            if day.year == year:
                celebrated |= birthday_filter(day)
        granted += _grant_birthdays(year, celebrated)
    return granted


def _grant_birthdays(year: int, celebrated: Q) -> int:
    granted = 0
    while True:
        with transaction.atomic():
            jobs_lock()
            rules = loyalty_settings()
            if not rules.birthday_bonus:
                return granted
            already = PointsEntry.objects.filter(
                customer=OuterRef("pk"), kind=EntryKind.BIRTHDAY, year=year
            )
            due = list(
                Customer.objects.filter(
                    status=CustomerStatus.ACTIVE,
                    vip_level__in=levels_from(rules.birthday_min_level),
                )
                .filter(celebrated)
                .filter(~Exists(already))
                .order_by("pk")
                .values_list("pk", flat=True)[:BATCH]
            )
            now = timezone.now()
            entries_post(
                [
                    PointsEntry(
                        customer_id=pk,
                        kind=EntryKind.BIRTHDAY,
                        points=rules.birthday_bonus,
                        year=year,
                        earned_at=now,
                        created_at=now,
                    )
                    for pk in due
                ]
            )
        granted += len(due)
        if len(due) < BATCH:
            return granted


def referral_bonuses_grant() -> int:
    """The referral bonus to the referrer of every customer who is now a VIP (silver or
    above) and has not brought one yet — once per referred customer, ever: a level that
    drops and rises again, or a second run, grants nothing more. A referrer who was merged
    or anonymised gets nothing (the bonus stays unclaimed until they are active again)."""
    granted = 0
    while True:
        with transaction.atomic():
            jobs_lock()
            rules = loyalty_settings()
            if not rules.referral_bonus:
                return granted
            claimed = PointsEntry.objects.filter(kind=EntryKind.REFERRAL, referral=OuterRef("pk"))
            due = list(
                Customer.objects.filter(
                    status=CustomerStatus.ACTIVE,
                    vip_level__in=VIP_LEVELS,
                    referred_by__isnull=False,
                    referred_by__status=CustomerStatus.ACTIVE,
                )
                .filter(~Exists(claimed))
                .order_by("pk")
                .values_list("pk", "referred_by_id")[:BATCH]
            )
            now = timezone.now()
            entries_post(
                [
                    PointsEntry(
                        customer_id=referrer_id,
                        kind=EntryKind.REFERRAL,
                        referral_id=pk,
                        points=rules.referral_bonus,
                        earned_at=now,
                        created_at=now,
                    )
                    for pk, referrer_id in due
                ]
            )
        granted += len(due)
        if len(due) < BATCH:
            return granted
