import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.test import Client
from django.utils import timezone, translation

from carecrm.core.models import AuditAction, AuditEntry
from customers.models import (
    Channel,
    ChannelConsent,
    ContactPerson,
    ContactStatus,
    Customer,
    CustomerMerge,
    CustomerStatus,
    Interaction,
    Order,
    OrderLine,
    VerificationOutcome,
)
from customers.services.merge import customer_merge
from customers.services.privacy_ops import customer_anonymise
from customers.services.related_records import customer_related_tables
from customers.tests.factories import (
    CustomerFactory,
    InteractionFactory,
    OrderFactory,
    OrderLineFactory,
)
from customers.tests.quality_factories import (
    ChannelConsentFactory,
    ContactPersonFactory,
    IntentEventFactory,
    StaticListFactory,
    TagFactory,
    VerificationTaskFactory,
    later_model,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.django_db

NAME = "欧阳娜娜"
MOBILE = "+8613955556666"
EMAIL = "ouyang.nana@example.cn"
STREET = "南京西路1266号恒隆广场"
OLD_NAME = "欧阳娜"
OLD_EMAIL = "nana.old@example.cn"


@pytest.fixture
def person(department_a, manager_a):
    """A customer with a history: orders, interactions naming her, a merged older record."""
    customer = CustomerFactory(
        department=department_a,
        name=NAME,
        mobile=MOBILE,
        email=EMAIL,
        street=STREET,
        notes="喜欢周末来店",
        wecom_external_id="wmABC123",
        push_token="push-token-xyz",
    )
    for amount in ("120.00", "380.50"):
        OrderLineFactory(
            order=OrderFactory(customer=customer, amount=Decimal(amount)),
            unit_price=Decimal(amount),
        )
    InteractionFactory(customer=customer, summary=f"{NAME}来电，回拨 13955556666，邮件 {EMAIL}")
    IntentEventFactory(customer=customer)
    ContactPersonFactory(customer=customer, name="欧阳先生", mobile="+8613700001234")
    ChannelConsentFactory(customer=customer, channel=Channel.SMS, granted=True)
    ChannelConsentFactory(customer=customer, channel=Channel.EMAIL, granted=True)
    customer.tags.add(TagFactory(name="高端护肤"))
    StaticListFactory(department=department_a, name="三月沙龙").customers.add(customer)
    VerificationTaskFactory(
        customer=customer, outcome=VerificationOutcome.CONFIRMED, note=f"{NAME}本人确认"
    )
    older = CustomerFactory(
        department=department_a, name=OLD_NAME, email=OLD_EMAIL, mobile="+8613955557777"
    )
    customer_merge(survivor=customer, duplicate=older, field_choices={}, user=manager_a)
    return customer


# --- Personal data export (PIPL art. 45) ------------------------------------------------------


def test_export_contains_profile_orders_and_everything_related(manager_a_client, person):
    response = manager_a_client.post(f"/customers/quality/customer/{person.pk}/personal-data/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="customer-{person.pk}-personal-data.json"'
    )
    data = json.loads(response.content)
    assert data["customer"]["name"] == NAME
    assert data["customer"]["mobile"] == MOBILE
    related = data["related"]
    orders = related["customers.order"]
    assert sorted(o["amount"] for o in orders) == ["120.00", "380.50"]
    assert all(len(o["related"]["customers.orderline"]) == 1 for o in orders)
    assert NAME in related["customers.interaction"][0]["summary"]
    assert {c["channel"] for c in related["customers.channelconsent"]} == {"sms", "email"}
    assert related["customers.tag"] == [{"id": person.tags.get().pk, "name": "高端护肤"}]
    assert [s["name"] for s in related["customers.staticlist"]] == ["三月沙龙"]
    assert related["customers.contactperson"][0]["name"] == "欧阳先生"
    assert related["customers.customer.merged_from"][0]["email"] == OLD_EMAIL
    assert "customers.intentevent" in related
    assert "customers.verificationtask" in related


def test_export_is_audited(manager_a_client, manager_a, person):
    manager_a_client.post(f"/customers/quality/customer/{person.pk}/personal-data/")

    entry = AuditEntry.objects.get(action=AuditAction.PII_EXPORT)
    assert entry.customer_id == person.pk
    assert entry.actor == manager_a
    assert entry.detail["sections"]["customers.order"] == 2


def test_export_page_shows_what_is_included(manager_a_client, person):
    response = manager_a_client.get(
        f"/customers/quality/customer/{person.pk}/personal-data/", HTTP_ACCEPT_LANGUAGE="en"
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "Orders: 2" in body
    assert not AuditEntry.objects.filter(action=AuditAction.PII_EXPORT).exists()


def test_staff_without_pii_permission_cannot_export(staff_a_client, person):
    response = staff_a_client.post(f"/customers/quality/customer/{person.pk}/personal-data/")

    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.PII_EXPORT).exists()


def test_export_of_another_departments_customer_is_404(manager_a_client, department_b):
    theirs = CustomerFactory(department=department_b)

    response = manager_a_client.post(f"/customers/quality/customer/{theirs.pk}/personal-data/")

    assert response.status_code == 404


def test_export_includes_rows_of_a_model_added_later(later_model, department_a, admin_user):  # noqa: F811
    customer = CustomerFactory(department=department_a)
    later_model.objects.create(customer=customer, survey="2026-Q1", comment="服务很好")
    client = Client()
    client.force_login(admin_user)

    data = json.loads(
        client.post(f"/customers/quality/customer/{customer.pk}/personal-data/").content
    )

    assert data["related"]["customers.laterfeedback"][0]["comment"] == "服务很好"


# --- Anonymisation (PIPL art. 47) ----------------------------------------------------------------


IDENTITIES = (NAME, MOBILE, "13955556666", EMAIL, STREET, OLD_NAME, OLD_EMAIL, "欧阳先生")


def _text_of_rows(customer_ids: list[int]) -> str:
    """Every stored value of every row belonging to these customers, as one string."""
    chunks = []
    for row in Customer.objects.filter(pk__in=customer_ids).values():
        chunks.append(json.dumps(row, default=str, ensure_ascii=False))
    for table in customer_related_tables():
        rows = table.model._base_manager.filter(**{f"{table.customer_field}__in": customer_ids})
        chunks.extend(json.dumps(r, default=str, ensure_ascii=False) for r in rows.values())
    for merge in CustomerMerge.objects.filter(merged_id__in=customer_ids).values():
        chunks.append(json.dumps(merge, default=str, ensure_ascii=False))
    return "\n".join(chunks)


def test_anonymisation_leaves_no_identity_in_the_customers_rows(person, manager_a):
    merged_ids = list(person.merged_from.values_list("pk", flat=True))
    ids = [person.pk, *merged_ids]
    assert NAME in _text_of_rows(ids)  # the check below would catch it
    Customer.objects.filter(pk=person.pk).update(
        contact_status=ContactStatus.UNREACHABLE, contact_unreachable_at=timezone.now()
    )

    customer_anonymise(customer=person, user=manager_a, reason="客户来电要求删除，工单 4411")

    text = _text_of_rows(ids)
    for identity in IDENTITIES:
        assert identity not in text, identity
    person.refresh_from_db()
    assert person.name == f"已匿名客户 #{person.pk}"
    assert person.status == CustomerStatus.ANONYMISED
    assert (person.mobile, person.email, person.street, person.city, person.notes) == ("",) * 5
    assert person.birthday is None
    assert person.wecom_external_id == person.push_token == ""
    assert (person.contact_status, person.contact_unreachable_at) == (
        ContactStatus.UNVERIFIED,
        None,
    )
    assert not ContactPerson.objects.filter(customer_id__in=ids).exists()


def test_anonymisation_keeps_orders_and_withdraws_consents(person, manager_a):
    customer_anonymise(customer=person, user=manager_a, reason="客户书面申请")

    orders = Order.objects.filter(customer=person)
    assert orders.count() == 2
    assert orders.aggregate(total=Sum("amount"))["total"] == Decimal("500.50")
    assert OrderLine.objects.filter(order__customer=person).count() == 2
    assert Interaction.objects.filter(customer=person).count() == 1
    assert not ChannelConsent.objects.filter(customer=person, granted=True).exists()
    assert ChannelConsent.objects.filter(customer=person).count() == 2
    assert person.tags.count() == 1


def test_anonymisation_masks_identity_in_tables_added_later(later_model, department_a, manager_a):  # noqa: F811
    customer = CustomerFactory(department=department_a, name="司马光明", mobile="+8613611112222")
    feedback = later_model.objects.create(
        customer=customer, survey="2026-Q1", comment="司马光明说回访电话 13611112222 打不通"
    )

    customer_anonymise(customer=customer, user=manager_a, reason="客户申请")

    feedback.refresh_from_db()
    assert feedback.comment == "**说回访电话 ** 打不通"


def test_anonymisation_is_audited_and_final(person, manager_a):
    customer_anonymise(customer=person, user=manager_a, reason="客户申请")

    entry = AuditEntry.objects.get(action=AuditAction.ANONYMISE, customer_id=person.pk)
    assert entry.actor == manager_a
    assert entry.detail["reason"] == "客户申请"
    with translation.override("en"), pytest.raises(ValidationError, match="already anonymised"):
        customer_anonymise(customer=person, user=manager_a, reason="again")


def test_anonymise_page_needs_confirmation(manager_a_client, person):
    url = f"/customers/quality/customer/{person.pk}/anonymise/"

    page = manager_a_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert "This cannot be undone" in page.content.decode()
    unconfirmed = manager_a_client.post(url, {"reason": "客户申请"}, HTTP_ACCEPT_LANGUAGE="en")
    assert unconfirmed.status_code == 200
    assert "This field is required." in unconfirmed.content.decode()
    person.refresh_from_db()
    assert person.name == NAME

    confirmed = manager_a_client.post(url, {"reason": "客户申请", "confirm": "on"})

    assert confirmed.status_code == 302
    assert confirmed["Location"] == f"/customers/quality/customer/{person.pk}/audit/"
    person.refresh_from_db()
    assert person.status == CustomerStatus.ANONYMISED


def test_staff_cannot_anonymise(staff_a_client, person):
    response = staff_a_client.post(
        f"/customers/quality/customer/{person.pk}/anonymise/", {"reason": "x", "confirm": "on"}
    )

    assert response.status_code == 403
    person.refresh_from_db()
    assert person.name == NAME


def test_manager_of_another_department_gets_404(person, department_b):
    from carecrm.accounts.tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="manager_b", role="manager", department=department_b))

    response = client.post(
        f"/customers/quality/customer/{person.pk}/anonymise/", {"reason": "x", "confirm": "on"}
    )

    assert response.status_code == 404


def test_a_merged_record_is_anonymised_through_its_survivor(person, manager_a):
    older = person.merged_from.get()

    with (
        translation.override("en"),
        pytest.raises(ValidationError, match=f"merged into customer #{person.pk}"),
    ):
        customer_anonymise(customer=older, user=manager_a, reason="客户申请")


def test_managers_may_anonymise_and_read_the_audit_trail_staff_may_not(manager_a, staff_a):
    assert manager_a.has_perm("customers.anonymise_customer")
    assert manager_a.has_perm("core.view_auditentry")
    assert not staff_a.has_perm("customers.anonymise_customer")
    assert not staff_a.has_perm("core.view_auditentry")
    assert not staff_a.has_perm("customers.view_customer_pii")
