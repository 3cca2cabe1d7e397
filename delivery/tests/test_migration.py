"""Upgrading an installation whose delivery tables still belong to campaigns (campaigns
migration 0006) loses nothing: the tables are taken over in place, every message names
its campaign's source afterwards, events, unsubscribes and the permissions granted on
the moved models stay as they were."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from delivery.models import MessageEvent, MessageSource, OutboxMessage, SourceState, Unsubscribe

BEFORE = [("campaigns", "0006_activity_actor_role")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_upgrading_from_campaigns_0006_keeps_every_row_and_names_each_source():
    granted = Permission.objects.get(codename="view_outboxmessage")
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    executor = _migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    assert "delivery" not in old.app_configs  # the engine still lives in campaigns

    Department = old.get_model("accounts", "Department")
    Customer = old.get_model("customers", "Customer")
    CareCampaign = old.get_model("campaigns", "CareCampaign")
    OldMessage = old.get_model("campaigns", "OutboxMessage")
    OldEvent = old.get_model("campaigns", "MessageEvent")
    OldUnsubscribe = old.get_model("campaigns", "Unsubscribe")
    department = Department.objects.create(name="华东销售部", code="east-sales")
    customers = [
        Customer.objects.create(
            name=f"客户{n}", mobile=f"+8613900000{n:03d}", department=department
        )
        for n in range(3)
    ]
    campaigns = {
        status: CareCampaign.objects.create(
            name=f"关怀 {status}",
            kind="one_off",
            status=status,
            department=department,
            backup_plan="暂停",
            goal_deadline=dt.date(2027, 12, 31),
        )
        for status in ("active", "paused", "finished")
    }
    CareCampaign.objects.create(name="没有消息", kind="one_off", department=department)
    now = timezone.now()
    messages = []
    for status, campaign in campaigns.items():
        for customer in customers:
            messages.append(
                OldMessage.objects.create(
                    campaign=campaign,
                    customer=customer,
                    channel="sms",
                    occasion=dt.date(2027, 5, 20),
                    due_on=dt.date(2027, 5, 20),
                    planned_on=dt.date(2027, 5, 20),
                    care_kind="holiday",
                    priority=2,
                    status="sent" if status == "finished" else "queued",
                    address=customer.mobile,
                    send_after=now,
                    body=f"{campaign.name} → {customer.name}",
                )
            )
    OldEvent.objects.create(message=messages[0], kind="sent", at=now, detail={"n": 1})
    OldUnsubscribe.objects.create(customer=customers[1], source="link", message=messages[1])
    before = {
        m.pk: (m.campaign_id, m.customer_id, m.status, m.body) for m in OldMessage.objects.all()
    }

    _migrate(leaves)

    assert OutboxMessage.objects.count() == len(before) == 9
    sources = {s.object_id: s for s in MessageSource.objects.filter(kind="campaign")}
    assert set(sources) == {c.pk for c in campaigns.values()}  # one per campaign that sent
    for message in OutboxMessage.objects.select_related("source"):
        campaign_id, customer_id, status, body = before[message.pk]
        assert (message.source.kind, message.source.object_id) == ("campaign", campaign_id)
        assert (message.customer_id, message.status, message.body) == (customer_id, status, body)
        assert message.message_class == "care"
    assert sources[campaigns["active"].pk].state == SourceState.ACTIVE
    assert sources[campaigns["paused"].pk].state == SourceState.PAUSED
    assert sources[campaigns["finished"].pk].state == SourceState.CANCELLED
    assert sources[campaigns["active"].pk].label == "关怀 active"
    assert sources[campaigns["active"].pk].department_id == department.pk
    assert MessageEvent.objects.get().message_id == messages[0].pk
    assert Unsubscribe.objects.get().message_id == messages[1].pk
    # the permissions roles hold on the moved models are the same rows, now delivery's
    moved = Permission.objects.get(pk=granted.pk)
    assert moved.content_type.app_label == "delivery"
