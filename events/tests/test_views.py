"""The event pages: list and filters, the form with goals, the overview's approval panel
and budget card, department scope (another department's event, tasks and milestones are
404), the calendar and the customer's timeline."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from carecrm.core.registry import calendar_entries
from customers.timeline import customer_timeline
from events.models import Event, EventStatus, EventTask, GuestStatus
from events.tests.conftest import budget_for, make_event
from events.tests.factories import (
    EventFactory,
    EventTaskFactory,
    GuestFactory,
    MilestoneFactory,
    TeamMemberFactory,
)

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post_form(client, url, data):
    base = {
        "goals-TOTAL_FORMS": "1",
        "goals-INITIAL_FORMS": "0",
        "goals-MIN_NUM_FORMS": "0",
        "goals-MAX_NUM_FORMS": "10",
    }
    return client.post(url, {**base, **data})


def test_creating_an_event_with_a_goal_generates_its_timeline(staff_a_client, staff_a, segment_a):
    day = timezone.localdate() + dt.timedelta(days=70)
    response = _post_form(
        staff_a_client,
        "/events/new/",
        {
            "type": "seminar",
            "title": "新品品鉴会",
            "starts_at": f"{day.isoformat()}T14:00",
            "ends_at": f"{day.isoformat()}T16:00",
            "venue": "培训中心",
            "capacity": "40",
            "max_party_size": "1",
            "uplift_days": "30",
            "department": staff_a.department_id,
            "owner": staff_a.pk,
            "target_segments": [segment_a.pk],
            "goals-0-metric": "attendance",
            "goals-0-target": "35",
            "goals-0-deadline": (day + dt.timedelta(days=7)).isoformat(),
        },
    )
    event = Event.objects.get(title="新品品鉴会")
    assert response.status_code == 302 and response["Location"] == f"/events/{event.pk}/"
    assert event.goals.get().target == Decimal("35")
    assert event.milestones.count() == 11
    assert list(event.target_segments.all()) == [segment_a]


def test_a_bad_form_keeps_what_was_typed_and_says_why(staff_a_client, staff_a):
    response = _post_form(
        staff_a_client,
        "/events/new/",
        {
            "type": "banquet",
            "title": "没有地点的晚宴",
            "starts_at": "2027-03-15T18:00",
            "ends_at": "2027-03-15T17:00",
            "max_party_size": "1",
            "uplift_days": "30",
            "department": staff_a.department_id,
            "goals-0-metric": "attendance",
            "goals-0-target": "",
            "goals-0-deadline": "2027-03-20",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "没有地点的晚宴" in page
    assert "This field is required" in page  # the goal's target
    assert not Event.objects.exists()


def test_the_form_shows_the_care_programme_suggestions_per_type(staff_a_client):
    page = staff_a_client.get("/events/new/").content.decode()
    assert "High-value and flagship customers." in page
    assert "Ordinary and new customers." in page and "An extra draw for sharing" in page


def test_the_overview_names_what_blocks_approval_then_the_manager_approves(
    staff_a, manager_a, segment_a
):
    event = make_event(staff_a, [segment_a])
    manager = _client(manager_a)
    page = manager.get(f"/events/{event.pk}/").content.decode()
    assert "No budget" in page and 'id="approve-event" disabled' in page
    assert manager.post(f"/events/{event.pk}/approve/").status_code == 302
    assert Event.objects.get(pk=event.pk).status == EventStatus.DRAFT

    budget_for(event, staff_a, total=Decimal("42000.00"))
    page = manager.get(f"/events/{event.pk}/").content.decode()
    assert 'id="approval-ready"' in page
    assert "¥46,200.00" in page  # 42,000 plus the 10 % contingency
    manager.post(f"/events/{event.pk}/approve/")
    assert Event.objects.get(pk=event.pk).status == EventStatus.APPROVED
    manager.post(f"/events/{event.pk}/open/")
    assert Event.objects.get(pk=event.pk).status == EventStatus.OPEN


def test_create_budget_makes_the_plan_and_stays_until_the_budgets_page_exists(
    staff_a_client, staff_a
):
    event = make_event(staff_a)
    response = staff_a_client.post(f"/events/{event.pk}/budget/create/")
    assert response.status_code == 302
    # the budgets app's plan page once it exists, the event's budget tab until then
    assert response["Location"].startswith("/budgets/") or (
        response["Location"] == f"/events/{event.pk}/budget/"
    )
    page = staff_a_client.get(f"/events/{event.pk}/budget/").content.decode()
    assert 'data-plan-status="draft"' in page and "¥0.00" in page


def test_cancel_from_the_page_needs_a_reason(staff_a_client, staff_a):
    event = make_event(staff_a)
    staff_a_client.post(f"/events/{event.pk}/cancel/", {"reason": ""})
    assert Event.objects.get(pk=event.pk).status == EventStatus.DRAFT
    staff_a_client.post(f"/events/{event.pk}/cancel/", {"reason": "场地不可用"})
    event.refresh_from_db()
    assert event.status == EventStatus.CANCELLED and event.cancel_reason == "场地不可用"


def test_list_filters_and_search(staff_a_client, staff_a, department_b):
    make_event(staff_a, title="春季品鉴会", type="seminar")
    make_event(staff_a, title="去年的晚宴", days=-40)
    EventFactory(department=department_b, title="别的部门的活动")
    page = staff_a_client.get("/events/").content.decode()
    assert "春季品鉴会" in page and "去年的晚宴" in page and "别的部门的活动" not in page
    page = staff_a_client.get("/events/?when=upcoming").content.decode()
    assert "春季品鉴会" in page and "去年的晚宴" not in page
    page = staff_a_client.get("/events/?type=banquet&q=晚宴").content.decode()
    assert "去年的晚宴" in page and "春季品鉴会" not in page


def test_another_departments_event_tasks_and_milestones_are_404(staff_b, staff_a):
    event = EventFactory(department=staff_a.department, owner=staff_a)
    task = EventTaskFactory(event=event, owner=staff_a)
    milestone = MilestoneFactory(event=event)
    member = TeamMemberFactory(event=event, user=staff_a)
    stranger = _client(staff_b)
    for url in (
        f"/events/{event.pk}/",
        f"/events/{event.pk}/edit/",
        f"/events/{event.pk}/timeline/",
        f"/events/{event.pk}/team/",
        f"/events/{event.pk}/budget/",
        f"/events/tasks/{task.pk}/",
        f"/events/milestones/{milestone.pk}/",
    ):
        assert stranger.get(url).status_code == 404, url
    for url, data in (
        (f"/events/{event.pk}/cancel/", {"reason": "x"}),
        (f"/events/tasks/{task.pk}/status/", {"status": "done"}),
        (f"/events/tasks/{task.pk}/delete/", {}),
        (f"/events/milestones/{milestone.pk}/delete/", {}),
        (f"/events/team-members/{member.pk}/remove/", {}),
        (f"/events/{event.pk}/tasks/new/", {"title": "x", "due_on": "2027-01-01"}),
    ):
        assert stranger.post(url, data).status_code == 404, url
    assert Event.objects.get(pk=event.pk).status == EventStatus.DRAFT
    assert EventTask.objects.get(pk=task.pk).status == "open"
    assert event.milestones.count() == 1 and event.team.count() == 1


def test_the_team_page_adds_members_of_the_department_and_tasks(staff_a_client, staff_a, staff_b):
    event = make_event(staff_a)
    staff_a_client.post(f"/events/{event.pk}/team/add/", {"role": "customer", "user": staff_b.pk})
    assert not event.team.exists()  # another department's user is not offered
    staff_a_client.post(f"/events/{event.pk}/team/add/", {"role": "customer", "user": staff_a.pk})
    assert event.team.get().user == staff_a
    assert event.milestones.get(key="invitations").owner == staff_a
    response = staff_a_client.post(
        f"/events/{event.pk}/tasks/new/",
        {"title": "打印邀请函", "due_on": "2027-01-05", "status": "open", "owner": staff_a.pk},
    )
    assert response.status_code == 302
    page = staff_a_client.get(f"/events/{event.pk}/team/").content.decode()
    assert "打印邀请函" in page


def test_the_campaign_calendar_shows_events_in_scope(staff_a, department_b):
    event = make_event(staff_a, title="日历里的晚宴", days=3)
    EventFactory(
        department=department_b,
        title="看不到的活动",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
    )
    day = timezone.localdate(event.starts_at)
    entries = calendar_entries(staff_a, day, day)
    assert [(str(e.title), e.url, e.kind) for e in entries] == [
        ("日历里的晚宴", f"/events/{event.pk}/", "event")
    ]
    page = _client(staff_a).get(f"/campaigns/calendar/?year={day.year}&month={day.month}")
    text = page.content.decode()
    assert "日历里的晚宴" in text and "看不到的活动" not in text
    assert 'data-kind="event"' in text and "Draft" in text


def test_the_customer_timeline_shows_invitations_answers_and_check_in(staff_a):
    event = make_event(staff_a, title="客户答谢会")
    now = timezone.now()
    guest = GuestFactory(
        event=event,
        status=GuestStatus.ACCEPTED,
        party_size=2,
        responded_at=now + dt.timedelta(hours=1),
        checked_in_at=now + dt.timedelta(days=1),
    )
    page = customer_timeline(customer=guest.customer, user=staff_a)
    titles = [str(e.title) for e in page.page if e.kind == "event"]
    assert titles == [
        "Attended the event: 客户答谢会",
        "Answered the invitation to 客户答谢会: Accepted",
        "Invited to the event: 客户答谢会",
    ]
    assert ("event", "Events") in page.kinds
    invited = next(e for e in page.page if e.icon == "envelope-paper")
    assert invited.detail == f"{timezone.localdate(event.starts_at).isoformat()} 18:00"


def test_the_home_card_counts_my_tasks_due_this_week(staff_a_client, staff_a):
    EventTaskFactory(
        event=EventFactory(department=staff_a.department),
        owner=staff_a,
        due_on=timezone.localdate() + dt.timedelta(days=2),
    )
    page = staff_a_client.get("/").content.decode()
    assert "My event tasks due this week" in page


def test_editing_the_date_asks_about_the_milestones(staff_a_client, staff_a):
    event = make_event(staff_a, title="改期的晚宴")
    goal = event.goals.get()
    start = timezone.localtime(event.starts_at) + dt.timedelta(days=7)
    end = timezone.localtime(event.ends_at) + dt.timedelta(days=7)
    report_due = event.milestones.get(key="report").due_on
    data = {
        "type": "banquet",
        "title": "改期的晚宴",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": end.strftime("%Y-%m-%dT%H:%M"),
        "venue": "宴会厅",
        "max_party_size": "1",
        "uplift_days": "30",
        "department": staff_a.department_id,
        "owner": staff_a.pk,
        "goals-TOTAL_FORMS": "2",
        "goals-INITIAL_FORMS": "1",
        "goals-MIN_NUM_FORMS": "0",
        "goals-MAX_NUM_FORMS": "10",
        "goals-0-id": goal.pk,
        "goals-0-event": event.pk,
        "goals-0-metric": "attendance",
        "goals-0-target": "48",
        "goals-0-deadline": goal.deadline.isoformat(),
    }
    response = staff_a_client.post(f"/events/{event.pk}/edit/", data)
    assert response.status_code == 200
    assert "The date moved by 7 days" in response.content.decode()
    assert Event.objects.get(pk=event.pk).starts_at == event.starts_at

    response = staff_a_client.post(
        f"/events/{event.pk}/edit/", {**data, "shift_milestones": "shift"}
    )
    assert response.status_code == 302
    assert event.milestones.get(key="report").due_on == report_due + dt.timedelta(days=7)
    goal.refresh_from_db()
    assert goal.target == 48


def test_the_beat_schedules_exist():
    from django_celery_beat.models import PeriodicTask

    tasks = dict(PeriodicTask.objects.values_list("task", "crontab__hour"))
    assert tasks["events.remind_tasks"] == "8" and tasks["events.mark_held"] == "*"
    reminder = PeriodicTask.objects.get(task="events.remind_tasks")
    assert (reminder.crontab.minute, str(reminder.crontab.timezone)) == ("30", "Asia/Shanghai")


def test_the_celery_tasks_run_the_services(staff_a, manager_a, segment_a):
    from events.tasks import mark_held, remind_tasks

    event = make_event(staff_a, [segment_a], days=-1)
    budget_for(event, staff_a)
    Event.objects.filter(pk=event.pk).update(status=EventStatus.APPROVED)
    assert mark_held() == {"held": 1}
    assert mark_held() == {"held": 0}
    assert remind_tasks("2027-03-10")["day"] == "2027-03-10"
