import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecrm.accounts.tests.factories import UserFactory
from carecrm.core.models import AuditAction, AuditEntry
from carecrm.core.registry import TimelineEntry, timeline_providers
from customers.models import (
    ChannelConsent,
    ContactPerson,
    Customer,
    CustomerKind,
    Interaction,
    InteractionOutcome,
    Order,
)
from customers.tests.factories import (
    CustomerFactory,
    InteractionFactory,
    OrderFactory,
    OrderLineFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _get(client, url, **params):
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")


def _post(client, url, data):
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")


def _detail(customer) -> str:
    return reverse("customers:detail", args=[customer.pk])


def _customer_form_data(**overrides) -> dict:
    from carecrm.accounts.models import Department

    data = {
        "department": Department.objects.get(code="east-sales").pk,
        "name": "王芳",
        "kind": "person",
        "gender": "female",
        "source": "manual",
        "mobile": "138 1234 5678",
        "email": "wang.fang@example.cn",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "street": "文三路 100 号",
        "birthday": "1990-03-10",
        "registered_on": "2024-01-15",
        "preferred_categories": "咖啡，茶具",
        "tags": "VIP, 咖啡爱好者",
        "notes": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def customer_a(department_a):
    return CustomerFactory(
        name="张伟",
        department=department_a,
        mobile="+8613812345678",
        email="zhang.wei@example.cn",
        street="世纪大道 100 号",
    )


@pytest.fixture
def customer_b(department_b):
    return CustomerFactory(name="李娜", department=department_b, mobile="+8613987654321")


class TestScoping:
    def test_staff_of_other_department_gets_404(self, staff_a_client, customer_b):
        assert _get(staff_a_client, _detail(customer_b)).status_code == 404
        edit = reverse("customers:edit", args=[customer_b.pk])
        assert _get(staff_a_client, edit).status_code == 404
        log = reverse("customers:interaction-log", args=[customer_b.pk])
        assert _post(staff_a_client, log, {"kind": "call", "summary": "x"}).status_code == 404
        assert not Interaction.objects.exists()

    def test_staff_sees_own_department(self, staff_a_client, customer_a):
        response = _get(staff_a_client, _detail(customer_a))
        assert response.status_code == 200
        assert "张伟" in response.content.decode()

    def test_staff_sees_another_departments_customer_they_manage(self, staff_a, customer_b):
        customer_b.relationship_manager = staff_a
        customer_b.save()
        client = Client()
        client.force_login(staff_a)
        assert _get(client, _detail(customer_b)).status_code == 200

    def test_manager_sees_the_department_but_not_others(
        self, manager_a_client, customer_a, customer_b
    ):
        assert _get(manager_a_client, _detail(customer_a)).status_code == 200
        assert _get(manager_a_client, _detail(customer_b)).status_code == 404

    def test_admin_sees_every_department(self, admin_client_user, customer_a, customer_b):
        assert _get(admin_client_user, _detail(customer_a)).status_code == 200
        assert _get(admin_client_user, _detail(customer_b)).status_code == 200

    def test_anonymous_visitor_is_sent_to_login(self, client, customer_a):
        response = client.get(_detail(customer_a))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


class TestMaskingAndAudit:
    def test_contact_details_are_masked_without_the_permission(self, staff_a_client, customer_a):
        body = _get(staff_a_client, _detail(customer_a)).content.decode()
        assert "138****5678" in body
        assert "z***@example.cn" in body
        assert "13812345678" not in body
        assert "138 1234 5678" not in body
        assert "zhang.wei@example.cn" not in body
        assert "世纪大道" not in body
        assert "data-masked" in body

    def test_contact_details_are_shown_with_the_permission(self, manager_a_client, customer_a):
        body = _get(manager_a_client, _detail(customer_a)).content.decode()
        assert "138 1234 5678" in body
        assert "zhang.wei@example.cn" in body
        assert "世纪大道 100 号" in body
        assert "data-masked" not in body

    def test_contact_persons_are_masked_too(self, staff_a_client, department_a):
        company = CustomerFactory(department=department_a, kind=CustomerKind.COMPANY)
        ContactPerson.objects.create(customer=company, name="李经理", mobile="+8613912345678")
        body = _get(staff_a_client, _detail(company)).content.decode()
        assert "李经理" in body
        assert "139****5678" in body
        assert "13912345678" not in body

    def test_the_edit_form_does_not_reveal_contact_details(self, staff_a_client, customer_a):
        body = _get(staff_a_client, reverse("customers:edit", args=[customer_a.pk])).content
        body = body.decode()
        assert "13812345678" not in body
        assert "zhang.wei@example.cn" not in body
        assert "138****5678" in body

    def test_a_blank_masked_field_keeps_the_value(self, staff_a_client, customer_a):
        data = _customer_form_data(mobile="", email="", street="", name="张伟")
        response = _post(staff_a_client, reverse("customers:edit", args=[customer_a.pk]), data)
        assert response.status_code == 302
        customer_a.refresh_from_db()
        assert customer_a.mobile == "+8613812345678"
        assert customer_a.email == "zhang.wei@example.cn"
        assert customer_a.street == "世纪大道 100 号"
        assert customer_a.city == "杭州市"

    def test_viewing_the_page_is_audited(self, staff_a, staff_a_client, customer_a):
        _get(staff_a_client, _detail(customer_a))
        entry = AuditEntry.objects.get(customer_id=customer_a.pk)
        assert (entry.action, entry.actor) == (AuditAction.VIEW, staff_a)

    def test_editing_is_audited_with_the_changed_fields(self, manager_a_client, customer_a):
        data = _customer_form_data(
            name="张伟",
            mobile="13812345678",
            email="zhang.wei@example.cn",
            street="世纪大道 100 号",
            province="上海市",
            city="上海市",
            district="浦东新区",
            birthday="1990-03-10",
            registered_on="2024-01-15",
            gender="",
            preferred_categories="",
            tags="",
            industry="咖啡零售",
        )
        response = _post(manager_a_client, reverse("customers:edit", args=[customer_a.pk]), data)
        assert response.status_code == 302
        entry = AuditEntry.objects.get(customer_id=customer_a.pk, action=AuditAction.CHANGE)
        assert entry.detail == {"fields": ["industry"]}


class TestCreateAndEditForms:
    def test_creating_a_customer(self, staff_a_client, department_a):
        response = _post(staff_a_client, reverse("customers:create"), _customer_form_data())
        customer = Customer.objects.get()
        assert response.status_code == 302
        assert response["Location"] == _detail(customer)
        assert customer.mobile == "+8613812345678"
        assert customer.department == department_a
        assert customer.preferred_categories == ["咖啡", "茶具"]
        assert sorted(t.name for t in customer.tags.all()) == ["VIP", "咖啡爱好者"]
        assert AuditEntry.objects.filter(customer_id=customer.pk, action="create").exists()

    def test_the_create_form_offers_only_the_own_department(
        self, staff_a_client, department_a, department_b
    ):
        body = _get(staff_a_client, reverse("customers:create")).content.decode()
        assert department_a.name in body
        assert department_b.name not in body

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("mobile", "12345", "is not a valid mobile phone number"),
            ("email", "wang.fang@", "Enter a valid email address"),
            ("birthday", "1990-02-30", "Enter a valid date"),
            ("birthday", "2999-01-01", "The birthday cannot be in the future"),
            ("registered_on", "2999-01-01", "The registration date cannot be in the future"),
        ],
    )
    def test_invalid_input_shows_an_error(self, staff_a_client, field, value, message):
        response = _post(
            staff_a_client, reverse("customers:create"), _customer_form_data(**{field: value})
        )
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Customer.objects.exists()

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("name", "王\r\nBcc: all@example.cn", "Contains a line break, which cannot be used"),
            ("name", "王\t芳", "Contains a tab, which cannot be used in emails; remove it."),
            ("email", '"wang\x07"@example.cn', "Contains the control character U+0007"),
        ],
    )
    def test_a_control_character_in_a_name_or_email_is_refused_with_what_it_is(
        self, staff_a_client, field, value, message
    ):
        response = _post(
            staff_a_client, reverse("customers:create"), _customer_form_data(**{field: value})
        )
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Customer.objects.exists()

    def test_editing_a_name_to_hold_a_line_break_is_refused(self, manager_a_client, customer_a):
        data = _customer_form_data(name="张\n伟")
        response = _post(manager_a_client, reverse("customers:edit", args=[customer_a.pk]), data)
        assert response.status_code == 200
        assert "Contains a line break" in response.content.decode()
        customer_a.refresh_from_db()
        assert customer_a.name == "张伟"

    def test_duplicate_mobile_shows_an_error_without_naming_the_other_record(
        self, staff_a_client, customer_b
    ):
        response = _post(
            staff_a_client,
            reverse("customers:create"),
            _customer_form_data(mobile="139 8765 4321"),
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "Another customer already has this mobile phone." in body
        assert "李娜" not in body
        assert Customer.objects.count() == 1

    def test_lunar_birthday_is_computed_when_celebrated(self, staff_a_client):
        data = _customer_form_data(birthday="1990-03-10", celebrates_lunar_birthday="on")
        _post(staff_a_client, reverse("customers:create"), data)
        customer = Customer.objects.get()
        assert (customer.lunar_birth_month, customer.lunar_birth_day) == (2, 14)
        body = _get(staff_a_client, _detail(customer)).content.decode()
        assert "Lunar: month 2, day 14" in body

    def test_derived_fields_are_not_in_the_form(self, staff_a_client, customer_a):
        body = _get(staff_a_client, reverse("customers:edit", args=[customer_a.pk])).content
        for name in ("total_spend", "value_tier", "vip_level", "loyalty_score"):
            assert f'name="{name}"' not in body.decode()

    def test_posting_a_derived_field_changes_nothing(self, manager_a_client, customer_a):
        data = _customer_form_data(total_spend="999999", vip_level="diamond")
        _post(manager_a_client, reverse("customers:edit", args=[customer_a.pk]), data)
        customer_a.refresh_from_db()
        assert customer_a.total_spend == Decimal("0")
        assert customer_a.vip_level == "normal"

    def test_staff_cannot_assign_a_manager_of_another_department(
        self, staff_a_client, customer_a, staff_b
    ):
        data = _customer_form_data(relationship_manager=str(staff_b.pk))
        response = _post(staff_a_client, reverse("customers:edit", args=[customer_a.pk]), data)
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()


class TestCustomerPage:
    def test_it_shows_badges_scores_and_consents(self, staff_a_client, customer_a, staff_a):
        customer_a.value_tier = "high"
        customer_a.vip_level = "gold"
        customer_a.rfm_recency, customer_a.rfm_frequency, customer_a.rfm_monetary = 5, 4, 3
        customer_a.save()
        ChannelConsent.objects.create(
            customer=customer_a,
            channel="sms",
            granted=True,
            changed_at=timezone.now(),
            method="form",
        )
        body = _get(staff_a_client, _detail(customer_a)).content.decode()
        assert "High value" in body
        assert "Gold (SVIP)" in body
        assert "R5 F4 M3" in body
        assert "not scored yet" in body  # loyalty score is empty
        assert "Granted" in body
        assert "Not asked" in body

    def test_timeline_shows_orders_and_interactions_newest_first(self, staff_a_client, customer_a):
        order = OrderFactory(
            customer=customer_a,
            order_no="SO-2001",
            ordered_at=dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI),
            amount=Decimal("79.80"),
        )
        OrderLineFactory(order=order, product="挂耳咖啡", quantity=2, unit_price=Decimal("39.90"))
        InteractionFactory(
            customer=customer_a,
            kind="complaint",
            summary="咖啡包装破损",
            occurred_at=dt.datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI),
        )
        InteractionFactory(
            customer=customer_a,
            kind="consultation",
            summary="询问会员积分",
            occurred_at=dt.datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI),
        )
        body = _get(staff_a_client, _detail(customer_a)).content.decode()
        positions = [body.index(text) for text in ("咖啡包装破损", "SO-2001", "询问会员积分")]
        assert positions == sorted(positions)
        assert "挂耳咖啡 × 2" in body

    def test_timeline_can_show_one_kind(self, staff_a_client, customer_a):
        OrderFactory(customer=customer_a, order_no="SO-9")
        InteractionFactory(customer=customer_a, summary="询问发票")
        response = staff_a_client.get(
            reverse("customers:timeline", args=[customer_a.pk]),
            {"kind": "order"},
            HTTP_HX_REQUEST="true",
        )
        body = response.content.decode()
        assert "SO-9" in body
        assert "询问发票" not in body

    def test_a_later_apps_provider_appears_without_changing_the_page(
        self, staff_a_client, customer_a
    ):
        def messages(customer, user):
            return [
                TimelineEntry(
                    at=timezone.now(), kind="message", icon="envelope", title="生日祝福短信已发送"
                )
            ]

        timeline_providers.append(messages)
        try:
            body = _get(staff_a_client, _detail(customer_a)).content.decode()
        finally:
            timeline_providers.remove(messages)
        assert "生日祝福短信已发送" in body
        assert 'data-timeline-kind="message"' in body

    def test_the_page_needs_a_bounded_number_of_queries(self, staff_a_client, customer_a):
        """More orders and interactions must not mean more queries (no N+1); each
        timeline provider costs a constant few."""

        def add_history(start: int, count: int) -> None:
            for number in range(start, start + count):
                order = OrderFactory(customer=customer_a, order_no=f"SO-{number}")
                OrderLineFactory(order=order)
                OrderLineFactory(order=order, product="咖啡杯")
                InteractionFactory(customer=customer_a, summary=f"回访 {number}")

        customer_a.tags.create(name="VIP")
        add_history(0, 1)
        with CaptureQueriesContext(connection) as few:
            _get(staff_a_client, _detail(customer_a))
        add_history(1, 14)
        with CaptureQueriesContext(connection) as many:
            response = _get(staff_a_client, _detail(customer_a))
        assert response.status_code == 200
        assert len(many) == len(few)
        # the page, every registered timeline provider's few and the record panels' (the
        # loyalty points and referral panels and points timeline: 6) and the navigation
        # bar's unread notifications (1)
        assert len(many) <= 35

    def test_a_merged_customer_shows_the_surviving_record(self, staff_a_client, customer_a):
        merged = CustomerFactory(
            department=customer_a.department, status="merged", merged_into=customer_a
        )
        body = _get(staff_a_client, _detail(merged)).content.decode()
        assert "This record was merged" in body
        assert _detail(customer_a) in body
        assert reverse("customers:order-add", args=[merged.pk]) not in body


