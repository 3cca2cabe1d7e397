"""``/api/v1/events/`` and its goals, milestones and tasks: in the user's scope, written
through the services."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from events.models import Event, EventStatus
from events.tests.conftest import budget_for, make_event
from events.tests.factories import EventFactory, EventTaskFactory

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_create_through_the_service_generates_the_timeline(staff_a, segment_a):
    response = _api(staff_a).post(
        "/api/v1/events/",
        {
            "type": "lottery",
            "title": "线上抽奖",
            "starts_at": "2027-05-01T10:00:00+08:00",
            "ends_at": "2027-05-03T22:00:00+08:00",
            "online_link": "https://mp.example.cn/draw",
            "target_segments": [segment_a.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    event = Event.objects.get(pk=response.json()["id"])
    assert event.department == staff_a.department and event.owner == staff_a
    assert event.status == EventStatus.DRAFT and event.milestones.count() == 11


def test_the_service_refusal_is_a_400_naming_the_field(staff_a):
    response = _api(staff_a).post(
        "/api/v1/events/",
        {
            "type": "banquet",
            "title": "无地点",
            "starts_at": "2027-05-01T18:00:00+08:00",
            "ends_at": "2027-05-01T21:00:00+08:00",
        },
        format="json",
    )
    assert response.status_code == 400 and "venue" in response.json()


def test_lists_and_records_are_scoped(staff_a, staff_b):
    mine = make_event(staff_a)
    theirs = EventFactory(department=staff_b.department)
    task = EventTaskFactory(event=theirs)
    api = _api(staff_a)
    assert [row["id"] for row in api.get("/api/v1/events/").json()["results"]] == [mine.pk]
    assert api.get(f"/api/v1/events/{theirs.pk}/").status_code == 404
    assert (
        api.patch(f"/api/v1/events/{theirs.pk}/", {"title": "x"}, format="json").status_code == 404
    )
    assert api.get(f"/api/v1/event-tasks/{task.pk}/").status_code == 404
    assert api.get("/api/v1/event-tasks/").json()["results"] == []
    # a task cannot be hung on another department's event
    response = api.post(
        "/api/v1/event-tasks/",
        {"event": theirs.pk, "title": "x", "due_on": "2027-01-01"},
        format="json",
    )
    assert response.status_code == 400 and "event" in response.json()


def test_approve_says_what_blocks_it(staff_a, manager_a, segment_a):
    event = make_event(staff_a, [segment_a])
    api = _api(manager_a)
    response = api.post(f"/api/v1/events/{event.pk}/approve/")
    assert response.status_code == 400
    assert "No budget" in response.json()["non_field_errors"][0]
    assert api.get(f"/api/v1/events/{event.pk}/blockers/").json()["blockers"]
    budget_for(event, staff_a)
    response = api.post(f"/api/v1/events/{event.pk}/approve/")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert _api(staff_a).post(f"/api/v1/events/{event.pk}/open/").json()["status"] == "open"


def test_goals_milestones_and_tasks(staff_a):
    event = make_event(staff_a)
    api = _api(staff_a)
    goal = api.post(
        "/api/v1/event-goals/",
        {"event": event.pk, "metric": "satisfaction", "target": "90", "deadline": "2027-06-01"},
        format="json",
    )
    assert goal.status_code == 201, goal.json()
    assert event.goals.count() == 2
    milestone = event.milestones.get(key="venue")
    response = api.patch(f"/api/v1/event-milestones/{milestone.pk}/", {"done": True}, format="json")
    assert response.status_code == 200 and response.json()["done_at"]
    task = api.post(
        "/api/v1/event-tasks/",
        {"event": event.pk, "title": "订场地", "due_on": "2027-01-01", "owner": staff_a.pk},
        format="json",
    )
    assert task.status_code == 201, task.json()
    assert api.get("/api/v1/event-tasks/?mine=1").json()["count"] == 1
    due = (milestone.due_on + dt.timedelta(days=1)).isoformat()
    bad = api.patch(
        f"/api/v1/event-milestones/{milestone.pk}/",
        {"starts_on": due, "due_on": milestone.due_on.isoformat()},
        format="json",
    )
    assert bad.status_code == 400


def test_only_a_bare_draft_can_be_deleted(staff_a, manager_a):
    draft = make_event(staff_a)
    budgeted = make_event(staff_a)
    budget_for(budgeted, staff_a)
    assert _api(staff_a).delete(f"/api/v1/events/{draft.pk}/").status_code == 403
    refused = _api(manager_a).delete(f"/api/v1/events/{budgeted.pk}/")
    assert refused.status_code == 403 and "cancel it instead" in refused.json()["detail"]
    assert _api(manager_a).delete(f"/api/v1/events/{draft.pk}/").status_code == 204
    assert list(Event.objects.all()) == [budgeted]
