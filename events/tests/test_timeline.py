"""The timeline generated from the event's dates, and what counts as overdue."""

import datetime as dt

import pytest
from django.utils import timezone

from carecrm.accounts.tests.factories import UserFactory
from events.models import EventTask, Milestone, TaskStatus, TeamRole
from events.selectors.events import is_overdue, timeline_chart
from events.services.tasks import team_member_add
from events.services.timeline import timeline_generate
from events.tests.factories import EventFactory, MilestoneFactory

pytestmark = pytest.mark.django_db


def _local(y, m, d, h):
    return timezone.make_aware(dt.datetime(y, m, d, h))


def test_milestones_follow_the_event_date(department_a, staff_a):
    # 15 March 2027, 18:00–21:00 China time: preparation 15 Jan – 15 Feb, execution
    # 8–18 March, review 16–22 March
    event = EventFactory(
        department=department_a,
        owner=staff_a,
        starts_at=_local(2027, 3, 15, 18),
        ends_at=_local(2027, 3, 15, 21),
    )
    timeline_generate(event)
    got = {m.key: (m.phase, m.starts_on, m.due_on) for m in event.milestones.all()}
    d = dt.date
    assert got == {
        "approval": ("preparation", d(2027, 1, 15), d(2027, 1, 29)),
        "venue": ("preparation", d(2027, 1, 15), d(2027, 2, 15)),
        "audience": ("preparation", d(2027, 1, 22), d(2027, 2, 15)),
        "materials": ("preparation", d(2027, 1, 29), d(2027, 2, 15)),
        "promotion": ("execution", d(2027, 3, 8), d(2027, 3, 14)),
        "invitations": ("execution", d(2027, 3, 8), d(2027, 3, 13)),
        "on_site": ("execution", d(2027, 3, 15), d(2027, 3, 15)),
        "follow_up": ("execution", d(2027, 3, 16), d(2027, 3, 18)),
        "data": ("review", d(2027, 3, 16), d(2027, 3, 19)),
        "evaluation": ("review", d(2027, 3, 18), d(2027, 3, 21)),
        "report": ("review", d(2027, 3, 20), d(2027, 3, 22)),
    }


def test_a_late_evening_start_counts_in_china_time(department_a):
    # 23:30 on 31 May in Shanghai is 15:30 UTC: the event day is 31 May, two months
    # before is 31 March
    event = EventFactory(
        department=department_a, starts_at=_local(2027, 5, 31, 23), ends_at=_local(2027, 6, 1, 1)
    )
    timeline_generate(event)
    assert event.milestones.get(key="approval").starts_on == dt.date(2027, 3, 31)
    assert event.milestones.get(key="on_site").due_on == dt.date(2027, 6, 1)
    assert event.milestones.get(key="report").due_on == dt.date(2027, 6, 8)


def test_owners_come_from_the_team_role_and_regenerating_adds_only_missing(department_a, staff_a):
    helper = UserFactory(department=department_a)
    event = EventFactory(department=department_a, owner=staff_a)
    team_member_add(event=event, user=staff_a, member=helper, role=TeamRole.CUSTOMER)
    timeline_generate(event)
    assert event.milestones.get(key="invitations").owner == helper
    assert event.milestones.get(key="approval").owner == staff_a  # the lead: the owner
    assert event.milestones.get(key="promotion").owner is None

    edited = event.milestones.get(key="venue")
    edited.due_on = edited.due_on + dt.timedelta(days=3)
    edited.save()
    event.milestones.filter(key="report").delete()
    assert [m.key for m in timeline_generate(event)] == ["report"]
    assert timeline_generate(event) == []
    assert event.milestones.get(key="venue").due_on == edited.due_on
    assert event.milestones.count() == 11


def test_a_new_member_takes_the_roles_unowned_milestones(department_a, staff_a):
    event = EventFactory(department=department_a, owner=staff_a)
    timeline_generate(event)
    publicist = UserFactory(department=department_a)
    team_member_add(event=event, user=staff_a, member=publicist, role=TeamRole.PUBLICITY)
    assert event.milestones.get(key="promotion").owner == publicist


def test_overdue_is_past_due_and_not_done():
    today = dt.date(2027, 3, 10)
    late = Milestone(due_on=dt.date(2027, 3, 9), starts_on=dt.date(2027, 3, 1))
    assert is_overdue(late, today)
    assert not is_overdue(Milestone(due_on=today, starts_on=today), today)
    late.done_at = timezone.now()
    assert not is_overdue(late, today)
    assert is_overdue(EventTask(due_on=dt.date(2027, 3, 9), status=TaskStatus.IN_PROGRESS), today)
    assert not is_overdue(EventTask(due_on=dt.date(2027, 3, 9), status=TaskStatus.DONE), today)
    assert not is_overdue(EventTask(due_on=today, status=TaskStatus.OPEN), today)


def test_the_chart_places_bars_and_today(department_a):
    event = EventFactory(
        department=department_a, starts_at=_local(2027, 3, 15, 18), ends_at=_local(2027, 3, 15, 21)
    )
    MilestoneFactory(event=event, starts_on=dt.date(2027, 3, 1), due_on=dt.date(2027, 3, 10))
    MilestoneFactory(event=event, starts_on=dt.date(2027, 3, 11), due_on=dt.date(2027, 3, 20))
    chart = timeline_chart(event, today=dt.date(2027, 3, 11))
    first, second = chart.rows
    assert (first.left, first.width, first.overdue) == (0, 50, True)
    assert (second.left, second.width, second.overdue) == (50, 50, False)
    assert chart.today_left == 50
    assert chart.event_left == 70


def test_the_timeline_page_highlights_overdue_milestones(staff_a_client, staff_a):
    event = EventFactory(department=staff_a.department, owner=staff_a)
    MilestoneFactory(
        event=event,
        name="逾期的节点",
        starts_on=timezone.localdate() - dt.timedelta(days=5),
        due_on=timezone.localdate() - dt.timedelta(days=1),
    )
    page = staff_a_client.get(f"/events/{event.pk}/timeline/").content.decode()
    row = page[page.index('class="table-danger overdue"') :][:400]
    assert "逾期的节点" in row
    assert 'id="gantt-today"' in page and "<svg" in page
