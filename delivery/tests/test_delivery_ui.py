"""Delivery's own pages beyond one message: which kinds of sender count against caps
(admins), the log of every message whatever sent it, a sender's page with its figures and
its pause, resume and cancel (managers), and the messages API served by delivery."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from campaigns.sources import campaign_source
from campaigns.tests.factories import CampaignFactory
from carecrm.core.models import AuditAction, AuditEntry
from customers.models import Channel, Customer
from customers.tests.factories import CustomerFactory
from delivery.models import (
    CareKind,
    FrequencyCap,
    MessageClass,
    MessageSource,
    MessageStatus,
    OutboxMessage,
    Priority,
    QuietHours,
    SourceKindClass,
    SourceState,
    SuppressionReason,
)
from delivery.registry import Rendered, SourceKind, register_source_kind, source_kinds
from delivery.selectors.kinds import kind_classes
from delivery.services.enqueue import messages_enqueue
from delivery.services.sources import source_for
from delivery.tests.outbox import T0, message
from delivery.tests.senders import consenting_customers

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOTICE = "repair_notice"
DAY = dt.date(2027, 6, 2)
NOON = dt.datetime(2027, 6, 2, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def notice_kind():
    register_source_kind(
        SourceKind(
            key=NOTICE,
            label="Repair notice",
            render=lambda source, messages: {m.pk: Rendered(body="ok") for m in messages},
            message_class=MessageClass.SERVICE,
        )
    )
    yield
    source_kinds.pop(NOTICE, None)


@pytest.fixture
def no_rules():
    FrequencyCap.objects.all().delete()
    QuietHours.objects.all().delete()


def enqueue(source, customers, *, care_kind=CareKind.PROMOTION, occasion=DAY):
    return messages_enqueue(
        source=source,
        occasion=occasion,
        channel=Channel.SMS,
        audience=Customer.objects.filter(pk__in=[c.pk for c in customers]),
        care_kind=care_kind,
        priority=Priority.NORMAL,
        send_after=NOON,
    )


def classes_post(**changes) -> dict:
    """The settings form's fields: every registered kind as it is, with ``changes``."""
    data = {f"kind_{row.key}": row.message_class for row in kind_classes()}
    data.update({f"kind_{key}": value for key, value in changes.items()})
    return data


# --- which kinds count against caps ----------------------------------------------------


def test_settings_show_each_registered_kind_with_its_class(admin_client_user):
    body = admin_client_user.get("/delivery/settings/").content.decode()

    assert 'id="kind-classes"' in body
    assert 'data-kind="campaign" data-class="care"' in body
    assert f'data-kind="{NOTICE}" data-class="service"' in body
    assert 'id="kind-classes-edit"' in body


def test_an_admin_makes_a_kind_exempt_and_its_next_messages_are_not_capped(
    department_a, staff_a, admin_user, admin_client_user, no_rules
):
    FrequencyCap.objects.create(max_messages=1, period_days=1)
    (customer,) = consenting_customers(department_a, 1)
    first = campaign_source(CampaignFactory(department=department_a, name="端午关怀"))
    second = campaign_source(CampaignFactory(department=department_a, name="会员日"))
    third = campaign_source(CampaignFactory(department=department_a, name="夏季新品"))
    enqueue(first, [customer], care_kind=CareKind.HOLIDAY)
    enqueue(second, [customer])
    capped = OutboxMessage.objects.get(source=second)
    assert (capped.status, capped.reason) == (
        MessageStatus.SUPPRESSED,
        SuppressionReason.FREQUENCY_CAP,
    )

    form = admin_client_user.get("/delivery/settings/classes/")
    assert form.status_code == 200 and 'name="kind_campaign"' in form.content.decode()
    response = admin_client_user.post(
        "/delivery/settings/classes/", classes_post(campaign=MessageClass.SERVICE)
    )

    assert response.status_code == 302
    setting = SourceKindClass.objects.get(kind="campaign")
    assert not setting.counts_against_caps and setting.updated_by == admin_user
    assert AuditEntry.objects.filter(
        action=AuditAction.CHANGE, actor=admin_user, detail__kind="campaign"
    ).exists()
    enqueue(third, [customer], care_kind=CareKind.BIRTHDAY)
    exempt = OutboxMessage.objects.get(source=third)
    assert (exempt.status, exempt.message_class) == (MessageStatus.QUEUED, MessageClass.SERVICE)
    # messages written before keep the class they were decided under
    assert OutboxMessage.objects.get(source=first).message_class == MessageClass.CARE
    page = admin_client_user.get("/delivery/settings/").content.decode()
    assert 'data-kind="campaign" data-class="service"' in page

    # and back: the next campaign message counts again
    admin_client_user.post("/delivery/settings/classes/", classes_post(campaign="care"))
    fourth = campaign_source(CampaignFactory(department=department_a, name="秋季"))
    enqueue(fourth, [customer], care_kind=CareKind.BIRTHDAY)
    assert OutboxMessage.objects.get(source=fourth).reason == SuppressionReason.FREQUENCY_CAP


