"""Bonuses: the birthday bonus once per customer and year from the rules' level (solar or
lunar, as the customer celebrates), and the referral bonus once per referred customer who
becomes a VIP — ever, whatever the level does afterwards."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from lunardate import LunarDate

from customers.tests.factories import CustomerFactory
from loyalty.models import EntryKind, PointsEntry
from loyalty.selectors.points import account_balance
from loyalty.services.bonuses import birthday_bonuses_grant, referral_bonuses_grant
from loyalty.tasks import grant_birthday_bonuses, grant_referral_bonuses
from loyalty.tests.factories import assert_balanced

pytestmark = pytest.mark.django_db
DAY = dt.date(2027, 5, 20)


def birthday_entries(customer):
    return PointsEntry.objects.filter(customer=customer, kind=EntryKind.BIRTHDAY)


class TestBirthday:
    def test_vips_get_the_bonus_on_their_birthday_once_a_year(self, department_a, rules):
        silver = CustomerFactory(
            department=department_a, vip_level="silver", birthday=dt.date(1985, 5, 20)
        )
        normal = CustomerFactory(
            department=department_a, vip_level="normal", birthday=dt.date(1990, 5, 20)
        )
        other_day = CustomerFactory(
            department=department_a, vip_level="gold", birthday=dt.date(1990, 6, 20)
        )
        assert birthday_bonuses_grant(today=DAY) == 1
        assert account_balance(silver) == 200 and birthday_entries(silver).get().year == 2027
        assert not birthday_entries(normal).exists() and not birthday_entries(other_day).exists()
        assert birthday_bonuses_grant(today=DAY) == 0
        assert birthday_bonuses_grant(today=DAY + dt.timedelta(days=1)) == 0  # still caught up
        assert birthday_bonuses_grant(today=dt.date(2028, 5, 20)) == 1  # next year again
        assert account_balance(silver) == 400
        assert_balanced()

    def test_a_missed_run_is_made_up_within_a_week(self, department_a, rules):
        customer = CustomerFactory(
            department=department_a, vip_level="gold", birthday=dt.date(1980, 5, 15)
        )
        assert grant_birthday_bonuses(day=DAY.isoformat()) == {"granted": 1}
        assert account_balance(customer) == 200
        late = CustomerFactory(
            department=department_a, vip_level="gold", birthday=dt.date(1980, 5, 10)
        )
        assert birthday_bonuses_grant(today=DAY) == 0
        assert account_balance(late) == 0

    def test_the_lunar_birthday_counts_for_those_who_celebrate_it(self, department_a, rules):
        lunar_day = LunarDate(2027, 8, 15).to_solar_date()  # Mid-Autumn 2027
        customer = CustomerFactory(
            department=department_a,
            vip_level="silver",
            birthday=dt.date(1990, 1, 1),
            celebrates_lunar_birthday=True,
            lunar_birth_month=8,
            lunar_birth_day=15,
        )
        assert birthday_bonuses_grant(today=dt.date(2027, 1, 1)) == 0  # not the solar one
        assert birthday_bonuses_grant(today=lunar_day) == 1
        assert account_balance(customer) == 200

    def test_the_level_and_the_bonus_are_the_admins(self, department_a, rules):
        customer = CustomerFactory(
            department=department_a, vip_level="normal", birthday=dt.date(1985, 5, 20)
        )
        rules.birthday_min_level = "normal"
        rules.birthday_bonus = 88
        rules.save()
        birthday_bonuses_grant(today=DAY)
        assert account_balance(customer) == 88
        rules.birthday_bonus = 0
        rules.save()
        assert birthday_bonuses_grant(today=dt.date(2028, 5, 20)) == 0

    def test_the_database_allows_one_birthday_bonus_a_year(self, silver):
        PointsEntry.objects.create(customer=silver, kind=EntryKind.BIRTHDAY, points=200, year=2027)
        with pytest.raises(IntegrityError), transaction.atomic():
            PointsEntry.objects.create(
                customer=silver, kind=EntryKind.BIRTHDAY, points=200, year=2027
            )


class TestReferral:
    def test_the_bonus_is_granted_once_even_if_the_level_drops_and_rises(self, department_a, rules):
        referrer = CustomerFactory(department=department_a, name="推荐人", vip_level="normal")
        friend = CustomerFactory(
            department=department_a, referred_by=referrer, referred_at=timezone.now()
        )
        assert referral_bonuses_grant() == 0  # not a VIP yet
        friend.vip_level = "silver"
        friend.save()
        assert grant_referral_bonuses() == {"granted": 1}
        assert grant_referral_bonuses() == {"granted": 0}
        bonus = PointsEntry.objects.get(kind=EntryKind.REFERRAL)
        assert bonus.customer == referrer and bonus.referral == friend and bonus.points == 100
        for level in ("normal", "gold"):
            friend.vip_level = level
            friend.save()
            assert referral_bonuses_grant() == 0
        assert account_balance(referrer) == 100
        assert_balanced()

    def test_the_database_refuses_a_second_bonus_for_a_referral(self, department_a, rules):
        referrer = CustomerFactory(department=department_a)
        friend = CustomerFactory(department=department_a, referred_by=referrer, vip_level="gold")
        referral_bonuses_grant()
        with pytest.raises(IntegrityError), transaction.atomic():
            PointsEntry.objects.create(
                customer=referrer, kind=EntryKind.REFERRAL, referral=friend, points=100
            )

    def test_each_referred_vip_brings_its_own_bonus(self, department_a, rules):
        referrer = CustomerFactory(department=department_a)
        for level in ("silver", "gold", "diamond", "normal"):
            CustomerFactory(department=department_a, referred_by=referrer, vip_level=level)
        assert referral_bonuses_grant() == 3
        assert account_balance(referrer) == 300

    def test_a_merged_referrer_gets_nothing(self, department_a, rules):
        referrer = CustomerFactory(department=department_a, status="merged")
        CustomerFactory(department=department_a, referred_by=referrer, vip_level="gold")
        assert referral_bonuses_grant() == 0
