"""Team tasks: the morning digest through a real SMTP server on loopback (each task
reminded once a day, one email per owner), and "my tasks" in the user's scope."""

import datetime as dt

import pytest
from django.utils import timezone

from carecrm.accounts.tests.factories import UserFactory
from carecrm.core.testing import free_port
from events.models import EventStatus, EventTask, TaskStatus
from events.selectors.events import my_tasks, my_tasks_due_this_week
from events.services.tasks import tasks_remind
from events.tests.factories import EventFactory, EventTaskFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2027, 3, 10)


def test_each_owner_gets_one_digest_and_a_rerun_sends_nothing(smtp_inbox, department_a, staff_a):
    other = UserFactory(department=department_a, email="other@example.com")
    event = EventFactory(department=department_a, title="答谢晚宴")
    EventTaskFactory(
        event=event, owner=staff_a, title="确认场地", due_on=TODAY + dt.timedelta(days=1)
    )
    EventTaskFactory(
        event=event, owner=staff_a, title="寄送邀请", due_on=TODAY - dt.timedelta(days=2)
    )
    EventTaskFactory(
        event=event, owner=staff_a, title="下周的事", due_on=TODAY + dt.timedelta(days=5)
    )
    EventTaskFactory(
        event=event,
        owner=staff_a,
        title="已完成",
        due_on=TODAY - dt.timedelta(days=1),
        status=TaskStatus.DONE,
    )
    EventTaskFactory(
        event=event, owner=other, title="采购礼品", due_on=TODAY + dt.timedelta(days=1)
    )
    cancelled = EventFactory(department=department_a, status=EventStatus.CANCELLED)
    EventTaskFactory(event=cancelled, owner=other, title="取消的", due_on=TODAY)

    assert tasks_remind(TODAY)["emails"] == 2

    mails = {rcpt[0]: mail for rcpt, mail in smtp_inbox.messages()}
    assert set(mails) == {staff_a.email, "other@example.com"}
    body = mails[staff_a.email].get_content()
    assert "确认场地" in body and "寄送邀请" in body
    assert "下周的事" not in body and "已完成" not in body
    assert "https://care.example.cn/events/my-tasks/" in body
    assert "1 due tomorrow" in mails[staff_a.email]["Subject"]
    assert "取消的" not in mails["other@example.com"].get_content()

    assert tasks_remind(TODAY)["emails"] == 0
    assert len(smtp_inbox.received) == 2
    assert EventTask.objects.get(title="确认场地").reminded_due_on == TODAY
    assert EventTask.objects.get(title="寄送邀请").reminded_overdue_on == TODAY

    # two days later: the overdue one again, and those now overdue
    assert tasks_remind(TODAY + dt.timedelta(days=2))["emails"] == 2
    body = smtp_inbox.messages()[-1][1].get_content() + smtp_inbox.messages()[-2][1].get_content()
    assert "确认场地" in body and "采购礼品" in body


def test_a_refused_email_is_tried_again_next_run(smtp_inbox, settings, department_a, staff_a):
    EventTaskFactory(
        event=EventFactory(department=department_a),
        owner=staff_a,
        due_on=TODAY + dt.timedelta(days=1),
    )
    settings.EMAIL_PORT = free_port()  # nobody listens there
    assert tasks_remind(TODAY) == {"day": TODAY.isoformat(), "emails": 0, "failed": 1}
    assert EventTask.objects.get().reminded_due_on is None


def test_my_tasks_are_mine_in_my_scope_soonest_first(department_a, department_b, staff_a, staff_b):
    mine_late = EventTaskFactory(
        event=EventFactory(department=department_a), owner=staff_a, due_on=TODAY
    )
    mine_soon = EventTaskFactory(
        event=EventFactory(department=department_a),
        owner=staff_a,
        due_on=TODAY - dt.timedelta(days=3),
    )
    EventTaskFactory(event=EventFactory(department=department_a), owner=None)
    EventTaskFactory(event=EventFactory(department=department_b), owner=staff_b)
    EventTaskFactory(
        event=EventFactory(department=department_a), owner=staff_a, status=TaskStatus.DONE
    )
    assert list(my_tasks(staff_a)) == [mine_soon, mine_late]
    assert my_tasks_due_this_week(staff_a, today=TODAY) == 2


def test_my_tasks_page_highlights_overdue(staff_a_client, staff_a):
    today = timezone.localdate()
    EventTaskFactory(
        event=EventFactory(department=staff_a.department),
        owner=staff_a,
        title="逾期任务",
        due_on=today - dt.timedelta(days=1),
    )
    EventTaskFactory(
        event=EventFactory(department=staff_a.department),
        owner=staff_a,
        title="明天的任务",
        due_on=today + dt.timedelta(days=1),
    )
    page = staff_a_client.get("/events/my-tasks/").content.decode()
    overdue_row = page[page.index('class="table-danger overdue"') :][:300]
    assert "逾期任务" in overdue_row
    assert page.count("table-danger overdue") == 1 and "明天的任务" in page


def test_setting_a_task_done_from_my_tasks(staff_a_client, staff_a):
    task = EventTaskFactory(event=EventFactory(department=staff_a.department), owner=staff_a)
    response = staff_a_client.post(
        f"/events/tasks/{task.pk}/status/", {"status": "done", "next": "/events/my-tasks/"}
    )
    assert response.status_code == 302 and response["Location"] == "/events/my-tasks/"
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.completed_at is not None
