import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.utils import timezone

from carecrm.core.models import AuditAction, AuditEntry
from customers.models import (
    Channel,
    ChannelConsent,
    ContactPerson,
    Customer,
    CustomerMerge,
    CustomerStatus,
    IntentEvent,
    Interaction,
    Order,
    VerificationOutcome,
    VerificationTask,
)
from customers.services.merge import customer_merge
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

NOW = timezone.now()


@pytest.fixture
def pair(department_a):
    survivor = CustomerFactory(
        department=department_a, name="张伟", email="", mobile="+8613811112222", notes="老客户"
    )
    duplicate = CustomerFactory(
        department=department_a,
        name="张伟",
        email="zhang.wei@example.cn",
        mobile="+8613833334444",
        notes="来自导入",
    )
    return survivor, duplicate


def test_merge_keeps_every_record_of_both(pair, manager_a, department_a):
    survivor, duplicate = pair
    for customer, orders in ((survivor, 2), (duplicate, 3)):
        for _ in range(orders):
            OrderLineFactory(order=OrderFactory(customer=customer, amount=Decimal("100.00")))
        InteractionFactory(customer=customer)
        IntentEventFactory(customer=customer)
        ContactPersonFactory(customer=customer)
    ChannelConsentFactory(customer=survivor, channel=Channel.SMS)
    ChannelConsentFactory(customer=duplicate, channel=Channel.EMAIL)
    shared_tag, own_tag = TagFactory(name="咖啡爱好者"), TagFactory(name="团购")
    survivor.tags.add(shared_tag)
    duplicate.tags.add(shared_tag, own_tag)
    static_list = StaticListFactory(department=department_a)
    static_list.customers.add(duplicate)
    VerificationTaskFactory(
        customer=duplicate,
        period=dt.date(2026, 1, 1),
        outcome=VerificationOutcome.CONFIRMED,
    )
    ids = [survivor.pk, duplicate.pk]

    merge = customer_merge(
        survivor=survivor, duplicate=duplicate, field_choices={"email": "duplicate"}, user=manager_a
    )

    assert Order.objects.filter(customer=survivor).count() == 5
    assert Order.objects.filter(customer_id__in=ids).aggregate(t=Sum("amount"))["t"] == Decimal(
        "500.00"
    )
    assert Interaction.objects.filter(customer=survivor).count() == 2
    assert IntentEvent.objects.filter(customer=survivor).count() == 2
    assert ContactPerson.objects.filter(customer=survivor).count() == 2
    assert set(
        ChannelConsent.objects.filter(customer=survivor).values_list("channel", flat=True)
    ) == {
        Channel.SMS,
        Channel.EMAIL,
    }
    assert set(survivor.tags.values_list("name", flat=True)) == {"咖啡爱好者", "团购"}
    assert list(static_list.customers.all()) == [survivor]
    assert VerificationTask.objects.filter(customer=survivor).count() == 1
    for model in (Order, Interaction, IntentEvent, ContactPerson, ChannelConsent):
        assert not model.objects.filter(customer=duplicate).exists()
    assert not duplicate.tags.exists()

    duplicate.refresh_from_db()
    survivor.refresh_from_db()
    assert duplicate.status == CustomerStatus.MERGED
    assert duplicate.merged_into == survivor
    assert duplicate.mobile == ""
    assert survivor.email == "zhang.wei@example.cn"
    assert survivor.mobile == "+8613811112222"
    assert merge.merged_snapshot["customer"]["mobile"] == "+8613833334444"
    assert merge.merged_snapshot["survivor_values_replaced"] == {"email": ""}
    assert len(merge.moved["moved"]["customers.order"]) == 3
    assert merge.moved["moved"]["customers.customer_tags"] == [own_tag.pk]
    assert CustomerMerge.objects.get() == merge


def test_merge_is_audited_for_both_customers(pair, manager_a):
    survivor, duplicate = pair

    merge = customer_merge(survivor=survivor, duplicate=duplicate, field_choices={}, user=manager_a)

    entries = AuditEntry.objects.filter(action=AuditAction.MERGE)
    assert set(entries.values_list("customer_id", flat=True)) == {survivor.pk, duplicate.pk}
    assert set(entries.values_list("object_id", flat=True)) == {str(merge.pk)}
    assert entries.first().actor == manager_a


def test_survivor_can_take_the_duplicates_mobile(pair, manager_a):
    survivor, duplicate = pair

    customer_merge(
        survivor=survivor,
        duplicate=duplicate,
        field_choices={"mobile": "duplicate", "notes": "both"},
        user=manager_a,
    )

    survivor.refresh_from_db()
    assert survivor.mobile == "+8613833334444"
    assert survivor.mobile_last4 == "4444"
    assert survivor.notes == "老客户\n\n来自导入"


@pytest.mark.parametrize(
    ("survivor_consent", "duplicate_consent", "kept"),
    [
        # (granted, days ago) for each side → granted on the survivor afterwards
        ((True, 30), (False, 5), False),  # newer withdrawal beats an older grant
        ((False, 5), (True, 30), False),  # an older grant never overrides a withdrawal
        ((True, 5), (False, 30), True),  # a newer grant is the customer's latest word
        ((True, 10), (False, 10), False),  # same moment: the withdrawal wins
    ],
)
def test_consent_merge_keeps_latest_decision_and_withdrawal_wins(
    pair, manager_a, survivor_consent, duplicate_consent, kept
):
    survivor, duplicate = pair
    for customer, (granted, days) in ((survivor, survivor_consent), (duplicate, duplicate_consent)):
        ChannelConsentFactory(
            customer=customer,
            channel=Channel.SMS,
            granted=granted,
            changed_at=NOW - dt.timedelta(days=days),
        )

    customer_merge(survivor=survivor, duplicate=duplicate, field_choices={}, user=manager_a)

    consent = ChannelConsent.objects.get(customer=survivor, channel=Channel.SMS)
    assert consent.granted is kept
    # The superseded decision stays on the merged record as evidence.
    assert ChannelConsent.objects.filter(customer=duplicate).count() == 1


