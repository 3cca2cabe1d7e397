import datetime as dt

import pytest

from campaigns.calendar import (
    FESTIVALS,
    festival_date,
    festival_dates,
    festivals_in_year,
    lunar_birthday_keys,
    lunar_date_of,
    next_birthday,
    solar_birthday_keys,
)


def test_spring_festival_and_mid_autumn_2027_come_from_the_lunar_calendar():
    assert festival_date("spring_festival", 2027) == dt.date(2027, 2, 6)
    assert festival_date("mid_autumn", 2027) == dt.date(2027, 9, 15)


@pytest.mark.parametrize(
    ("code", "year", "expected"),
    [
        ("spring_festival", 2026, dt.date(2026, 2, 17)),
        ("spring_festival_eve", 2027, dt.date(2027, 2, 5)),
        ("lantern", 2027, dt.date(2027, 2, 20)),
        ("dragon_boat", 2027, dt.date(2027, 6, 9)),
        ("qingming", 2027, dt.date(2027, 4, 5)),
        ("national_day", 2027, dt.date(2027, 10, 1)),
        ("double_ninth", 2026, dt.date(2026, 10, 18)),
        ("laba", 2027, dt.date(2027, 1, 15)),
    ],
)
def test_festival_dates(code, year, expected):
    assert festival_date(code, year) == expected


def test_every_festival_falls_in_the_asked_year():
    for year in range(2024, 2036):
        assert all(day.year == year for day, _festival in festivals_in_year(year))


def test_solar_birthday_is_next_occurrence():
    born = dt.date(1990, 3, 10)
    assert next_birthday(on_or_after=dt.date(2027, 3, 1), birthday=born) == dt.date(2027, 3, 10)
    assert next_birthday(on_or_after=dt.date(2027, 3, 11), birthday=born) == dt.date(2028, 3, 10)


def test_29_february_is_celebrated_on_28_february_in_other_years():
    born = dt.date(1996, 2, 29)
    assert next_birthday(on_or_after=dt.date(2027, 1, 1), birthday=born) == dt.date(2027, 2, 28)
    assert next_birthday(on_or_after=dt.date(2028, 1, 1), birthday=born) == dt.date(2028, 2, 29)
    assert (2, 29) in solar_birthday_keys(dt.date(2027, 2, 28))
    assert solar_birthday_keys(dt.date(2028, 2, 28)) == [(2, 28)]


def test_lunar_birthday_8_15_is_mid_autumn_2027():
    assert next_birthday(
        on_or_after=dt.date(2027, 1, 1), birthday=None, lunar=True, lunar_month=8, lunar_day=15
    ) == dt.date(2027, 9, 15)
    assert lunar_birthday_keys(dt.date(2027, 9, 15)) == [(8, 15)]


def test_lunar_day_30_falls_on_29_in_a_short_month():
    # Lunar 2026-12 has 29 days: 2027-02-05 is its 29th day (Spring Festival Eve).
    assert lunar_date_of(dt.date(2027, 2, 5)) == (12, 29, False)
    assert lunar_birthday_keys(dt.date(2027, 2, 5)) == [(12, 29), (12, 30)]
    assert next_birthday(
        on_or_after=dt.date(2027, 1, 1), birthday=None, lunar=True, lunar_month=12, lunar_day=30
    ) == dt.date(2027, 2, 5)


@pytest.mark.parametrize(
    ("year", "expected"),
    [(1992, dt.date(1992, 4, 4)), (1999, dt.date(1999, 4, 5)), (2000, dt.date(2000, 4, 4))],
)
def test_qingming_before_it_became_a_statutory_holiday(year, expected):
    assert festival_date("qingming", year) == expected


def test_every_festival_is_known_from_1902_to_2098():
    for year in range(1902, 2099):
        codes = [festival.code for _day, festival in festivals_in_year(year)]
        assert set(codes) - {"laba"} == {f.code for f in FESTIVALS} - {"laba"}


def test_laba_falls_twice_in_some_years_and_not_at_all_in_others():
    # Lunar 1907's Laba is 1908-01-11 and lunar 1908's 1908-12-30; lunar 1909's is in
    # January 1910, so 1909 has none.
    assert festival_dates("laba", 1908) == [dt.date(1908, 1, 11), dt.date(1908, 12, 30)]
    assert festival_dates("laba", 1909) == []
