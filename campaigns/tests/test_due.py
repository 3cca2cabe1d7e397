"""Due touches: the issue's "must be true" schedule rules, end to end through approval."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import (
    CampaignKind,
    CampaignStatus,
    ChannelStrategy,
    CompanyDayKind,
    HolidaySource,
    Recurrence,
    TouchChannel,
    TriggerEvent,
    TriggerKind,
)
from campaigns.selectors.due import next_touch_dates, touch_counts
from campaigns.services.approval import campaign_pause, campaign_resume
from campaigns.services.campaigns import campaign_content_set, campaign_update
from campaigns.tests.factories import CampaignFactory, CompanyDayFactory, ContentFactory
from campaigns.tests.helpers import approve, due_ids
from customers.models import InteractionKind, InteractionOutcome
from customers.tests.factories import CustomerFactory, InteractionFactory, OrderFactory

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def birthday_campaign(department_a, staff_a, manager_a):
    campaign = CampaignFactory(department=department_a, kind=CampaignKind.BIRTHDAY, days_before=3)
    ContentFactory(campaign=campaign)
    return approve(campaign, author=staff_a, manager=manager_a)


def test_customer_born_1990_03_10_is_due_on_2027_03_07(birthday_campaign, department_a):
    customer = CustomerFactory(department=department_a, birthday=D(1990, 3, 10))

    assert due_ids(D(2027, 3, 7)) == {(customer.pk, "sms")}
    assert due_ids(D(2027, 3, 6)) == set()
    assert due_ids(D(2027, 3, 10)) == set()


def test_the_occurrence_names_the_birthday_it_is_for(birthday_campaign, department_a):
    from campaigns.selectors.due import due_touches

    CustomerFactory(department=department_a, birthday=D(1990, 3, 10))

    (touch,) = list(due_touches(on=D(2027, 3, 7)))
    assert touch.occurrence.on == D(2027, 3, 7)
    assert touch.occurrence.occasion == D(2027, 3, 10)
    assert touch.campaign == birthday_campaign


def test_lunar_birthday_8_15_is_due_three_days_before_2027_09_15(birthday_campaign, department_a):
    customer = CustomerFactory(
        department=department_a,
        birthday=D(1985, 9, 29),  # the solar date is ignored for a lunar celebrant
        celebrates_lunar_birthday=True,
        lunar_birth_month=8,
        lunar_birth_day=15,
    )

    assert due_ids(D(2027, 9, 12)) == {(customer.pk, "sms")}
    assert due_ids(D(2027, 9, 26)) == set()


def test_29_february_birthday_is_celebrated_on_28_february_in_a_non_leap_year(
    birthday_campaign, department_a
):
    leapling = CustomerFactory(department=department_a, birthday=D(1996, 2, 29))
    born_28th = CustomerFactory(department=department_a, birthday=D(1991, 2, 28))

    # 2027: both celebrate on 28 Feb, due 25 Feb.
    assert due_ids(D(2027, 2, 25)) == {(leapling.pk, "sms"), (born_28th.pk, "sms")}
    # 2028 is a leap year: the leapling's birthday is 29 Feb again, due 26 Feb.
    assert due_ids(D(2028, 2, 25)) == {(born_28th.pk, "sms")}
    assert due_ids(D(2028, 2, 26)) == {(leapling.pk, "sms")}


def test_changing_the_customers_birthday_moves_the_touch(birthday_campaign, department_a):
    customer = CustomerFactory(department=department_a, birthday=D(1990, 3, 10))
    assert due_ids(D(2027, 3, 7)) == {(customer.pk, "sms")}

    customer.birthday = D(1990, 5, 20)
    customer.refresh_derived_contact_fields()
    customer.save()

    assert due_ids(D(2027, 3, 7)) == set()
    assert due_ids(D(2027, 5, 17)) == {(customer.pk, "sms")}


def test_switching_to_the_lunar_birthday_moves_the_touch(birthday_campaign, department_a):
    customer = CustomerFactory(department=department_a, birthday=D(1990, 3, 10))
    customer.celebrates_lunar_birthday = True
    customer.lunar_birth_month, customer.lunar_birth_day = 8, 15
    customer.save()

    assert due_ids(D(2027, 3, 7)) == set()
    assert due_ids(D(2027, 9, 12)) == {(customer.pk, "sms")}


def _holiday(department, staff, manager, **schedule):
    campaign = CampaignFactory(
        department=department, kind=CampaignKind.HOLIDAY, name="节日问候", **schedule
    )
    ContentFactory(campaign=campaign, body="【悦享生活】{name}，{occasion}快乐！回T退订")
    return approve(campaign, author=staff, manager=manager)


def test_spring_festival_2027_comes_from_the_calendar(department_a, staff_a, manager_a):
    customer = CustomerFactory(department=department_a)
    _holiday(
        department_a,
        staff_a,
        manager_a,
        holiday_source=HolidaySource.FESTIVAL,
        festival="spring_festival",
        days_before=0,
    )

    assert due_ids(D(2027, 2, 6)) == {(customer.pk, "sms")}
    assert due_ids(D(2027, 1, 1)) == set()


def test_mid_autumn_2027_is_due_n_days_before_15_september(department_a, staff_a, manager_a):
    customer = CustomerFactory(department=department_a, birthday=None)
    campaign = _holiday(
        department_a,
        staff_a,
        manager_a,
        holiday_source=HolidaySource.FESTIVAL,
        festival="mid_autumn",
        days_before=2,
    )

    assert due_ids(D(2027, 9, 13)) == {(customer.pk, "sms")}
    assert due_ids(D(2027, 9, 15)) == set()
    (first, count), *_rest = next_touch_dates(campaign, after=D(2027, 1, 1))
    assert (first.on, first.occasion, count) == (D(2027, 9, 13), D(2027, 9, 15), 1)


def test_industry_day_10_24_is_due_every_year(department_a, staff_a, manager_a):
    customer = CustomerFactory(department=department_a)
    day = CompanyDayFactory(department=department_a, name="程序员节", month=10, day=24)
    _holiday(
        department_a,
        staff_a,
        manager_a,
        holiday_source=HolidaySource.COMPANY_DAY,
        company_day=day,
        days_before=1,
    )

    assert due_ids(D(2027, 10, 23)) == {(customer.pk, "sms")}
    assert due_ids(D(2028, 10, 23)) == {(customer.pk, "sms")}


def test_customer_company_anniversary_reaches_only_that_customer(department_a, staff_a, manager_a):
    company = CustomerFactory(department=department_a, kind="company")
    CustomerFactory(department=department_a)
    CompanyDayFactory(
        kind=CompanyDayKind.CUSTOMER_ANNIVERSARY,
        customer=company,
        department=department_a,
        name="成立纪念日",
        month=6,
        day=18,
        since_year=2008,
    )
    _holiday(
        department_a,
        staff_a,
        manager_a,
        holiday_source=HolidaySource.CUSTOMER_ANNIVERSARY,
        days_before=0,
    )

    assert due_ids(D(2027, 6, 18)) == {(company.pk, "sms")}


def test_nothing_unapproved_is_due(department_a, staff_a, manager_a):
    CustomerFactory(department=department_a, birthday=D(1990, 3, 10))
    for status in (
        CampaignStatus.DRAFT,
        CampaignStatus.IN_REVIEW,
        CampaignStatus.CHANGES_REQUESTED,
        CampaignStatus.PAUSED,
        CampaignStatus.FINISHED,
    ):
        ContentFactory(campaign=CampaignFactory(department=department_a, status=status))

    assert due_ids(D(2027, 3, 7)) == set()


def test_a_paused_campaign_is_not_due_until_resumed(birthday_campaign, department_a, manager_a):
    customer = CustomerFactory(department=department_a, birthday=D(1990, 3, 10))

    campaign_pause(campaign=birthday_campaign, user=manager_a, reason="投诉增多")
    assert due_ids(D(2027, 3, 7)) == set()

    campaign_resume(campaign=birthday_campaign, user=manager_a)
    assert due_ids(D(2027, 3, 7)) == {(customer.pk, "sms")}


def test_editing_an_approved_campaign_stops_it_until_re_approved(
    birthday_campaign, department_a, staff_a, manager_a
):
    customer = CustomerFactory(department=department_a, birthday=D(1990, 3, 10))
    assert birthday_campaign.status == CampaignStatus.ACTIVE

    campaign_content_set(
        campaign=birthday_campaign,
        user=staff_a,
        channel=TouchChannel.SMS,
        body="【悦享生活】{name}，生日快乐！回T退订",
    )
    birthday_campaign.refresh_from_db()

    assert birthday_campaign.status == CampaignStatus.DRAFT
    assert due_ids(D(2027, 3, 7)) == set()

    approve(birthday_campaign, author=staff_a, manager=manager_a)
    assert due_ids(D(2027, 3, 7)) == {(customer.pk, "sms")}


def test_changing_the_schedule_of_an_approved_campaign_also_stops_it(
    birthday_campaign, department_a, staff_a
):
    CustomerFactory(department=department_a, birthday=D(1990, 3, 10))

    campaign_update(campaign=birthday_campaign, user=staff_a, fields={"days_before": 7})
    birthday_campaign.refresh_from_db()

    assert birthday_campaign.status == CampaignStatus.DRAFT
    assert due_ids(D(2027, 3, 3)) == set()


def test_saving_without_a_change_keeps_the_approval(birthday_campaign, staff_a):
    campaign_update(campaign=birthday_campaign, user=staff_a, fields={"days_before": 3})
    birthday_campaign.refresh_from_db()
    assert birthday_campaign.status == CampaignStatus.ACTIVE


def test_audience_is_limited_to_the_campaigns_department(
    birthday_campaign, department_a, department_b
):
    mine = CustomerFactory(department=department_a, birthday=D(1990, 3, 10))
    CustomerFactory(department=department_b, birthday=D(1990, 3, 10))
    CustomerFactory(department=department_a, birthday=D(1990, 3, 10), status="merged")

    assert due_ids(D(2027, 3, 7)) == {(mine.pk, "sms")}


def test_one_off_is_due_on_its_local_date(department_a, staff_a, manager_a):
    customer = CustomerFactory(department=department_a)
    # 23:30 on 1 March in Shanghai is still 1 March locally (15:30 UTC).
    send_at = dt.datetime(2027, 3, 1, 23, 30, tzinfo=timezone.get_current_timezone())
    campaign = CampaignFactory(
        department=department_a, kind=CampaignKind.ONE_OFF, send_at=send_at, days_before=0
    )
    ContentFactory(campaign=campaign, body="【悦享生活】{name}，新品到店！回T退订")
    approve(campaign, author=staff_a, manager=manager_a)

    assert due_ids(D(2027, 3, 1)) == {(customer.pk, "sms")}
    assert due_ids(D(2027, 3, 2)) == set()


def test_monthly_recurrence_on_the_31st_falls_on_the_last_day_of_short_months(
    department_a, staff_a, manager_a
):
    CustomerFactory(department=department_a)
    campaign = CampaignFactory(
        department=department_a,
        kind=CampaignKind.RECURRING,
        recurrence=Recurrence.MONTHLY,
        starts_on=D(2027, 1, 31),
        ends_on=D(2027, 5, 31),
        days_before=0,
    )
    ContentFactory(campaign=campaign, body="【悦享生活】{name}，本月会员日！回T退订")
    approve(campaign, author=staff_a, manager=manager_a)

    dates = [occ.on for occ, _count in next_touch_dates(campaign, after=D(2027, 1, 1))]
    assert dates == [D(2027, 1, 31), D(2027, 2, 28), D(2027, 3, 31), D(2027, 4, 30), D(2027, 5, 31)]
    assert len(due_ids(D(2027, 2, 28))) == 1


def test_quarterly_and_rrule_recurrences(department_a):
    quarterly = CampaignFactory(
        department=department_a,
        kind=CampaignKind.RECURRING,
        recurrence=Recurrence.QUARTERLY,
        starts_on=D(2027, 1, 15),
    )
    first_monday = CampaignFactory(
        department=department_a,
        kind=CampaignKind.RECURRING,
        recurrence=Recurrence.RRULE,
        rrule="FREQ=MONTHLY;BYDAY=1MO",
        starts_on=D(2027, 1, 1),
    )

    assert [o.on for o, _n in next_touch_dates(quarterly, after=D(2027, 1, 1), limit=3)] == [
        D(2027, 1, 15),
        D(2027, 4, 15),
        D(2027, 7, 15),
    ]
    assert [o.on for o, _n in next_touch_dates(first_monday, after=D(2027, 1, 1), limit=3)] == [
        D(2027, 1, 4),
        D(2027, 2, 1),
        D(2027, 3, 1),
    ]


def _trigger(department, staff, manager, trigger, delay):
    campaign = CampaignFactory(
        department=department,
        kind=CampaignKind.TRIGGER,
        trigger=trigger,
        trigger_delay_days=delay,
        days_before=0,
    )
    ContentFactory(campaign=campaign, body="【悦享生活】{name}，感谢您的信任。回T退订")
    return approve(campaign, author=staff, manager=manager)


def test_first_purchase_trigger_is_due_n_days_after_the_first_order(
    department_a, staff_a, manager_a
):
    zone = timezone.get_current_timezone()
    newcomer = CustomerFactory(department=department_a)
    OrderFactory(customer=newcomer, ordered_at=dt.datetime(2026, 11, 2, 20, 0, tzinfo=zone))
    regular = CustomerFactory(department=department_a)
    OrderFactory(customer=regular, ordered_at=dt.datetime(2026, 6, 1, 10, 0, tzinfo=zone))
    OrderFactory(customer=regular, ordered_at=dt.datetime(2026, 11, 2, 10, 0, tzinfo=zone))
    campaign = _trigger(department_a, staff_a, manager_a, TriggerKind.FIRST_PURCHASE, 7)

    assert due_ids(D(2026, 11, 9)) == {(newcomer.pk, "sms")}
    assert touch_counts(campaign, D(2026, 11, 1), D(2026, 11, 30)) == {D(2026, 11, 9): 1}


def test_complaint_resolved_trigger(department_a, staff_a, manager_a):
    zone = timezone.get_current_timezone()
    customer = CustomerFactory(department=department_a)
    InteractionFactory(
        customer=customer,
        kind=InteractionKind.COMPLAINT,
        outcome=InteractionOutcome.RESOLVED,
        resolved_at=dt.datetime(2026, 11, 10, 9, 0, tzinfo=zone),
    )
    campaign = _trigger(department_a, staff_a, manager_a, TriggerKind.COMPLAINT_RESOLVED, 2)

    assert due_ids(D(2026, 11, 12)) == {(customer.pk, "sms")}
    assert touch_counts(campaign, D(2026, 11, 1), D(2026, 11, 30)) == {D(2026, 11, 12): 1}


def test_tier_upgrade_and_churn_risk_triggers_read_recorded_events(
    department_a, staff_a, manager_a
):
    upgraded = CustomerFactory(department=department_a)
    slipping = CustomerFactory(department=department_a)
    TriggerEvent.objects.create(
        customer=upgraded, kind=TriggerKind.TIER_UPGRADE, occurred_on=D(2026, 11, 5), source="t1"
    )
    TriggerEvent.objects.create(
        customer=slipping, kind=TriggerKind.CHURN_RISK, occurred_on=D(2026, 11, 5), source="c1"
    )
    _trigger(department_a, staff_a, manager_a, TriggerKind.TIER_UPGRADE, 0)
    _trigger(department_a, staff_a, manager_a, TriggerKind.CHURN_RISK, 1)

    assert due_ids(D(2026, 11, 5)) == {(upgraded.pk, "sms")}
    assert due_ids(D(2026, 11, 6)) == {(slipping.pk, "sms")}


def test_preferred_strategy_gives_each_customer_exactly_one_channel(
    department_a, staff_a, manager_a
):
    campaign = CampaignFactory(department=department_a, channel_strategy=ChannelStrategy.PREFERRED)
    ContentFactory(campaign=campaign, channel=TouchChannel.SMS, position=0)
    ContentFactory(
        campaign=campaign,
        channel=TouchChannel.EMAIL,
        position=1,
        subject="{name}，生日快乐",
        body="生日快乐",
    )
    approve(campaign, author=staff_a, manager=manager_a)
    prefers_email = CustomerFactory(department=department_a, preferred_channel="email")
    no_preference = CustomerFactory(department=department_a)
    email_only = CustomerFactory(department=department_a, mobile="")
    prefers_email_but_has_none = CustomerFactory(
        department=department_a, preferred_channel="email", email=""
    )

    assert due_ids(D(2027, 3, 7)) == {
        (prefers_email.pk, "email"),
        (no_preference.pk, "sms"),
        (email_only.pk, "email"),
        (prefers_email_but_has_none.pk, "sms"),
    }


def test_all_strategy_uses_every_reachable_channel(department_a, staff_a, manager_a):
    campaign = CampaignFactory(department=department_a, channel_strategy=ChannelStrategy.ALL)
    ContentFactory(campaign=campaign, channel=TouchChannel.SMS)
    ContentFactory(
        campaign=campaign,
        channel=TouchChannel.EMAIL,
        position=1,
        subject="生日快乐",
        body="生日快乐",
    )
    approve(campaign, author=staff_a, manager=manager_a)
    both = CustomerFactory(department=department_a)
    sms_only = CustomerFactory(department=department_a, email="")

    assert due_ids(D(2027, 3, 7)) == {(both.pk, "sms"), (both.pk, "email"), (sms_only.pk, "sms")}


def test_due_touches_reads_customers_set_based(
    birthday_campaign, department_a, django_assert_max_num_queries
):
    from campaigns.selectors.due import due_touches

    for _ in range(30):
        CustomerFactory(department=department_a, birthday=D(1990, 3, 10))

    with django_assert_max_num_queries(8):
        touches = list(due_touches(on=D(2027, 3, 7)))
    assert len(touches) == 30


def test_calendar_counts_agree_with_due_touches(birthday_campaign, department_a):
    born = [D(1990, 3, 10), D(1980, 3, 10), D(1996, 2, 29), D(1970, 3, 31)]
    for birthday in born:
        CustomerFactory(department=department_a, birthday=birthday)
    CustomerFactory(
        department=department_a,
        celebrates_lunar_birthday=True,
        lunar_birth_month=2,
        lunar_birth_day=1,  # lunar 2027-02-01 is 2027-03-08
    )

    counts = touch_counts(birthday_campaign, D(2027, 2, 20), D(2027, 3, 31))

    assert counts == {D(2027, 2, 25): 1, D(2027, 3, 5): 1, D(2027, 3, 7): 2, D(2027, 3, 28): 1}
    for day, count in counts.items():
        assert len(due_ids(day)) == count


def test_next_ten_dates_of_a_birthday_campaign_carry_audience_sizes(
    birthday_campaign, department_a
):
    for month in range(1, 13):
        CustomerFactory(department=department_a, birthday=D(1990, month, 10))
    CustomerFactory(department=department_a, birthday=D(1991, 12, 10))

    dates = next_touch_dates(birthday_campaign, after=D(2027, 1, 1))

    assert [(occ.on, n) for occ, n in dates][:2] == [(D(2027, 1, 7), 1), (D(2027, 2, 7), 1)]
    assert len(dates) == 10
    later = next_touch_dates(birthday_campaign, after=D(2027, 12, 1), limit=1)
    assert [(occ.on, n) for occ, n in later] == [(D(2027, 12, 7), 2)]


def test_run_window_limits_touches(birthday_campaign, department_a, staff_a, manager_a):
    CustomerFactory(department=department_a, birthday=D(1990, 3, 10))
    campaign_update(
        campaign=birthday_campaign,
        user=staff_a,
        fields={"starts_on": D(2027, 4, 1), "ends_on": D(2027, 12, 31)},
    )
    approve(birthday_campaign, author=staff_a, manager=manager_a)

    assert due_ids(D(2027, 3, 7)) == set()
    assert due_ids(D(2028, 3, 7)) == set()
    assert birthday_campaign.goal_target == Decimal("35.00")


@pytest.mark.parametrize(
    ("rule", "valid"),
    [
        ("FREQ=MONTHLY;BYDAY=1MO", True),
        ("RRULE:FREQ=WEEKLY;BYDAY=FR;UNTIL=20271231T000000Z", True),
        ("FREQ=HOURLY", False),
        ("FREQ=WEEKLY;BYDAY=XX", False),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", False),
        ("DTSTART:20270101\nRRULE:FREQ=DAILY", False),
        ("", False),
    ],
)
def test_rrule_validation(rule, valid):
    from campaigns.selectors.due import parse_rrule

    if valid:
        assert parse_rrule(rule, D(2027, 1, 1)) is not None
    else:
        with pytest.raises(ValueError):
            parse_rrule(rule, D(2027, 1, 1))


def test_laba_campaign_is_due_on_both_labas_of_a_year(department_a):
    campaign = CampaignFactory(
        department=department_a,
        kind=CampaignKind.HOLIDAY,
        holiday_source=HolidaySource.FESTIVAL,
        festival="laba",
        days_before=0,
    )
    CustomerFactory(department=department_a)
    counts = touch_counts(campaign, D(1908, 1, 1), D(1909, 12, 31))
    assert list(counts) == [D(1908, 1, 11), D(1908, 12, 30)]