class TestInteractionsAndFollowUps:
    def test_logging_an_interaction_with_a_follow_up(self, staff_a, staff_a_client, customer_a):
        due = timezone.localdate() + dt.timedelta(days=3)
        response = _post(
            staff_a_client,
            reverse("customers:interaction-log", args=[customer_a.pk]),
            {
                "kind": "complaint",
                "channel": "phone",
                "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "staff": staff_a.pk,
                "summary": "收到的咖啡杯有裂纹",
                "outcome": "follow_up",
                "follow_up_due": due.isoformat(),
            },
        )
        assert response.status_code == 302
        interaction = Interaction.objects.get()
        assert (interaction.kind, interaction.follow_up_due) == ("complaint", due)

    def test_an_interaction_in_the_future_is_refused(self, staff_a, staff_a_client, customer_a):
        response = _post(
            staff_a_client,
            reverse("customers:interaction-log", args=[customer_a.pk]),
            {
                "kind": "call",
                "occurred_at": "2999-01-01T10:00",
                "staff": staff_a.pk,
                "summary": "回访",
                "outcome": "open",
            },
        )
        assert response.status_code == 200
        assert "cannot be in the future" in response.content.decode()

    def test_follow_ups_list_the_overdue_first_within_scope(
        self, staff_a_client, customer_a, customer_b
    ):
        today = timezone.localdate()
        InteractionFactory(
            customer=customer_a, summary="下周回访", follow_up_due=today + dt.timedelta(days=7)
        )
        InteractionFactory(
            customer=customer_a, summary="逾期回访", follow_up_due=today - dt.timedelta(days=2)
        )
        InteractionFactory(
            customer=customer_a,
            summary="已处理",
            follow_up_due=today - dt.timedelta(days=5),
            outcome=InteractionOutcome.RESOLVED,
        )
        InteractionFactory(customer=customer_b, summary="别的部门", follow_up_due=today)
        body = _get(staff_a_client, reverse("customers:follow-ups")).content.decode()
        assert body.index("逾期回访") < body.index("下周回访")
        assert "已处理" not in body
        assert "别的部门" not in body
        assert "data-overdue" in body

    def test_follow_ups_page_needs_a_bounded_number_of_queries(
        self, staff_a_client, department_a, django_assert_max_num_queries
    ):
        for number in range(12):
            InteractionFactory(
                customer=CustomerFactory(department=department_a),
                summary=f"回访 {number}",
                follow_up_due=timezone.localdate(),
                staff=UserFactory(department=department_a),
            )
        # 10 on PostgreSQL: the planner's estimate (an EXPLAIN, no rows read) decides
        # whether the first page also counts the list in the same read.
        with django_assert_max_num_queries(10):
            response = _get(staff_a_client, reverse("customers:follow-ups"))
        assert response.content.decode().count("data-follow-up=") == 12

    def test_overdue_only_filter(self, staff_a_client, customer_a):
        today = timezone.localdate()
        InteractionFactory(
            customer=customer_a, summary="下周回访", follow_up_due=today + dt.timedelta(days=7)
        )
        InteractionFactory(
            customer=customer_a, summary="逾期回访", follow_up_due=today - dt.timedelta(days=2)
        )
        body = _get(staff_a_client, reverse("customers:follow-ups"), overdue="on").content.decode()
        assert "逾期回访" in body
        assert "下周回访" not in body

    def test_resolving_from_the_list_returns_to_it(self, staff_a, staff_a_client, customer_a):
        interaction = InteractionFactory(
            customer=customer_a, follow_up_due=timezone.localdate(), summary="回访"
        )
        url = reverse("customers:interaction-resolve", args=[interaction.pk])
        response = _post(
            staff_a_client, url, {"resolution": "已电话确认", "next": "/customers/follow-ups/"}
        )
        assert response["Location"] == "/customers/follow-ups/"
        interaction.refresh_from_db()
        assert interaction.outcome == InteractionOutcome.RESOLVED
        assert interaction.resolved_by == staff_a
        body = _get(staff_a_client, reverse("customers:follow-ups")).content.decode()
        assert "No open follow-ups" in body

    def test_resolve_does_not_redirect_off_site(self, staff_a_client, customer_a):
        interaction = InteractionFactory(customer=customer_a, follow_up_due=timezone.localdate())
        url = reverse("customers:interaction-resolve", args=[interaction.pk])
        response = _post(staff_a_client, url, {"next": "https://evil.example/"})
        assert response["Location"] == _detail(customer_a)

    def test_staff_cannot_resolve_another_departments_follow_up(self, staff_a_client, customer_b):
        interaction = InteractionFactory(customer=customer_b, follow_up_due=timezone.localdate())
        url = reverse("customers:interaction-resolve", args=[interaction.pk])
        assert _post(staff_a_client, url, {}).status_code == 404


