"""A repeating schedule is chosen with pickers and read back in words, in both languages;
the stored rule is what the scheduler reads, and parts the pickers don't offer survive."""

import datetime as dt

import pytest
from django import forms
from django.utils import translation

from campaigns.models import CareCampaign
from campaigns.recurrence_form import RecurrenceRuleFields
from campaigns.selectors.due import parse_rrule
from campaigns.selectors.recurrence import compose_rule, describe_rule, split_rule


@pytest.mark.parametrize(
    ("rule", "english", "chinese"),
    [
        ("FREQ=DAILY", "Every day", "每天"),
        ("FREQ=WEEKLY;BYDAY=MO", "Every week on Monday", "每周星期一"),
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH,MO",
            "Every 2 weeks on Monday, Thursday",
            "每 2 周的星期一、星期四",
        ),
        ("FREQ=MONTHLY;BYDAY=1MO", "Every month on the first Monday", "每月第一个星期一"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "Every month on the last Friday", "每月最后一个星期五"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "Every month on day 15", "每月 15 日"),
        ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1", "Every 3 months on day 1", "每 3 个月的 1 日"),
        ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=8", "Every year on March 8", "每年三月 8 日"),
        (
            "RRULE:FREQ=WEEKLY;BYDAY=FR;UNTIL=20271231T000000Z",
            "Every week on Friday, until 2027-12-31",
            "每周星期五，截至 2027-12-31",
        ),
        ("FREQ=DAILY;COUNT=3", "Every day, 3 times in all", "每天，共 3 次"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", "Every month on its last day", "每月最后一天"),
        ("nonsense", "On a custom schedule", "按自定义周期"),
    ],
)
def test_a_rule_reads_as_a_sentence_in_each_language(rule, english, chinese):
    with translation.override("en"):
        assert describe_rule(rule) == english
    with translation.override("zh-hans"):
        assert describe_rule(rule) == chinese


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24",
        "FREQ=WEEKLY;BYDAY=FR;UNTIL=20271231T000000Z",
        "FREQ=DAILY;COUNT=3",
    ],
)
def test_the_pickers_give_back_the_stored_rule(rule):
    assert compose_rule(split_rule(rule)) == rule


class ScheduleForm(RecurrenceRuleFields, forms.ModelForm):
    class Meta:
        model = CareCampaign
        fields = ["recurrence", "rrule"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_recurrence_fields()

    def clean(self):
        cleaned = super().clean()
        self.compose_recurrence(cleaned)
        return cleaned


def test_every_other_week_on_monday_and_thursday_is_stored_and_scheduled():
    form = ScheduleForm(
        data={
            "recurrence": "rrule",
            "rule_frequency": "WEEKLY",
            "rule_interval": "2",
            "rule_weekdays": ["TH", "MO"],
        }
    )
    assert form.is_valid(), form.errors
    rule = form.cleaned_data["rrule"]
    assert rule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH"
    dates = [d.date() for d in parse_rrule(rule, dt.date(2027, 3, 1))[:4]]
    assert dates == [
        dt.date(2027, 3, 1),
        dt.date(2027, 3, 4),
        dt.date(2027, 3, 15),
        dt.date(2027, 3, 18),
    ]


def test_the_last_friday_of_the_month_and_a_kept_end_date():
    campaign = CareCampaign(recurrence="rrule", rrule="FREQ=WEEKLY;BYDAY=FR;UNTIL=20271231")
    form = ScheduleForm(
        instance=campaign,
        data={
            "recurrence": "rrule",
            "rule_frequency": "MONTHLY",
            "rule_interval": "1",
            "rule_month_mode": "weekday",
            "rule_ordinal": "-1",
            "rule_ordinal_weekday": "FR",
        },
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["rrule"] == "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20271231"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"rule_frequency": "WEEKLY"}, "rule_weekdays"),
        ({"rule_frequency": "MONTHLY", "rule_month_mode": "day"}, "rule_month_day"),
        ({"rule_frequency": "YEARLY", "rule_month_day": "8"}, "rule_month_day"),
    ],
)
def test_a_schedule_missing_its_day_says_which(data, field):
    form = ScheduleForm(data={"recurrence": "rrule", **data})
    assert not form.is_valid()
    assert field in form.errors


def test_a_stored_rule_shows_in_the_pickers():
    form = ScheduleForm(instance=CareCampaign(recurrence="rrule", rrule="FREQ=MONTHLY;BYDAY=2WE"))
    assert form.fields["rule_frequency"].initial == "MONTHLY"
    assert form.fields["rule_month_mode"].initial == "weekday"
    assert form.fields["rule_ordinal"].initial == 2
    assert form.fields["rule_ordinal_weekday"].initial == "WE"


def test_a_weekly_rule_without_weekdays_shows_the_start_dates_weekday():
    campaign = CareCampaign(recurrence="rrule", rrule="FREQ=WEEKLY", starts_on=dt.date(2027, 3, 3))
    assert ScheduleForm(instance=campaign).fields["rule_weekdays"].initial == ["WE"]