def test_an_exempt_kind_still_obeys_unsubscribe_consent_and_quiet_hours(
    department_a, admin_user, no_rules
):
    from delivery.models import UnsubscribeSource
    from delivery.services.admin import source_kind_classes_save
    from delivery.services.preferences import unsubscribe

    source_kind_classes_save(user=admin_user, counts={"campaign": False})
    fine, gone = consenting_customers(department_a, 2)
    CustomerFactory(department=department_a)  # no consent
    unsubscribe(customer=gone, source=UnsubscribeSource.STAFF)
    QuietHours.objects.create(channel=Channel.SMS, starts_at=dt.time(11), ends_at=dt.time(13))
    source = campaign_source(CampaignFactory(department=department_a))

    enqueue(source, Customer.objects.filter(department=department_a))

    rows = {m.customer_id: m for m in OutboxMessage.objects.filter(source=source)}
    assert rows[gone.pk].reason == SuppressionReason.UNSUBSCRIBED
    assert sum(m.reason == SuppressionReason.NO_CONSENT for m in rows.values()) == 1
    assert rows[fine.pk].deferred and rows[fine.pk].status == MessageStatus.QUEUED


@pytest.mark.parametrize("who", ["staff_a", "manager_a"])
def test_staff_and_managers_cannot_change_which_kinds_count(request, who, no_rules):
    from django.test import Client

    client = Client()
    client.force_login(request.getfixturevalue(who))

    assert client.get("/delivery/settings/classes/").status_code == 403
    response = client.post("/delivery/settings/classes/", classes_post(campaign="service"))
    assert response.status_code == 403
    assert not SourceKindClass.objects.exists()
    if who == "manager_a":  # they see the settings, without the edit button
        body = client.get("/delivery/settings/").content.decode()
        assert 'id="kind-classes"' in body and 'id="kind-classes-edit"' not in body


def test_an_unknown_choice_is_refused_without_saving(admin_client_user):
    response = admin_client_user.post(
        "/delivery/settings/classes/", classes_post(campaign="whatever")
    )
    assert response.status_code == 200
    assert not SourceKindClass.objects.exists()


# --- the log of every message ----------------------------------------------------------


@pytest.fixture
def world(department_a, department_b):
    zhang = CustomerFactory(department=department_a, name="张伟", mobile="+8613812345678")
    li = CustomerFactory(department=department_a, name="李娜", mobile="+8613911112222")
    wang = CustomerFactory(department=department_b, name="王芳", mobile="+8613700001111")
    campaign = CampaignFactory(department=department_a, name="中秋关怀")
    foreign = CampaignFactory(department=department_b, name="隔壁部门活动")
    notice = source_for(kind=NOTICE, object_id=7, label="维修单 R-7", department=department_a)
    sms = message(campaign, zhang, status=MessageStatus.DELIVERED, sent_at=T0)
    other = OutboxMessage.objects.create(
        source=notice,
        customer=li,
        channel=Channel.SMS,
        occasion=DAY,
        due_on=DAY,
        planned_on=DAY,
        care_kind=CareKind.SERVICE,
        message_class=MessageClass.SERVICE,
        priority=Priority.HIGH,
        address=li.mobile,
        send_after=NOON,
    )
    hidden = message(foreign, wang)
    return {
        "campaign": campaign,
        "notice": notice,
        "sms": sms,
        "service": other,
        "hidden": hidden,
        "foreign_source": hidden.source,
    }


def rows(response) -> set[int]:
    return {message.pk for message, _address in response.context["rows"]}