class TestOrdersConsentsContacts:
    def test_adding_an_order_with_several_lines(self, staff_a_client, customer_a):
        data = {
            "order_no": "SO-3001",
            "ordered_at": "2026-03-01T10:00",
            "store": "杭州西湖店",
            "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1",
            "lines-MAX_NUM_FORMS": "50",
            "lines-0-product": "挂耳咖啡",
            "lines-0-category": "咖啡",
            "lines-0-quantity": "2",
            "lines-0-unit_price": "39.90",
            "lines-1-product": "咖啡杯",
            "lines-1-quantity": "1",
            "lines-1-unit_price": "88",
            "lines-2-quantity": "1",
        }
        response = _post(staff_a_client, reverse("customers:order-add", args=[customer_a.pk]), data)
        assert response.status_code == 302
        order = Order.objects.get()
        assert order.amount == Decimal("167.80")  # 2 × 39.90 + 88.00
        assert order.lines.count() == 2

    def test_an_order_without_lines_shows_an_error(self, staff_a_client, customer_a):
        data = {
            "order_no": "SO-3002",
            "ordered_at": "2026-03-01T10:00",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1",
            "lines-MAX_NUM_FORMS": "50",
            "lines-0-quantity": "1",
        }
        response = _post(staff_a_client, reverse("customers:order-add", args=[customer_a.pk]), data)
        assert response.status_code == 200
        assert not Order.objects.exists()

    def test_recording_consents(self, staff_a_client, customer_a):
        data = {
            "sms-decision": "granted",
            "sms-method": "form",
            "email-decision": "withdrawn",
            "email-method": "unsubscribe_link",
            "email-note": "邮件退订",
        }
        response = _post(staff_a_client, reverse("customers:consents", args=[customer_a.pk]), data)
        assert response.status_code == 302
        consents = dict(ChannelConsent.objects.values_list("channel", "granted"))
        assert consents == {"sms": True, "email": False}
        body = _get(staff_a_client, _detail(customer_a)).content.decode()
        assert "Email: consent withdrawn" in body

    def test_a_decision_needs_a_method(self, staff_a_client, customer_a):
        response = _post(
            staff_a_client,
            reverse("customers:consents", args=[customer_a.pk]),
            {"sms-decision": "granted"},
        )
        assert response.status_code == 200
        assert "Say how the customer made this decision." in response.content.decode()
        assert not ChannelConsent.objects.exists()

    def test_adding_a_contact_person_to_a_company(self, staff_a_client, department_a):
        company = CustomerFactory(department=department_a, kind=CustomerKind.COMPANY)
        url = reverse("customers:contact-person-add", args=[company.pk])
        response = _post(
            staff_a_client, url, {"name": "李经理", "title": "采购经理", "mobile": "139 1234 5678"}
        )
        assert response.status_code == 302
        person = ContactPerson.objects.get()
        assert (person.mobile, person.is_primary) == ("+8613912345678", True)

    def test_recording_buying_intent(self, staff_a_client, customer_a):
        url = reverse("customers:intent-add", args=[customer_a.pk])
        response = _post(
            staff_a_client,
            url,
            {"kind": "added_to_cart", "product": "手冲壶", "occurred_at": "2026-03-01T21:00"},
        )
        assert response.status_code == 302
        body = _get(staff_a_client, _detail(customer_a)).content.decode()
        assert "Added to cart, not paid" in body
        assert "手冲壶" in body


def test_a_user_without_view_permission_is_refused(customer_a, department_a):
    nobody = UserFactory(username="no_groups", department=department_a)
    nobody.groups.clear()
    client = Client()
    client.force_login(nobody)
    assert client.get(_detail(customer_a)).status_code == 403


def test_manager_finds_privacy_actions_on_the_customer_page(manager_a_client, department_a):
    customer = CustomerFactory(department=department_a)
    body = manager_a_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    for action in ("audit", "pii-export", "anonymise"):
        assert f'data-action="{action}"' in body


def test_staff_sees_no_privacy_actions(staff_a_client, department_a):
    customer = CustomerFactory(department=department_a)
    body = staff_a_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'data-action="anonymise"' not in body
    assert 'data-action="pii-export"' not in body
