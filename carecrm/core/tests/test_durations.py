"""Overdue follow-ups read in one unit, the way a person would say it."""

import datetime as dt

import pytest
from django.utils import translation

from carecrm.core.templatetags.durations import overdue_since

TODAY = dt.date(2027, 3, 31)


@pytest.mark.parametrize(
    ("days", "english", "chinese"),
    [
        (1, "1 day overdue", "逾期 1 天"),
        (13, "13 days overdue", "逾期 13 天"),
        (21, "3 weeks overdue", "逾期 3 周"),
        (55, "7 weeks overdue", "逾期 7 周"),
        (340, "11 months overdue", "逾期 11 个月"),
        (800, "2 years overdue", "逾期 2 年"),
    ],
)
def test_overdue_reads_in_one_unit(days, english, chinese):
    due = TODAY - dt.timedelta(days=days)
    with translation.override("en"):
        assert overdue_since(due, TODAY) == english
    with translation.override("zh-hans"):
        assert overdue_since(due, TODAY) == chinese


def test_not_overdue_says_nothing():
    assert overdue_since(TODAY, TODAY) == ""
    assert overdue_since(TODAY + dt.timedelta(days=2), TODAY) == ""
