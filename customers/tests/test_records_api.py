import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from carecrm.core.models import AuditAction, AuditEntry
from customers.models import ChannelConsent, Customer, Interaction, InteractionOutcome, Order
from customers.tests.factories import CustomerFactory, InteractionFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer_a(department_a):
    return CustomerFactory(
        name="张伟",
        department=department_a,
        mobile="+8613812345678",
        email="zhang.wei@example.cn",
        street="世纪大道 100 号",
        region="华东",
        value_tier="high",
    )


@pytest.fixture
def customer_b(department_b):
    return CustomerFactory(name="李娜", department=department_b, mobile="+8613987654321")


def _results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


class TestCustomerScopingAndMasking:
    def test_staff_of_other_department_gets_404(self, api_client_for, staff_a, customer_b):
        client = api_client_for(staff_a)
        assert client.get(f"/api/v1/customers/{customer_b.pk}/").status_code == 404
        response = client.patch(f"/api/v1/customers/{customer_b.pk}/", {"city": "北京市"})
        assert response.status_code == 404

    def test_list_holds_only_the_users_scope(
        self, api_client_for, staff_a, manager_a, admin_user, customer_a, customer_b
    ):
        managed = CustomerFactory(department=customer_b.department, relationship_manager=staff_a)
        names = {row["id"] for row in _results(api_client_for(staff_a).get("/api/v1/customers/"))}
        assert names == {customer_a.pk, managed.pk}
        manager_ids = {
            row["id"] for row in _results(api_client_for(manager_a).get("/api/v1/customers/"))
        }
        assert manager_ids == {customer_a.pk}
        admin_ids = {
            row["id"] for row in _results(api_client_for(admin_user).get("/api/v1/customers/"))
        }
        assert admin_ids == {customer_a.pk, customer_b.pk, managed.pk}

    def test_contacts_are_masked_without_the_permission(self, api_client_for, staff_a, customer_a):
        data = api_client_for(staff_a).get(f"/api/v1/customers/{customer_a.pk}/").json()
        assert data["mobile"] == "138****5678"
        assert data["email"] == "z***@example.cn"
        assert data["street"] == "****"
        assert data["masked"] is True
        listed = _results(api_client_for(staff_a).get("/api/v1/customers/"))
        assert listed[0]["mobile"] == "138****5678"

    def test_contacts_are_shown_with_the_permission(self, api_client_for, manager_a, customer_a):
        data = api_client_for(manager_a).get(f"/api/v1/customers/{customer_a.pk}/").json()
        assert data["mobile"] == "+8613812345678"
        assert data["email"] == "zhang.wei@example.cn"
        assert data["street"] == "世纪大道 100 号"
        assert data["masked"] is False

    def test_reading_one_customer_is_audited(self, api_client_for, staff_a, customer_a):
        api_client_for(staff_a).get(f"/api/v1/customers/{customer_a.pk}/")
        entry = AuditEntry.objects.get(customer_id=customer_a.pk)
        assert (entry.action, entry.actor, entry.detail) == (
            AuditAction.VIEW,
            staff_a,
            {"via": "api"},
        )

    def test_echoing_masked_values_back_keeps_the_real_ones(
        self, api_client_for, staff_a, customer_a
    ):
        client = api_client_for(staff_a)
        data = client.get(f"/api/v1/customers/{customer_a.pk}/").json()
        data["city"] = "杭州市"
        response = client.put(f"/api/v1/customers/{customer_a.pk}/", data, format="json")
        assert response.status_code == 200, response.content
        customer_a.refresh_from_db()
        assert customer_a.city == "杭州市"
        assert customer_a.mobile == "+8613812345678"
        assert customer_a.email == "zhang.wei@example.cn"
        assert customer_a.street == "世纪大道 100 号"


