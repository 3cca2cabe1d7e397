"""Dates of care occasions: Chinese festivals (solar and lunar) and birthdays.

The lunar calendar comes from the maintained ``lunardate`` package and the statutory
holidays (and Qingming, a solar term) from ``holidays``; no festival date is typed by hand.
The birthday rules live in ``carecrm.birthdays`` (loyalty's birthday bonus uses them too)
and are re-exported here.
"""

import datetime as dt
import math
from dataclasses import dataclass

import holidays
from django.utils.translation import gettext_lazy as _
from lunardate import LunarDate

from carecrm.birthdays import lunar_birthday_in_lunar_year as lunar_birthday_in_lunar_year
from carecrm.birthdays import lunar_birthday_keys as lunar_birthday_keys
from carecrm.birthdays import lunar_month_length as lunar_month_length
from carecrm.birthdays import next_birthday as next_birthday
from carecrm.birthdays import solar_birthday_in_year as solar_birthday_in_year
from carecrm.birthdays import solar_birthday_keys as solar_birthday_keys

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Festival:
    code: str
    name: str
    kind: str  # "solar" (fixed Gregorian date), "lunar", "eve" or "solar_term"
    month: int = 0
    day: int = 0
    statutory: bool = False


FESTIVALS: tuple[Festival, ...] = (
    Festival("new_year", _("New Year's Day"), "solar", 1, 1, statutory=True),
    Festival("spring_festival_eve", _("Spring Festival Eve"), "eve", statutory=True),
    Festival("spring_festival", _("Spring Festival"), "lunar", 1, 1, statutory=True),
    Festival("lantern", _("Lantern Festival"), "lunar", 1, 15),
    Festival("womens_day", _("Women's Day"), "solar", 3, 8),
    Festival("qingming", _("Qingming Festival"), "solar_term", statutory=True),
    Festival("labour_day", _("Labour Day"), "solar", 5, 1, statutory=True),
    Festival("childrens_day", _("Children's Day"), "solar", 6, 1),
    Festival("dragon_boat", _("Dragon Boat Festival"), "lunar", 5, 5, statutory=True),
    Festival("qixi", _("Qixi Festival"), "lunar", 7, 7),
    Festival("teachers_day", _("Teachers' Day"), "solar", 9, 10),
    Festival("mid_autumn", _("Mid-Autumn Festival"), "lunar", 8, 15, statutory=True),
    Festival("national_day", _("National Day"), "solar", 10, 1, statutory=True),
    Festival("double_ninth", _("Double Ninth Festival"), "lunar", 9, 9),
    Festival("laba", _("Laba Festival"), "lunar", 12, 8),
)
FESTIVALS_BY_CODE = {festival.code: festival for festival in FESTIVALS}


def _qingming(year: int) -> dt.date:
    """Qingming from ``holidays`` (a statutory holiday since 2008); for other years from
    the solar-term formula [Y·D + C] − [Y/4] (D = 0.2422, C = 5.59 in the 1900s and 4.81
    from 2000), which agrees with ``holidays`` for every year 2008–2098."""
    for day, name in holidays.China(years=year, language="en_US").items():
        if "Tomb-Sweeping" in name:
            return day
    if not 1901 <= year <= 2099:
        raise ValueError(f"No Qingming date known for {year}")
    short_year = year % 100
    constant = 5.59 if year < 2000 else 4.81
    return dt.date(year, 4, math.floor(short_year * 0.2422 + constant) - short_year // 4)


def festival_dates(code: str, year: int) -> list[dt.date]:
    """Every Gregorian date of a festival in a Gregorian year. Lunar festivals late in
    the lunar year (Laba, 12/8) fall in some Gregorian years twice and in others not at
    all; every other festival falls exactly once."""
    festival = FESTIVALS_BY_CODE[code]
    if festival.kind == "solar":
        return [dt.date(year, festival.month, festival.day)]
    if festival.kind == "solar_term":
        return [_qingming(year)]
    if festival.kind == "eve":
        return [LunarDate(year, 1, 1).to_solar_date() - ONE_DAY]
    dates = []
    for lunar_year in (year - 1, year):
        solar = LunarDate(lunar_year, festival.month, festival.day).to_solar_date()
        if solar.year == year:
            dates.append(solar)
    return dates


def festival_date(code: str, year: int) -> dt.date:
    """The (first) Gregorian date of a festival in a Gregorian year."""
    dates = festival_dates(code, year)
    if not dates:
        raise ValueError(f"{code} does not fall in {year}")
    return dates[0]


def festivals_in_year(year: int) -> list[tuple[dt.date, Festival]]:
    return sorted(
        ((day, f) for f in FESTIVALS for day in festival_dates(f.code, year)),
        key=lambda pair: pair[0],
    )


def lunar_date_of(solar: dt.date) -> tuple[int, int, bool]:
    """(lunar month, lunar day, is leap month) of a Gregorian date."""
    lunar = LunarDate.from_solar_date(solar.year, solar.month, solar.day)
    return lunar.month, lunar.day, bool(lunar.is_leap_month)
