"""Calling a customer: "show number" (audited with a reason, limited per hour, only for
who may contact the customer), tag suggestions in scope, generated order numbers, and the
entry forms' defaults."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from carecrm.accounts.tests.factories import UserFactory
from carecrm.core.models import AuditAction, AuditEntry
from customers.forms import CustomerForm, InteractionForm
from customers.models import Interaction, Order, Tag
from customers.services import orders
from customers.services.calling import RevealLimitReached, phone_reveal
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _reveal_url(customer) -> str:
    return reverse("customers:phone-reveal", args=[customer.pk])


def _reveals(customer=None):
    rows = AuditEntry.objects.filter(action=AuditAction.PHONE_REVEAL)
    return rows.filter(customer_id=customer.pk) if customer else rows


# --- show number ---------------------------------------------------------------------


def test_staff_see_the_number_masked_with_a_show_number_button(staff_a_client, department_a):
    customer = CustomerFactory(department=department_a, mobile="+8613812345678")
    page = staff_a_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "138****5678" in page
    assert "13812345678" not in page
    assert _reveal_url(customer) in page
    assert "Show number" in page


def test_reveal_returns_a_tel_link_and_is_audited_with_the_reason(
    staff_a_client, staff_a, department_a
):
    customer = CustomerFactory(department=department_a, mobile="+8613812345678")
    response = staff_a_client.post(
        _reveal_url(customer), {"reason": "appointment"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="tel:+8613812345678"' in html
    assert "138 1234 5678" in html
    assert 'data-copy="+8613812345678"' in html
    log_url = reverse("customers:interaction-log", args=[customer.pk])
    assert f"{log_url}?kind=call&amp;channel=phone" in html
    entry = _reveals(customer).get()
    assert entry.actor == staff_a
    assert entry.detail == {"field": "mobile", "reason": "appointment"}
    assert entry.at is not None


def test_other_reason_needs_a_few_words_and_is_recorded(staff_a_client, department_a):
    customer = CustomerFactory(department=department_a)
    refused = staff_a_client.post(_reveal_url(customer), {"reason": "other"}, HTTP_HX_REQUEST="1")
    assert "tel:" not in refused.content.decode()
    assert "Say why you need the number." in refused.content.decode()
    assert not _reveals().exists()

    staff_a_client.post(
        _reveal_url(customer), {"reason": "other", "note": "客户要求回电"}, HTTP_HX_REQUEST="1"
    )
    assert _reveals(customer).get().detail == {
        "field": "mobile",
        "reason": "other",
        "note": "客户要求回电",
    }


def test_the_reveal_is_listed_on_the_timeline_and_the_audit_trail(
    staff_a_client, manager_a_client, department_a
):
    customer = CustomerFactory(department=department_a)
    staff_a_client.post(_reveal_url(customer), {"reason": "complaint"}, HTTP_HX_REQUEST="1")
    page = staff_a_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Phone number shown: Complaint follow-up" in page
    trail = manager_a_client.get(reverse("customers:audit", args=[customer.pk])).content.decode()
    assert 'data-action="phone_reveal"' in trail
    assert "reason: Complaint follow-up" in trail


def test_the_31st_reveal_in_an_hour_is_refused_saying_when_it_can_be_done_again(
    staff_a_client, staff_a, department_a, settings
):
    settings.PHONE_REVEALS_PER_HOUR = 30
    customers = CustomerFactory.create_batch(31, department=department_a)
    for customer in customers[:30]:
        response = staff_a_client.post(
            _reveal_url(customer), {"reason": "care_call"}, HTTP_HX_REQUEST="1"
        )
        assert "tel:" in response.content.decode()
    first = _reveals().order_by("at").first()

    response = staff_a_client.post(
        _reveal_url(customers[30]), {"reason": "care_call"}, HTTP_HX_REQUEST="1"
    )
    assert response.status_code == 429
    html = response.content.decode()
    assert "tel:" not in html
    again = timezone.localtime(first.at + dt.timedelta(hours=1)).strftime("%H:%M")
    assert "You have had 30 phone numbers shown in the last hour" in html
    assert f"You can show another number at {again}." in html
    assert _reveals().count() == 30
    assert not _reveals(customers[30]).exists()


def test_reveals_older_than_an_hour_no_longer_count(staff_a, department_a, settings):
    settings.PHONE_REVEALS_PER_HOUR = 2
    customer = CustomerFactory(department=department_a)
    for _ in range(2):
        phone_reveal(customer=customer, user=staff_a, reason="care_call")
    with pytest.raises(RevealLimitReached):
        phone_reveal(customer=customer, user=staff_a, reason="care_call")
    _reveals().update(at=timezone.now() - dt.timedelta(minutes=61))
    assert phone_reveal(customer=customer, user=staff_a, reason="care_call") == customer.mobile


def test_the_limit_is_per_user(staff_a, department_a, settings):
    settings.PHONE_REVEALS_PER_HOUR = 1
    colleague = UserFactory(role="staff", department=department_a)
    customer = CustomerFactory(department=department_a)
    phone_reveal(customer=customer, user=staff_a, reason="care_call")
    assert phone_reveal(customer=customer, user=colleague, reason="care_call")


def test_out_of_scope_staff_cannot_reveal(staff_a, staff_a_client, department_b):
    theirs = CustomerFactory(department=department_b)
    response = staff_a_client.post(_reveal_url(theirs), {"reason": "care_call"})
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        phone_reveal(customer=theirs, user=staff_a, reason="care_call")
    assert not _reveals().exists()


def test_staff_reveal_the_customers_they_manage_in_another_department(
    staff_a, staff_a_client, department_b
):
    managed = CustomerFactory(department=department_b, relationship_manager=staff_a)
    response = staff_a_client.post(
        _reveal_url(managed), {"reason": "care_call"}, HTTP_HX_REQUEST="1"
    )
    assert f"tel:{managed.mobile}" in response.content.decode()


def test_managers_reveal_their_departments_customers(manager_a_client, department_a):
    customer = CustomerFactory(department=department_a)
    response = manager_a_client.post(
        _reveal_url(customer), {"reason": "care_call"}, HTTP_HX_REQUEST="1"
    )
    # Managers see personal data anyway; the endpoint still answers and audits.
    assert response.status_code == 200
    assert _reveals(customer).exists()


# --- the interaction form: one phone question, sensible defaults ------------------------


def test_logging_the_call_from_the_revealed_number_records_a_phone_call(
    staff_a_client, staff_a, department_a
):
    customer = CustomerFactory(department=department_a, preferred_channel="wecom")
    url = reverse("customers:interaction-log", args=[customer.pk])
    form = staff_a_client.get(url + "?kind=call&channel=phone").context["form"]
    assert form.initial["kind"] == "call"
    assert form.initial["channel"] == "phone"
    response = staff_a_client.post(
        url,
        {
            "kind": "call",
            "channel": "",  # hidden on the page: a call is on the phone
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "staff": staff_a.pk,
            "summary": "回访，客户满意",
            "outcome": "resolved",
        },
    )
    assert response.status_code == 302
    interaction = Interaction.objects.get(customer=customer)
    assert (interaction.kind, interaction.channel) == ("call", "phone")


def test_interaction_form_defaults_to_the_customers_preferred_channel(staff_a, department_a):
    wecom = CustomerFactory(department=department_a, preferred_channel="wecom")
    form = InteractionForm(user=staff_a, customer=wecom)
    assert (form.initial["kind"], form.initial["channel"]) == ("consultation", "wecom")
    no_preference = CustomerFactory(department=department_a, preferred_channel="")
    form = InteractionForm(user=staff_a, customer=no_preference)
    assert (form.initial["kind"], form.initial["channel"]) == ("call", "phone")
    assert form.initial["staff"] == staff_a.pk
    rendered = str(form["staff"]) + str(form["channel"])
    assert "---------" not in rendered


def test_customer_form_has_no_dash_placeholders_for_staff(staff_a, department_a):
    form = CustomerForm(user=staff_a)
    for name in ("department", "gender", "preferred_channel", "relationship_manager", "kind"):
        assert "---------" not in str(form[name]), name
    assert form.initial["department"] == department_a.pk
    assert form.initial["relationship_manager"] == staff_a.pk


def test_managers_choose_the_relationship_manager_of_a_new_customer(manager_a):
    form = CustomerForm(user=manager_a)
    assert "relationship_manager" not in form.initial
    assert "None assigned" in str(form["relationship_manager"])


# --- tag suggestions ------------------------------------------------------------------


def test_tag_suggestions_only_offer_tags_of_customers_in_scope(
    staff_a_client, admin_client_user, department_a, department_b
):
    ours = CustomerFactory(department=department_a)
    ours.tags.add(Tag.objects.create(name="咖啡爱好者"), Tag.objects.create(name="VIP"))
    theirs = CustomerFactory(department=department_b)
    theirs.tags.add(Tag.objects.create(name="咖啡机维修"))
    Tag.objects.create(name="咖啡豆")  # on nobody

    url = reverse("customers:tag-suggestions")
    html = staff_a_client.get(url, {"tags": "VIP, 咖啡"}).content.decode()
    assert 'data-tag-suggestion="咖啡爱好者"' in html
    assert "咖啡机维修" not in html
    assert "咖啡豆" not in html
    assert 'data-tag-suggestion="VIP"' not in html  # already chosen

    single = staff_a_client.get(url, {"tag_name": "vip"}).content.decode()
    assert 'data-tag-suggestion="VIP"' in single

    everything = admin_client_user.get(url, {"tags": "咖啡"}).content.decode()
    assert "咖啡机维修" in everything and "咖啡豆" in everything


def test_customer_form_and_bulk_dialog_ask_for_suggestions(staff_a_client, department_a):
    CustomerFactory(department=department_a)
    url = reverse("customers:tag-suggestions")
    form_page = staff_a_client.get(reverse("customers:create")).content.decode()
    assert f'hx-get="{url}"' in form_page and 'data-tag-suggestions="id_tags"' in form_page
    list_page = staff_a_client.get(reverse("customers:list")).content.decode()
    assert 'data-tag-suggestions="bulk_tag_name"' in list_page


# --- order numbers made when not given ------------------------------------------------


def _order_data(**overrides) -> dict:
    data = {
        "order_no": "",
        "ordered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "store": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "50",
        "lines-0-product": "手冲咖啡套装",
        "lines-0-category": "咖啡",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "299.00",
    }
    data.update(overrides)
    return data


def test_an_order_without_a_number_gets_one(staff_a_client, department_a):
    customer = CustomerFactory(department=department_a)
    response = staff_a_client.post(
        reverse("customers:order-add", args=[customer.pk]), _order_data()
    )
    assert response.status_code == 302
    order = Order.objects.get(customer=customer)
    today = timezone.localdate().strftime("%Y%m%d")
    assert order.order_no == f"CC-{today}-{order.pk:06d}"
    assert order.amount == Decimal("299.00")
    audit = AuditEntry.objects.get(action=AuditAction.CREATE, object_id=str(order.pk))
    assert audit.detail["order_no"] == order.order_no


def test_many_orders_without_numbers_get_unique_numbers(staff_a, department_a):
    customer = CustomerFactory(department=department_a)
    made = [
        orders.order_record(
            customer=customer,
            order_no="",
            ordered_at=timezone.now(),
            lines=[{"product": "茶具", "unit_price": "88.00"}],
            user=staff_a,
            generate_number=True,
        ).order_no
        for _ in range(40)
    ]
    assert len(set(made)) == 40
    assert set(Order.objects.values_list("order_no", flat=True)) == set(made)
    assert all(number.startswith("CC-") and "pending" not in number for number in made)


def test_a_typed_number_that_looks_generated_does_not_block_the_next_order(staff_a, department_a):
    customer = CustomerFactory(department=department_a)
    first = orders.order_record(
        customer=customer,
        order_no="",
        ordered_at=timezone.now(),
        lines=[{"product": "茶具", "unit_price": "88.00"}],
        user=staff_a,
        generate_number=True,
    )
    # The typed order takes the next id; the one after would be numbered like this.
    taken = orders.generated_order_no(first.pk + 2, on=timezone.localdate())
    orders.order_record(
        customer=customer,
        order_no=taken,
        ordered_at=timezone.now(),
        lines=[{"product": "茶具", "unit_price": "88.00"}],
        user=staff_a,
    )
    third = orders.order_record(
        customer=customer,
        order_no="",
        ordered_at=timezone.now(),
        lines=[{"product": "茶具", "unit_price": "88.00"}],
        user=staff_a,
        generate_number=True,
    )
    assert third.order_no == f"{taken}-2"
    assert Order.objects.filter(order_no=third.order_no).count() == 1


def test_api_orders_still_need_a_number(staff_a, department_a):
    customer = CustomerFactory(department=department_a)
    with pytest.raises(Exception, match="Enter the order number"):
        orders.order_record(
            customer=customer,
            order_no="",
            ordered_at=timezone.now(),
            lines=[{"product": "茶具", "unit_price": "88.00"}],
            user=staff_a,
        )


def test_follow_ups_offer_show_number(staff_a_client, staff_a, department_a):
    customer = CustomerFactory(department=department_a, mobile="+8613812345678")
    Interaction.objects.create(
        customer=customer,
        kind="complaint",
        occurred_at=timezone.now(),
        staff=staff_a,
        summary="退货问题",
        follow_up_due=timezone.localdate(),
    )
    page = staff_a_client.get(reverse("customers:follow-ups")).content.decode()
    assert "138****5678" in page
    assert f'hx-post="{_reveal_url(customer)}"' in page


def test_no_show_number_for_merged_customers(staff_a_client, department_a):
    customer = CustomerFactory(department=department_a, status="merged")
    page = staff_a_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert _reveal_url(customer) not in page
    assert staff_a_client.post(_reveal_url(customer), {"reason": "care_call"}).status_code == 404


def test_the_bulk_remove_dialog_lists_only_tags_in_scope(
    staff_a_client, department_a, department_b
):
    CustomerFactory(department=department_a).tags.add(Tag.objects.create(name="老客户"))
    CustomerFactory(department=department_b).tags.add(Tag.objects.create(name="华南专属"))
    response = staff_a_client.get(reverse("customers:bulk-dialog-fields", args=["remove_tag"]))
    assert [str(label) for _, label in response.context["field"].field.choices][1:] == ["老客户"]
