"""Demo loyalty data for ``manage.py seed_demo``, after segmentation has set the VIP levels:
about one customer in nine referred by an earlier customer of the same department, the
points of every order of the last two years, this year's birthday bonuses so far, the
referral bonuses due, redemptions by the customers' departments and whatever expired —
all written with the services' set-based functions, so the balances are the ledger sums."""

import datetime as dt
from collections import defaultdict

from django.utils import timezone

from carecrm.accounts.models import Role
from carecrm.birthdays import next_birthday
from customers.models import Customer, CustomerStatus
from loyalty.models import EntryKind, LoyaltySettings, PointsAccount, PointsEntry
from loyalty.selectors.settings import level_rank, levels_from, loyalty_settings
from loyalty.services.accrual import orders_accrue
from loyalty.services.bonuses import referral_bonuses_grant
from loyalty.services.expiry import points_expire
from loyalty.services.ledger import entries_post

REFERRED_SHARE = 0.11
REDEEMING_SHARE = 0.35
REWARDS = ["咖啡兑换券", "保温杯", "精品茶礼盒", "生日蛋糕券", "会员定制帆布袋", "门店代金券 ¥50"]


def _noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def seed_loyalty(*, rng, options: dict, stdout) -> None:
    now = options.get("now") or timezone.now()
    today = timezone.localdate(now)
    users = options.get("users") or []
    admin = next((u for u in users if u.role == Role.ADMIN), None)
    if not LoyaltySettings.objects.exists():
        LoyaltySettings.objects.create(updated_by=admin)
    rules = loyalty_settings()

    customers = list(
        Customer.objects.filter(status=CustomerStatus.ACTIVE)
        .order_by("registered_on", "pk")
        .values(
            "pk",
            "department_id",
            "registered_on",
            "vip_level",
            "birthday",
            "celebrates_lunar_birthday",
            "lunar_birth_month",
            "lunar_birth_day",
        )
    )
    # Referrals: a referrer registered before the customer (so no circle can form).
    by_department: dict[int, list[dict]] = defaultdict(list)
    referred = []
    for customer in customers:
        members = by_department[customer["department_id"]]
        if len(members) >= 5 and rng.random() < REFERRED_SHARE:
            referrer = members[rng.randrange(len(members))]
            registered = customer["registered_on"] or today
            referred.append(
                Customer(
                    id=customer["pk"],
                    referred_by_id=referrer["pk"],
                    referred_at=_noon(registered),
                )
            )
        members.append(customer)
    Customer.objects.bulk_update(referred, ["referred_by", "referred_at"], batch_size=1000)

    accrued = orders_accrue(now=now)

    # This year's birthday bonuses up to today (the daily task grants them from now on).
    birthday_levels = set(levels_from(rules.birthday_min_level))
    bonuses = []
    for customer in customers:
        if customer["vip_level"] not in birthday_levels or not rules.birthday_bonus:
            continue
        day = next_birthday(
            on_or_after=dt.date(today.year, 1, 1),
            birthday=customer["birthday"],
            lunar=customer["celebrates_lunar_birthday"],
            lunar_month=customer["lunar_birth_month"],
            lunar_day=customer["lunar_birth_day"],
        )
        if day is None or day > today or day.year != today.year:
            continue
        bonuses.append(
            PointsEntry(
                customer_id=customer["pk"],
                kind=EntryKind.BIRTHDAY,
                points=rules.birthday_bonus,
                year=today.year,
                earned_at=_noon(day),
                created_at=_noon(day),
            )
        )
    entries_post(bonuses)
    referral_bonuses = referral_bonuses_grant()

    # Redemptions by a member of staff of the customer's department.
    staff_of: dict[int, list] = defaultdict(list)
    for user in users:
        if user.department_id:
            staff_of[user.department_id].append(user)
    lowest = level_rank(rules.redeem_min_level)
    redemptions = []
    accounts = PointsAccount.objects.filter(balance__gte=300).values_list(
        "customer_id", "balance", "customer__vip_level", "customer__department_id"
    )
    for customer_id, balance, level, department_id in accounts.iterator():
        if level_rank(level) < lowest or rng.random() > REDEEMING_SHARE:
            continue
        by = rng.choice(staff_of[department_id]) if staff_of[department_id] else admin
        points = min(balance, rng.choice([100, 200, 300, 500, 800, 1000]))
        at = now - dt.timedelta(days=rng.randint(1, 180), hours=rng.randint(0, 8))
        redemptions.append(
            PointsEntry(
                customer_id=customer_id,
                kind=EntryKind.REDEMPTION,
                points=-points,
                reward=rng.choice(REWARDS),
                created_at=at,
                created_by=by,
            )
        )
    entries_post(redemptions)
    expired = points_expire(now=now)
    stdout.write(
        f"Loyalty: {len(referred)} referrals, points for {accrued.earned} orders and "
        f"{accrued.reversed} refunds, {len(bonuses)} birthday and {referral_bonuses} referral "
        f"bonuses, {len(redemptions)} redemptions, {expired} expiries."
    )