def test_the_log_lists_every_sender_in_scope_masked(staff_a_client, world):
    response = staff_a_client.get("/delivery/messages/")

    assert response.status_code == 200
    assert rows(response) == {world["sms"].pk, world["service"].pk}
    body = response.content.decode()
    assert "138****5678" in body and "+8613812345678" not in body
    assert "隔壁部门活动" not in body and "王芳" not in body
    assert f'href="/delivery/messages/{world["sms"].pk}/"' in body
    assert f'href="/delivery/sources/{world["notice"].pk}/"' in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("source_kind=campaign", {"sms"}),
        (f"source_kind={NOTICE}", {"service"}),
        ("message_class=service", {"service"}),
        ("status=delivered", {"sms"}),
        ("planned_from=2027-06-01", {"service"}),
        ("planned_until=2027-05-31", {"sms"}),
        ("source_kind=nonsense", {"sms", "service"}),
    ],
)
def test_the_log_filters(staff_a_client, world, query, expected):
    response = staff_a_client.get(f"/delivery/messages/?{query}")
    assert rows(response) == {world[name].pk for name in expected}


def test_the_log_of_one_source_and_not_of_a_foreign_one(staff_a_client, world):
    mine = staff_a_client.get(f"/delivery/messages/?source={world['notice'].pk}")
    assert rows(mine) == {world["service"].pk}
    assert 'id="source-figures-link"' in mine.content.decode()
    foreign = staff_a_client.get(f"/delivery/messages/?source={world['foreign_source'].pk}")
    assert rows(foreign) == {world["sms"].pk, world["service"].pk}  # dropped, not shown
    assert "隔壁部门活动" not in foreign.content.decode()


def test_the_log_pages_by_keyset_without_a_query_per_row(
    staff_a_client, world, department_a, django_assert_max_num_queries
):
    campaign = world["campaign"]
    for customer in CustomerFactory.create_batch(60, department=department_a):
        message(campaign, customer)
    with django_assert_max_num_queries(12):
        first = staff_a_client.get("/delivery/messages/")
    page = first.context["page"]
    assert len(page.rows) == 50 and page.has_next and not page.has_previous
    second = staff_a_client.get(f"/delivery/messages/?after={page.next_cursor}")
    assert len(second.context["page"].rows) == 12
    assert not rows(first) & rows(second)
    assert staff_a_client.get("/delivery/messages/?after=garbage").status_code == 200


def test_the_log_shows_full_addresses_to_managers_and_audits_them(
    manager_a_client, manager_a, world
):
    body = manager_a_client.get("/delivery/messages/").content.decode()
    assert "+8613812345678" in body
    assert AuditEntry.objects.filter(
        actor=manager_a, action=AuditAction.VIEW, customer_id=world["sms"].customer_id
    ).exists()


# --- a sender's page -------------------------------------------------------------------


def test_a_source_page_shows_its_figures_and_buttons_for_managers(
    manager_a_client, staff_a_client, world
):
    notice = world["notice"]
    body = manager_a_client.get(f"/delivery/sources/{notice.pk}/").content.decode()

    assert "维修单 R-7" in body and 'data-figure="audience">1<' in body
    assert 'data-class="service"' in body
    assert 'id="source-pause"' in body and 'id="source-cancel"' in body
    staff = staff_a_client.get(f"/delivery/sources/{notice.pk}/").content.decode()
    assert "维修单 R-7" in staff and 'id="source-pause"' not in staff
    campaign_page = manager_a_client.get(f"/delivery/sources/{world['sms'].source_id}/")
    body = campaign_page.content.decode()
    assert f'href="/campaigns/{world["campaign"].pk}/"' in body


def test_a_campaign_is_paused_on_its_own_page_not_here(manager_a_client, world):
    """A campaign's source follows the campaign's status: pausing it here would be undone
    by the campaign's next change, so the page links to the campaign instead."""
    source = MessageSource.objects.get(pk=world["sms"].source_id)
    MessageSource.objects.filter(pk=source.pk).update(state=SourceState.ACTIVE)
    body = manager_a_client.get(f"/delivery/sources/{source.pk}/").content.decode()
    assert 'id="source-follows-note"' in body and 'id="source-pause"' not in body

    manager_a_client.post(f"/delivery/sources/{source.pk}/state/", {"action": "pause"})
    assert MessageSource.objects.get(pk=source.pk).state == SourceState.ACTIVE


def test_a_foreign_source_is_not_found(manager_a_client, world):
    pk = world["foreign_source"].pk
    before = MessageSource.objects.get(pk=pk).state
    assert manager_a_client.get(f"/delivery/sources/{pk}/").status_code == 404
    response = manager_a_client.post(f"/delivery/sources/{pk}/state/", {"action": "pause"})
    assert response.status_code == 404
    assert MessageSource.objects.get(pk=pk).state == before


