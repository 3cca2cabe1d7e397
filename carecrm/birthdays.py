"""Birthdays, solar and lunar: when a customer's birthday is celebrated in a given year,
and which (month, day) keys a date celebrates — shared by care campaigns (birthday
greetings) and loyalty (the birthday bonus). Lunar dates come from ``lunardate``."""

import datetime as dt

from lunardate import LunarDate

ONE_DAY = dt.timedelta(days=1)


def lunar_month_length(lunar_year: int, month: int, leap: bool = False) -> int:
    day29 = LunarDate(lunar_year, month, 29, int(leap)).to_solar_date()
    return 30 if LunarDate.from_solar_date(*(day29 + ONE_DAY).timetuple()[:3]).day == 30 else 29


def solar_birthday_in_year(birthday: dt.date, year: int) -> dt.date:
    """29 February falls on 28 February in years without one."""
    try:
        return birthday.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def lunar_birthday_in_lunar_year(month: int, day: int, lunar_year: int) -> dt.date:
    """A lunar birthday is kept in the regular (not leap) month; day 30 falls on day 29 in
    a short month."""
    day = min(day, lunar_month_length(lunar_year, month))
    return LunarDate(lunar_year, month, day).to_solar_date()


def next_birthday(
    *,
    on_or_after: dt.date,
    birthday: dt.date | None,
    lunar: bool = False,
    lunar_month: int | None = None,
    lunar_day: int | None = None,
) -> dt.date | None:
    """The first birthday celebration on or after a date, solar or lunar as the customer
    celebrates it."""
    if lunar and lunar_month and lunar_day:
        candidates = [
            lunar_birthday_in_lunar_year(lunar_month, lunar_day, year)
            for year in (on_or_after.year - 1, on_or_after.year, on_or_after.year + 1)
        ]
        return min(d for d in candidates if d >= on_or_after)
    if birthday is None:
        return None
    this_year = solar_birthday_in_year(birthday, on_or_after.year)
    if this_year >= on_or_after:
        return this_year
    return solar_birthday_in_year(birthday, on_or_after.year + 1)


def solar_birthday_keys(celebration: dt.date) -> list[tuple[int, int]]:
    """(month, day) pairs of solar birthdays celebrated on a date — for set-based queries."""
    keys = [(celebration.month, celebration.day)]
    is_leap = celebration.year % 4 == 0 and (
        celebration.year % 100 != 0 or celebration.year % 400 == 0
    )
    if (celebration.month, celebration.day) == (2, 28) and not is_leap:
        keys.append((2, 29))
    return keys


def lunar_birthday_keys(celebration: dt.date) -> list[tuple[int, int]]:
    """(lunar month, lunar day) pairs celebrated on a date; none in a leap month, and day 30
    is celebrated on the 29th of a short month."""
    lunar = LunarDate.from_solar_date(celebration.year, celebration.month, celebration.day)
    if lunar.is_leap_month:
        return []
    keys = [(lunar.month, lunar.day)]
    if lunar.day == 29 and lunar_month_length(lunar.year, lunar.month) == 29:
        keys.append((lunar.month, 30))
    return keys
