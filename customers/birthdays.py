"""Which customers celebrate their birthday on a date, as a filter: the one rule the
birthday campaigns and the loyalty birthday bonus both use (the date arithmetic is in
``carecrm.birthdays``)."""

import datetime as dt

from django.db.models import Q

from carecrm.birthdays import lunar_birthday_keys, solar_birthday_keys

# A customer celebrates the lunar birthday only when they say so and it is known;
# everyone else celebrates the solar one.
LUNAR_CELEBRANT = Q(
    celebrates_lunar_birthday=True, lunar_birth_month__isnull=False, lunar_birth_day__isnull=False
)


def birthday_filter(celebration: dt.date) -> Q:
    """Customers whose birthday is celebrated on a date: solar (29 Feb on 28 Feb in other
    years) or lunar (day 30 on day 29 of a short month) as each celebrates it."""
    solar = Q(pk__in=[])
    for month, day in solar_birthday_keys(celebration):
        solar |= Q(birthday__month=month, birthday__day=day)
    lunar = Q(pk__in=[])
    for month, day in lunar_birthday_keys(celebration):
        lunar |= Q(lunar_birth_month=month, lunar_birth_day=day)
    return (~LUNAR_CELEBRANT & solar) | (LUNAR_CELEBRANT & lunar)