def test_pending_verification_of_the_duplicate_in_same_month_is_dropped(pair, manager_a):
    survivor, duplicate = pair
    VerificationTaskFactory(customer=survivor)
    VerificationTaskFactory(customer=duplicate)

    customer_merge(survivor=survivor, duplicate=duplicate, field_choices={}, user=manager_a)

    assert VerificationTask.objects.filter(customer=survivor).count() == 1
    assert not VerificationTask.objects.filter(customer=duplicate).exists()


def test_earlier_merges_follow_the_survivor(pair, manager_a, department_a):
    survivor, duplicate = pair
    older = CustomerFactory(department=department_a)
    customer_merge(survivor=duplicate, duplicate=older, field_choices={}, user=manager_a)

    customer_merge(survivor=survivor, duplicate=duplicate, field_choices={}, user=manager_a)

    older.refresh_from_db()
    assert older.merged_into == survivor
    assert CustomerMerge.objects.filter(survivor=survivor).count() == 2


def test_staff_without_permission_cannot_merge(pair, staff_a):
    survivor, duplicate = pair

    with pytest.raises(PermissionDenied):
        customer_merge(survivor=survivor, duplicate=duplicate, field_choices={}, user=staff_a)


def test_customer_outside_scope_cannot_be_merged(manager_a, department_a, department_b):
    mine = CustomerFactory(department=department_a)
    theirs = CustomerFactory(department=department_b)

    with pytest.raises(PermissionDenied):
        customer_merge(survivor=mine, duplicate=theirs, field_choices={}, user=manager_a)
    assert Customer.objects.get(pk=theirs.pk).status == CustomerStatus.ACTIVE


# --- Screen ----------------------------------------------------------------------------------


def test_merge_page_of_customer_outside_scope_is_404(manager_a_client, department_a, department_b):
    mine = CustomerFactory(department=department_a)
    theirs = CustomerFactory(department=department_b)

    assert (
        manager_a_client.get(f"/customers/quality/merge/{mine.pk}/{theirs.pk}/").status_code == 404
    )
    response = manager_a_client.post(
        f"/customers/quality/merge/{theirs.pk}/{mine.pk}/", {"survivor": "left"}
    )
    assert response.status_code == 404
    assert Customer.objects.get(pk=theirs.pk).status == CustomerStatus.ACTIVE


def test_staff_gets_403_on_merge_page(staff_a_client, pair):
    survivor, duplicate = pair

    response = staff_a_client.get(f"/customers/quality/merge/{survivor.pk}/{duplicate.pk}/")

    assert response.status_code == 403


def test_merge_page_compares_and_merges_with_chosen_values(manager_a_client, pair):
    left, right = pair
    OrderFactory(customer=right)
    url = f"/customers/quality/merge/{left.pk}/{right.pk}/"

    page = manager_a_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert page.status_code == 200
    assert "zhang.wei@example.cn" in body
    assert "138 3333 4444" in body
    assert "Records that move" in body

    form = {f"keep_{group}": "left" for group in ("name", "mobile", "address")}
    form.update({"survivor": "right", "keep_email": "right", "keep_notes": "left"})
    response = manager_a_client.post(url, form)

    assert response.status_code == 302
    left.refresh_from_db()
    right.refresh_from_db()
    assert left.status == CustomerStatus.MERGED
    assert right.status == CustomerStatus.ACTIVE
    assert right.mobile == "+8613811112222"
    assert right.notes == "老客户"
    assert right.email == "zhang.wei@example.cn"
    assert Order.objects.filter(customer=right).count() == 1


def test_merge_page_of_an_already_merged_customer_is_404(
    manager_a_client, manager_a, pair, department_a
):
    survivor, duplicate = pair
    third = CustomerFactory(department=department_a)
    customer_merge(survivor=survivor, duplicate=duplicate, field_choices={}, user=manager_a)

    response = manager_a_client.get(f"/customers/quality/merge/{third.pk}/{duplicate.pk}/")

    assert response.status_code == 404


# --- Models added later ---------------------------------------------------------------------


def test_rows_of_a_model_added_later_are_moved_too(later_model, department_a, manager_a):  # noqa: F811
    survivor = CustomerFactory(department=department_a)
    duplicate = CustomerFactory(department=department_a)
    later_model.objects.create(customer=survivor, survey="2026-Q1", comment="满意")
    later_model.objects.create(customer=duplicate, survey="2026-Q1", comment="一般")
    moved = later_model.objects.create(customer=duplicate, survey="2026-Q2", comment="很好")

    merge = customer_merge(survivor=survivor, duplicate=duplicate, field_choices={}, user=manager_a)

    assert later_model.objects.filter(customer=survivor).count() == 2
    # Two answers to the same survey cannot both belong to the survivor: the duplicate's
    # stays on the merged record, listed in the merge record.
    assert later_model.objects.filter(customer=duplicate).count() == 1
    assert merge.moved["moved"]["customers.laterfeedback"] == [moved.pk]
    assert len(merge.moved["kept_on_merged"]["customers.laterfeedback"]) == 1
