"""The programme's rules as the rest of the app reads them: the one settings row, the
order of the VIP levels, and the dates the rules put on the calendar."""

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from customers.models import VipLevel
from loyalty.models import LoyaltySettings

# Lowest first: a rule "from silver up" takes silver and every level after it.
LEVELS: tuple[str, ...] = tuple(VipLevel.values)
# A referral earns its bonus once the referred customer is a VIP: silver or above.
VIP_LEVELS: tuple[str, ...] = LEVELS[LEVELS.index(VipLevel.SILVER) :]


def loyalty_settings() -> LoyaltySettings:
    """The saved rules, or the defaults while an admin has saved none."""
    return LoyaltySettings.objects.order_by("pk").first() or LoyaltySettings()


def level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


def levels_from(lowest: str) -> list[str]:
    """The VIP levels at or above ``lowest``."""
    return list(LEVELS[level_rank(lowest) :])


def expiry_cutoff(rules: LoyaltySettings, now: dt.datetime) -> dt.datetime | None:
    """Points of lots dated before this moment have expired by ``now`` (``None``: points
    never expire)."""
    if not rules.expiry_months:
        return None
    return now - relativedelta(months=rules.expiry_months)


def earn_window_start(rules: LoyaltySettings, now: dt.datetime) -> dt.datetime | None:
    """Orders before this moment earn nothing: before the programme's start, or so old
    that their points would already have expired."""
    starts = []
    if rules.earn_since:
        starts.append(timezone.make_aware(dt.datetime.combine(rules.earn_since, dt.time.min)))
    cutoff = expiry_cutoff(rules, now)
    if cutoff is not None:
        starts.append(cutoff)
    return max(starts) if starts else None
