import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from carecrm.accounts.tests.factories import UserFactory
from carecrm.core.models import AuditAction, AuditEntry
from customers.models import (
    ChannelConsent,
    ContactPerson,
    Customer,
    CustomerKind,
    CustomerStatus,
    InteractionOutcome,
)
from customers.services import interactions, orders
from customers.services import records as services
from customers.tests.factories import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _create(user, **data):
    data.setdefault("name", "王芳")
    return services.customer_create(user=user, data=data)


class TestContactNormalisation:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("13812345678", "+8613812345678"),
            ("138 1234 5678", "+8613812345678"),
            ("+86 138-1234-5678", "+8613812345678"),
            ("008613812345678", "+8613812345678"),
            ("+852 5123 4567", "+85251234567"),
            ("", ""),
        ],
    )
    def test_mobiles_are_stored_as_e164(self, raw, expected):
        assert services.normalise_mobile(raw) == expected

    @pytest.mark.parametrize("raw", ["12345", "1381234567", "not a phone", "+86 10 6552 9988"])
    def test_invalid_or_landline_numbers_are_rejected(self, raw):
        with pytest.raises(ValidationError):
            services.normalise_mobile(raw)

    def test_email_is_trimmed_and_lower_cased(self):
        assert services.normalise_email("  Wang.Fang@Example.CN ") == "wang.fang@example.cn"

    def test_bad_email_is_rejected(self):
        with pytest.raises(ValidationError):
            services.normalise_email("wang.fang@")


class TestCustomerCreate:
    def test_it_normalises_contacts_and_fills_helper_columns(self, staff_a):
        customer = _create(staff_a, mobile="138 1234 5678", email="A@B.CN")
        customer.refresh_from_db()
        assert customer.mobile == "+8613812345678"
        assert customer.mobile_last4 == "5678"
        assert customer.email == "a@b.cn"
        assert customer.department == staff_a.department
        assert customer.created_by == staff_a

    def test_it_writes_a_create_audit_entry(self, staff_a):
        customer = _create(staff_a, mobile="13812345678")
        entry = AuditEntry.objects.get(customer_id=customer.pk)
        assert entry.action == AuditAction.CREATE
        assert entry.actor == staff_a
        assert entry.detail == {"fields": ["mobile", "name"]}

    def test_a_mobile_or_email_is_required(self, staff_a):
        with pytest.raises(ValidationError) as error:
            _create(staff_a)
        assert "mobile" in error.value.message_dict

    def test_second_active_customer_with_same_mobile_is_refused(self, staff_a, staff_b):
        CustomerFactory(mobile="+8613812345678", department=staff_b.department)
        with pytest.raises(ValidationError) as error:
            _create(staff_a, mobile="138 1234 5678")
        assert error.value.message_dict["mobile"] == [
            "Another customer already has this mobile phone."
        ]

    def test_a_merged_customer_does_not_block_the_mobile(self, staff_a):
        CustomerFactory(
            mobile="+8613812345678", department=staff_a.department, status=CustomerStatus.MERGED
        )
        assert _create(staff_a, mobile="13812345678").pk

    def test_staff_cannot_file_a_customer_in_another_department(self, staff_a, department_b):
        with pytest.raises(ValidationError) as error:
            _create(staff_a, mobile="13812345678", department=department_b)
        assert "department" in error.value.message_dict

    def test_admin_can_file_a_customer_in_any_department(self, admin_user, department_b):
        customer = _create(admin_user, mobile="13812345678", department=department_b)
        assert customer.department == department_b

    def test_staff_can_only_assign_managers_of_the_department(self, staff_a, staff_b, manager_a):
        with pytest.raises(ValidationError) as error:
            _create(staff_a, mobile="13812345678", relationship_manager=staff_b)
        assert "relationship_manager" in error.value.message_dict
        customer = _create(staff_a, mobile="13812345679", relationship_manager=manager_a)
        assert customer.relationship_manager == manager_a

    def test_birthday_in_the_future_is_refused(self, staff_a):
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        with pytest.raises(ValidationError) as error:
            _create(staff_a, mobile="13812345678", birthday=tomorrow, registered_on=tomorrow)
        assert set(error.value.message_dict) == {"birthday", "registered_on"}

    def test_derived_fields_cannot_be_set(self, staff_a):
        with pytest.raises(TypeError):
            _create(staff_a, mobile="13812345678", total_spend=Decimal("100000"))

    def test_tags_are_created_once(self, staff_a):
        first = services.customer_create(
            user=staff_a, data={"name": "甲", "mobile": "13812345678"}, tags=["VIP", "咖啡"]
        )
        second = services.customer_create(
            user=staff_a, data={"name": "乙", "mobile": "13812345679"}, tags=["咖啡"]
        )
        assert sorted(t.name for t in first.tags.all()) == ["VIP", "咖啡"]
        assert first.tags.get(name="咖啡") == second.tags.get()


