"""An event's way through its statuses, and what blocks its approval."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from carecrm.core.models import AuditEntry
from events.models import Event, EventStatus
from events.selectors.events import approval_blockers
from events.services.events import (
    event_approve,
    event_cancel,
    event_mark_held,
    event_open,
    event_update,
    events_mark_held,
)
from events.tests.conftest import budget_for, make_event

pytestmark = pytest.mark.django_db


def test_a_draft_with_goals_target_and_approved_budget_is_approved(staff_a, manager_a, segment_a):
    event = make_event(staff_a, [segment_a])
    budget_for(event, staff_a)
    assert approval_blockers(event) == []

    event_approve(event=event, user=manager_a)

    event.refresh_from_db()
    assert event.status == EventStatus.APPROVED
    assert event.approved_by == manager_a
    assert AuditEntry.objects.filter(object_id=str(event.pk), detail__event="approved").exists()


def test_approval_is_blocked_without_a_budget_and_says_so(staff_a, manager_a, segment_a):
    event = make_event(staff_a, [segment_a])
    [blocker] = approval_blockers(event)
    assert blocker.startswith("No budget")
    with pytest.raises(ValidationError):
        event_approve(event=event, user=manager_a)
    event.refresh_from_db()
    assert event.status == EventStatus.DRAFT


def test_approval_is_blocked_while_the_budget_is_not_approved(staff_a, manager_a, segment_a):
    event = make_event(staff_a, [segment_a])
    budget_for(event, staff_a, approved=False)
    [blocker] = approval_blockers(event)
    assert blocker.startswith("Budget not approved")
    with pytest.raises(ValidationError):
        event_approve(event=event, user=manager_a)


def test_a_plan_over_the_share_cap_waits_for_an_administrator(
    staff_a, manager_a, admin_user, segment_a
):
    event = make_event(staff_a, [segment_a])
    # 30,000 plus 10 % contingency of 100,000 is 33 %, above the 20 % cap
    plan = budget_for(event, staff_a, total=Decimal("30000.00"), annual=Decimal("100000"))
    [blocker] = approval_blockers(event)
    assert "administrator" in blocker and "33.00 %" in blocker
    with pytest.raises(ValidationError):
        event_approve(event=event, user=manager_a)

    plan.over_cap_approved_at = timezone.now()
    plan.over_cap_approved_by = admin_user
    plan.over_cap_approved_total = plan.total
    plan.save()
    event_approve(event=event, user=manager_a)
    event.refresh_from_db()
    assert event.status == EventStatus.APPROVED


def test_no_annual_budget_means_an_administrator_decides(staff_a, segment_a):
    event = make_event(staff_a, [segment_a])
    budget_for(event, staff_a, annual=None)
    [blocker] = approval_blockers(event)
    assert "no annual budget" in blocker


def test_no_goals_and_no_target_are_named(staff_a):
    event = make_event(staff_a, goals=False)
    blockers = approval_blockers(event)
    assert [b.split(":")[0] for b in blockers] == ["No goal", "No target", "No budget"]


def test_staff_cannot_approve(staff_a, segment_a):
    event = make_event(staff_a, [segment_a])
    budget_for(event, staff_a)
    with pytest.raises(PermissionDenied):
        event_approve(event=event, user=staff_a)


def test_open_held_and_the_beat_marks_ended_events_held_once(staff_a, manager_a, segment_a):
    event = make_event(staff_a, [segment_a])
    budget_for(event, staff_a)
    with pytest.raises(ValidationError):
        event_open(event=event, user=manager_a)  # still a draft
    event_approve(event=event, user=manager_a)
    event_open(event=event, user=manager_a)
    assert Event.objects.get(pk=event.pk).status == EventStatus.OPEN
    with pytest.raises(ValidationError):
        event_mark_held(event=event, user=manager_a)  # not started yet

    assert events_mark_held(now=event.ends_at - dt.timedelta(minutes=1)) == 0
    assert events_mark_held(now=event.ends_at) == 1
    assert events_mark_held(now=event.ends_at + dt.timedelta(hours=1)) == 0
    assert Event.objects.get(pk=event.pk).status == EventStatus.HELD


def test_drafts_are_never_marked_held(staff_a):
    event = make_event(staff_a, days=-3)
    assert events_mark_held() == 0
    assert Event.objects.get(pk=event.pk).status == EventStatus.DRAFT


def test_cancel_needs_a_reason_and_only_before_held(staff_a, manager_a, segment_a):
    event = make_event(staff_a, [segment_a])
    with pytest.raises(ValidationError):
        event_cancel(event=event, user=staff_a, reason="  ")
    event_cancel(event=event, user=staff_a, reason="场地取消")
    event.refresh_from_db()
    assert event.status == EventStatus.CANCELLED and event.cancel_reason == "场地取消"

    held = make_event(staff_a, [segment_a], days=-2)
    Event.objects.filter(pk=held.pk).update(status=EventStatus.HELD)
    with pytest.raises(ValidationError):
        event_cancel(event=held, user=staff_a, reason="太晚了")


def test_moving_the_date_asks_about_the_milestones_then_shifts_open_ones(staff_a):
    event = make_event(staff_a)
    first = event.milestones.get(key="approval")
    first.done_at = timezone.now()
    first.save()
    before = {m.key: m.due_on for m in event.milestones.all()}
    later = {
        "starts_at": event.starts_at + dt.timedelta(days=5),
        "ends_at": event.ends_at + dt.timedelta(days=5),
    }

    with pytest.raises(ValidationError) as refused:
        event_update(event=event, user=staff_a, fields=later)
    assert "shift_milestones" in refused.value.message_dict
    assert Event.objects.get(pk=event.pk).starts_at == event.starts_at

    event_update(event=event, user=staff_a, fields=later, shift_milestones=True)
    after = {m.key: m.due_on for m in event.milestones.all()}
    assert after["approval"] == before["approval"]  # done: stays
    assert after["report"] == before["report"] + dt.timedelta(days=5)


def test_keeping_the_milestones_leaves_them(staff_a):
    event = make_event(staff_a)
    before = {m.key: m.due_on for m in event.milestones.all()}
    event_update(
        event=event,
        user=staff_a,
        fields={
            "starts_at": event.starts_at + dt.timedelta(days=2),
            "ends_at": event.ends_at + dt.timedelta(days=2),
        },
        shift_milestones=False,
    )
    assert {m.key: m.due_on for m in event.milestones.all()} == before


def test_an_event_goes_under_ones_own_department_only(staff_a, department_b):
    with pytest.raises(PermissionDenied):
        make_event(staff_a, department=department_b)


def test_a_venue_or_an_online_link_is_needed(staff_a):
    with pytest.raises(ValidationError) as refused:
        make_event(staff_a, venue="")
    assert "venue" in refused.value.message_dict
    assert make_event(staff_a, venue="", online_link="https://live.example.cn/x").pk