def test_a_manager_pauses_resumes_and_cancels_a_source(manager_a_client, manager_a, world):
    notice = world["notice"]
    url = f"/delivery/sources/{notice.pk}/state/"

    assert manager_a_client.post(url, {"action": "pause"}).status_code == 302
    assert MessageSource.objects.get(pk=notice.pk).state == SourceState.PAUSED
    assert manager_a_client.post(url, {"action": "resume"}).status_code == 302
    assert MessageSource.objects.get(pk=notice.pk).state == SourceState.ACTIVE
    # cancelling needs its confirmation
    manager_a_client.post(url, {"action": "cancel"})
    assert MessageSource.objects.get(pk=notice.pk).state == SourceState.ACTIVE
    manager_a_client.post(url, {"action": "cancel", "confirm": "yes"})

    assert MessageSource.objects.get(pk=notice.pk).state == SourceState.CANCELLED
    service = OutboxMessage.objects.get(pk=world["service"].pk)
    assert (service.status, service.reason) == (
        MessageStatus.SUPPRESSED,
        SuppressionReason.SOURCE_STOPPED,
    )
    assert (
        AuditEntry.objects.filter(actor=manager_a, action=AuditAction.CHANGE)
        .filter(detail__delivery__startswith="source ")
        .count()
        == 3
    )
    # a cancelled sender stays cancelled
    manager_a_client.post(url, {"action": "resume"})
    assert MessageSource.objects.get(pk=notice.pk).state == SourceState.CANCELLED


def test_staff_cannot_pause_a_source(staff_a_client, world):
    url = f"/delivery/sources/{world['notice'].pk}/state/"
    assert staff_a_client.post(url, {"action": "pause"}).status_code == 403
    assert MessageSource.objects.get(pk=world["notice"].pk).state == SourceState.ACTIVE


def test_the_operations_page_links_sources_and_the_log(manager_a_client, world):
    """Senders with messages waiting, or paused, are listed with a link to their page;
    another department's are not."""
    from delivery.services.sources import source_pause

    source_pause(source=world["notice"])
    OutboxMessage.objects.filter(pk=world["sms"].pk).update(
        status=MessageStatus.SENDING, lease_until=timezone.now() - dt.timedelta(minutes=1)
    )
    body = manager_a_client.get("/delivery/").content.decode()
    assert 'href="/delivery/messages/"' in body
    assert f'href="/delivery/sources/{world["sms"].source_id}/"' in body
    assert f'data-source="{world["notice"].pk}"' in body
    assert "隔壁部门活动" not in body


# --- the messages API ------------------------------------------------------------------


def test_the_api_names_the_campaign_through_the_registry(staff_a, api_client_for, world):
    client = api_client_for(staff_a)
    data = client.get("/api/v1/messages/").json()
    by_id = {row["id"]: row for row in data["results"]}

    assert by_id[world["sms"].pk]["campaign"] == world["campaign"].pk
    assert by_id[world["sms"].pk]["source_kind"] == "campaign"
    assert by_id[world["service"].pk]["campaign"] is None
    assert by_id[world["service"].pk]["message_class"] == "service"
    assert world["hidden"].pk not in by_id
    only = client.get(f"/api/v1/messages/?campaign={world['campaign'].pk}").json()
    assert [row["id"] for row in only["results"]] == [world["sms"].pk]
    assert client.get("/api/v1/messages/?campaign=x").json()["results"] == []


# --- Django admin: read-only operator views --------------------------------------------


def test_the_django_admin_shows_delivery_tables_read_only(world, admin_user):
    from django.contrib.auth import get_user_model
    from django.test import Client

    operator = get_user_model().objects.create_superuser("operator", "op@example.cn", "x")
    client = Client()
    client.force_login(operator)
    for model in (
        "messagesource",
        "outboxmessage",
        "frequencycap",
        "quiethours",
        "sourcekindclass",
        "unsubscribe",
        "dispatchrun",
    ):
        assert client.get(f"/admin/delivery/{model}/").status_code == 200, model
        assert client.get(f"/admin/delivery/{model}/add/").status_code == 403, model
    page = client.get(f"/admin/delivery/outboxmessage/{world['sms'].pk}/change/")
    assert page.status_code == 200
    assert "+8613812345678" not in page.content.decode()  # the address stays on its page
    assert (
        client.get(f"/admin/delivery/messagesource/{world['notice'].pk}/change/").status_code == 200
    )