class TestLunarBirthday:
    def test_lunar_month_and_day_are_computed_from_the_solar_birthday(self, staff_a):
        # 1990-03-10 is the 14th day of the 2nd lunar month of 1990 (hand-checked calendar).
        customer = _create(
            staff_a,
            mobile="13812345678",
            birthday=dt.date(1990, 3, 10),
            celebrates_lunar_birthday=True,
        )
        assert (customer.lunar_birth_month, customer.lunar_birth_day) == (2, 14)
        assert customer.lunar_birth_leap_month is False
        assert customer.birth_month == 2

    def test_a_leap_month_birthday_is_marked(self, staff_a):
        # 2020-05-25 is the 3rd day of the leap 4th lunar month of 2020.
        customer = _create(
            staff_a,
            mobile="13812345678",
            birthday=dt.date(2020, 5, 25),
            celebrates_lunar_birthday=True,
        )
        assert (customer.lunar_birth_month, customer.lunar_birth_day) == (4, 3)
        assert customer.lunar_birth_leap_month is True

    def test_a_given_lunar_date_is_kept(self, staff_a):
        customer = _create(
            staff_a,
            mobile="13812345678",
            celebrates_lunar_birthday=True,
            lunar_birth_month=8,
            lunar_birth_day=15,
        )
        assert (customer.lunar_birth_month, customer.lunar_birth_day) == (8, 15)
        assert customer.birth_month == 8

    def test_celebrating_needs_some_birthday(self, staff_a):
        with pytest.raises(ValidationError) as error:
            _create(staff_a, mobile="13812345678", celebrates_lunar_birthday=True)
        assert "lunar_birth_month" in error.value.message_dict

    def test_changing_the_solar_birthday_recomputes_the_lunar_one(self, staff_a):
        customer = _create(
            staff_a,
            mobile="13812345678",
            birthday=dt.date(1990, 3, 10),
            celebrates_lunar_birthday=True,
        )
        services.customer_update(
            customer=customer,
            user=staff_a,
            data={
                "birthday": dt.date(1990, 1, 27),
                "lunar_birth_month": 2,
                "lunar_birth_day": 14,
            },
        )
        # 1990-01-27 is the 1st day of the 1st lunar month (Spring Festival 1990).
        assert (customer.lunar_birth_month, customer.lunar_birth_day) == (1, 1)


class TestCustomerUpdate:
    def test_it_records_which_fields_changed(self, staff_a):
        customer = CustomerFactory(department=staff_a.department, mobile="+8613812345678")
        changed = services.customer_update(
            customer=customer,
            user=staff_a,
            data={"mobile": "138 1234 5678", "city": "杭州市", "industry": "零售"},
        )
        assert changed == ["city", "industry"]
        entry = AuditEntry.objects.get(customer_id=customer.pk, action=AuditAction.CHANGE)
        assert entry.detail == {"fields": ["city", "industry"]}
        customer.refresh_from_db()
        assert customer.city == "杭州市"

    def test_no_change_writes_no_audit_entry(self, staff_a):
        customer = CustomerFactory(department=staff_a.department)
        assert (
            services.customer_update(customer=customer, user=staff_a, data={"name": customer.name})
            == []
        )
        assert not AuditEntry.objects.filter(customer_id=customer.pk).exists()

    def test_taking_another_customers_mobile_is_refused(self, staff_a):
        CustomerFactory(mobile="+8613812345678")
        customer = CustomerFactory(department=staff_a.department)
        with pytest.raises(ValidationError) as error:
            services.customer_update(
                customer=customer, user=staff_a, data={"mobile": "13812345678"}
            )
        assert "mobile" in error.value.message_dict

    def test_a_merged_customer_cannot_be_edited(self, staff_a):
        customer = CustomerFactory(department=staff_a.department, status=CustomerStatus.MERGED)
        with pytest.raises(ValidationError):
            services.customer_update(customer=customer, user=staff_a, data={"city": "北京市"})


class TestConsent:
    def test_latest_decision_is_kept_and_each_one_audited(self, staff_a):
        customer = CustomerFactory(department=staff_a.department)
        services.consent_set(
            customer=customer, channel="sms", granted=True, method="form", user=staff_a
        )
        services.consent_set(
            customer=customer,
            channel="sms",
            granted=False,
            method="reply",
            user=staff_a,
            note="回复TD",
        )
        consent = ChannelConsent.objects.get(customer=customer, channel="sms")
        assert (consent.granted, consent.method, consent.note) == (False, "reply", "回复TD")
        history = AuditEntry.objects.filter(
            customer_id=customer.pk, action=AuditAction.CONSENT
        ).order_by("pk")
        assert [(e.detail["granted"], e.detail["previous"]) for e in history] == [
            (True, None),
            (False, True),
        ]