class TestCustomerWrites:
    def test_create_normalises_and_audits(self, api_client_for, staff_a):
        response = api_client_for(staff_a).post(
            "/api/v1/customers/",
            {"name": "王芳", "mobile": "138 1234 5678", "tags": ["VIP"]},
            format="json",
        )
        assert response.status_code == 201, response.content
        customer = Customer.objects.get()
        assert customer.mobile == "+8613812345678"
        assert customer.department == staff_a.department
        assert response.json()["mobile"] == "138****5678"
        assert response.json()["tags"] == ["VIP"]
        assert AuditEntry.objects.filter(customer_id=customer.pk, action="create").exists()

    def test_invalid_phone_gives_a_clear_400(self, api_client_for, staff_a):
        response = api_client_for(staff_a).post(
            "/api/v1/customers/", {"name": "王芳", "mobile": "12345"}, format="json"
        )
        assert response.status_code == 400
        assert "not a valid mobile phone number" in response.json()["mobile"][0]

    def test_a_name_with_a_line_break_gives_a_400_on_the_name(self, api_client_for, staff_a):
        response = api_client_for(staff_a).post(
            "/api/v1/customers/",
            {"name": "王芳\r\nBcc: all@example.cn", "mobile": "13812345678"},
            format="json",
        )
        assert response.status_code == 400
        assert response.json() == {
            "name": ["Contains a line break, which cannot be used in emails; remove it."]
        }
        assert not Customer.objects.exists()

    def test_an_email_with_a_control_character_gives_a_400_on_the_email(
        self, api_client_for, staff_a, customer_a
    ):
        response = api_client_for(staff_a).patch(
            f"/api/v1/customers/{customer_a.pk}/",
            {"email": '"zhang\x7f"@example.cn'},
            format="json",
        )
        assert response.status_code == 400
        assert "Contains the control character U+007F" in response.json()["email"][0]

    def test_duplicate_mobile_gives_a_400_without_naming_the_record(
        self, api_client_for, staff_a, customer_b
    ):
        response = api_client_for(staff_a).post(
            "/api/v1/customers/", {"name": "王芳", "mobile": "13987654321"}, format="json"
        )
        assert response.status_code == 400
        assert response.json() == {"mobile": ["Another customer already has this mobile phone."]}

    def test_derived_fields_are_read_only(self, api_client_for, manager_a, customer_a):
        response = api_client_for(manager_a).patch(
            f"/api/v1/customers/{customer_a.pk}/",
            {"total_spend": "999999.00", "vip_level": "diamond", "industry": "零售"},
            format="json",
        )
        assert response.status_code == 200
        customer_a.refresh_from_db()
        assert customer_a.total_spend == Decimal("0")
        assert customer_a.vip_level == "normal"
        assert customer_a.industry == "零售"
        entry = AuditEntry.objects.get(customer_id=customer_a.pk, action=AuditAction.CHANGE)
        assert entry.detail == {"fields": ["industry"]}

    def test_staff_cannot_file_into_another_department(self, api_client_for, staff_a, department_b):
        response = api_client_for(staff_a).post(
            "/api/v1/customers/",
            {"name": "王芳", "mobile": "13812345678", "department": department_b.pk},
            format="json",
        )
        assert response.status_code == 400
        assert "department" in response.json()

    def test_filters(self, api_client_for, manager_a, customer_a, department_a):
        CustomerFactory(department=department_a, region="华南", value_tier="medium")
        client = api_client_for(manager_a)
        rows = _results(client.get("/api/v1/customers/", {"tier": "high"}))
        assert [row["id"] for row in rows] == [customer_a.pk]
        rows = _results(client.get("/api/v1/customers/", {"region": "华东"}))
        assert [row["id"] for row in rows] == [customer_a.pk]

    def test_api_searches_and_filters_like_the_list_page(
        self, api_client_for, manager_a, customer_a, department_a
    ):
        other = CustomerFactory(department=department_a, name="周小川", mobile="+8613811112222")
        other.refresh_derived_contact_fields()
        other.save()
        ChannelConsent.objects.create(
            customer=other, channel="sms", granted=True, changed_at=timezone.now(), method="form"
        )
        client = api_client_for(manager_a)
        by_last4 = _results(client.get("/api/v1/customers/", {"q": "2222"}))
        by_consent = _results(client.get("/api/v1/customers/", {"consent": "sms"}))
        assert [row["id"] for row in by_last4] == [other.pk]
        assert [row["id"] for row in by_consent] == [other.pk]

    def test_list_needs_a_bounded_number_of_queries(
        self, api_client_for, staff_a, department_a, django_assert_max_num_queries
    ):
        for number in range(20):
            CustomerFactory(department=department_a).tags.create(name=f"tag-{number}")
        client = api_client_for(staff_a)
        with django_assert_max_num_queries(8):
            rows = _results(client.get("/api/v1/customers/"))
        assert len(rows) == 20

    def test_deleting_is_not_offered(self, api_client_for, admin_user, customer_a):
        response = api_client_for(admin_user).delete(f"/api/v1/customers/{customer_a.pk}/")
        assert response.status_code == 405


class TestOrders:
    def test_creating_an_order_with_nested_lines(self, api_client_for, staff_a, customer_a):
        response = api_client_for(staff_a).post(
            "/api/v1/orders/",
            {
                "customer": customer_a.pk,
                "order_no": "API-1",
                "ordered_at": "2026-03-01T10:00:00+08:00",
                "store": "小程序",
                "lines": [
                    {"product": "挂耳咖啡", "quantity": "2", "unit_price": "39.90"},
                    {"product": "咖啡杯", "quantity": "1", "unit_price": "88.00"},
                ],
                "amount": "1.00",
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["amount"] == "167.80"  # 2 × 39.90 + 88.00, never the client's
        assert Order.objects.get().lines.count() == 2

    def test_an_order_for_a_customer_outside_the_scope_is_refused(
        self, api_client_for, staff_a, customer_b
    ):
        response = api_client_for(staff_a).post(
            "/api/v1/orders/",
            {
                "customer": customer_b.pk,
                "order_no": "API-2",
                "ordered_at": "2026-03-01T10:00:00+08:00",
                "lines": [{"product": "茶", "unit_price": "10"}],
            },
            format="json",
        )
        assert response.status_code == 400
        assert "customer" in response.json()
        assert not Order.objects.exists()

    def test_duplicate_order_number_gives_a_400(self, api_client_for, staff_a, customer_a):
        OrderFactory(customer=customer_a, order_no="API-3")
        response = api_client_for(staff_a).post(
            "/api/v1/orders/",
            {
                "customer": customer_a.pk,
                "order_no": "API-3",
                "ordered_at": "2026-03-01T10:00:00+08:00",
                "lines": [{"product": "茶", "unit_price": "10"}],
            },
            format="json",
        )
        assert response.status_code == 400
        assert "order_no" in response.json()

    def test_replacing_lines_recomputes_the_amount(self, api_client_for, staff_a, customer_a):
        order = OrderFactory(customer=customer_a, order_no="API-4")
        response = api_client_for(staff_a).patch(
            f"/api/v1/orders/{order.pk}/",
            {"lines": [{"product": "茶", "quantity": "-1", "unit_price": "10"}]},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert response.json()["amount"] == "-10.00"
        assert [line["product"] for line in response.json()["lines"]] == ["茶"]

    def test_orders_list_is_scoped(self, api_client_for, staff_a, customer_a, customer_b):
        mine = OrderFactory(customer=customer_a)
        OrderFactory(customer=customer_b)
        rows = _results(api_client_for(staff_a).get("/api/v1/orders/"))
        assert [row["id"] for row in rows] == [mine.pk]


class TestInteractions:
    def test_logging_and_resolving(self, api_client_for, staff_a, customer_a):
        client = api_client_for(staff_a)
        due = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
        response = client.post(
            "/api/v1/interactions/",
            {
                "customer": customer_a.pk,
                "kind": "complaint",
                "summary": "物流太慢",
                "follow_up_due": due,
                "staff": 999,
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        interaction = Interaction.objects.get()
        assert interaction.staff == staff_a
        open_rows = _results(client.get("/api/v1/interactions/", {"open_follow_up": "true"}))
        assert [row["id"] for row in open_rows] == [interaction.pk]
        response = client.post(
            f"/api/v1/interactions/{interaction.pk}/resolve/", {"resolution": "已加急"}
        )
        assert response.status_code == 200
        assert response.json()["outcome"] == InteractionOutcome.RESOLVED
        assert _results(client.get("/api/v1/interactions/", {"open_follow_up": "true"})) == []

    def test_bad_kind_gives_a_400(self, api_client_for, staff_a, customer_a):
        response = api_client_for(staff_a).post(
            "/api/v1/interactions/",
            {"customer": customer_a.pk, "kind": "gossip", "summary": "x"},
            format="json",
        )
        assert response.status_code == 400
        assert "kind" in response.json()

    def test_other_departments_interactions_are_invisible(
        self, api_client_for, staff_a, customer_b
    ):
        interaction = InteractionFactory(customer=customer_b)
        client = api_client_for(staff_a)
        assert client.get(f"/api/v1/interactions/{interaction.pk}/").status_code == 404
        assert client.post(f"/api/v1/interactions/{interaction.pk}/resolve/").status_code == 404
        assert _results(client.get("/api/v1/interactions/")) == []