class TestInteractions:
    def test_logging_defaults_to_the_user_and_now(self, staff_a):
        customer = CustomerFactory(department=staff_a.department)
        interaction = interactions.interaction_log(
            customer=customer,
            user=staff_a,
            kind="complaint",
            summary="快递破损",
            follow_up_due=timezone.localdate() + dt.timedelta(days=2),
        )
        assert interaction.staff == staff_a
        assert interaction.outcome == InteractionOutcome.OPEN

    def test_follow_up_before_the_interaction_is_refused(self, staff_a):
        customer = CustomerFactory(department=staff_a.department)
        with pytest.raises(ValidationError) as error:
            interactions.interaction_log(
                customer=customer,
                user=staff_a,
                kind="call",
                summary="回访",
                occurred_at=timezone.now(),
                follow_up_due=timezone.localdate() - dt.timedelta(days=1),
            )
        assert "follow_up_due" in error.value.message_dict

    def test_resolving_closes_it_and_keeps_the_note(self, staff_a):
        interaction = InteractionFactory(
            customer__department=staff_a.department, follow_up_due=timezone.localdate()
        )
        interactions.interaction_resolve(interaction=interaction, user=staff_a, resolution="已补发")
        interaction.refresh_from_db()
        assert interaction.outcome == InteractionOutcome.RESOLVED
        assert interaction.resolved_by == staff_a
        assert interaction.resolution == "已补发"
        assert interaction.resolved_at is not None


class TestOrders:
    def test_amount_is_the_sum_of_the_lines(self, staff_a):
        customer = CustomerFactory(department=staff_a.department)
        order = orders.order_record(
            customer=customer,
            order_no="SO-1",
            ordered_at=dt.datetime(2026, 3, 1, 10, 0, tzinfo=SHANGHAI),
            store="上海旗舰店",
            lines=[
                {"product": "挂耳咖啡", "quantity": "3", "unit_price": "39.90"},
                {"product": "咖啡杯", "quantity": "1", "unit_price": "88.00", "category": "器具"},
                {"product": "咖啡豆 半磅", "quantity": "0.5", "unit_price": "119.97"},
            ],
            user=staff_a,
        )
        # 3 × 39.90 = 119.70; 88.00; 0.5 × 119.97 = 59.985 → 59.99 (half up) → 267.69
        order.refresh_from_db()
        assert order.amount == Decimal("267.69")
        assert order.lines.count() == 3

    def test_a_refund_has_a_negative_amount(self, staff_a):
        customer = CustomerFactory(department=staff_a.department)
        order = orders.order_record(
            customer=customer,
            order_no="RF-1",
            ordered_at=timezone.now(),
            lines=[{"product": "挂耳咖啡", "quantity": "-2", "unit_price": "39.90"}],
            user=staff_a,
        )
        assert order.amount == Decimal("-79.80")

    def test_duplicate_order_number_is_refused(self, staff_a):
        customer = CustomerFactory(department=staff_a.department)
        line = [{"product": "茶", "unit_price": "10"}]
        orders.order_record(
            customer=customer, order_no="SO-1", ordered_at=timezone.now(), lines=line, user=staff_a
        )
        with pytest.raises(ValidationError) as error:
            orders.order_record(
                customer=customer,
                order_no="SO-1",
                ordered_at=timezone.now(),
                lines=line,
                user=staff_a,
            )
        assert "order_no" in error.value.message_dict

    def test_an_order_needs_lines(self, staff_a):
        customer = CustomerFactory(department=staff_a.department)
        with pytest.raises(ValidationError):
            orders.order_record(
                customer=customer,
                order_no="SO-2",
                ordered_at=timezone.now(),
                lines=[],
                user=staff_a,
            )


class TestContactPersons:
    def test_first_contact_person_is_primary_and_only_one_stays_primary(self, staff_a):
        company = CustomerFactory(department=staff_a.department, kind=CustomerKind.COMPANY)
        first = services.contact_person_add(
            customer=company, user=staff_a, data={"name": "李经理", "mobile": "13912345678"}
        )
        second = services.contact_person_add(
            customer=company, user=staff_a, data={"name": "赵主管", "is_primary": True}
        )
        first.refresh_from_db()
        assert first.mobile == "+8613912345678"
        assert (first.is_primary, second.is_primary) == (False, True)
        services.contact_person_remove(person=second, user=staff_a)
        assert ContactPerson.objects.get().is_primary is True

    def test_a_person_customer_has_no_contact_persons(self, staff_a):
        person = CustomerFactory(department=staff_a.department)
        with pytest.raises(ValidationError):
            services.contact_person_add(customer=person, user=staff_a, data={"name": "李"})


def test_admin_can_assign_a_manager_from_another_department(admin_user, department_a, department_b):
    other = UserFactory(username="other_dept", department=department_b)
    customer = _create(
        admin_user, mobile="13812345678", department=department_a, relationship_manager=other
    )
    assert Customer.objects.get(pk=customer.pk).relationship_manager == other
