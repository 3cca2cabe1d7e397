"""Notifications any app may send: the bell shows the unread count, the list shows the
user's own notices only, opening one marks it read and follows its link."""

import pytest
from django.test import Client
from django.utils import translation

from carecrm.accounts.tests.factories import UserFactory
from carecrm.core.models import Notification
from carecrm.core.notifications.selectors import unread_count
from carecrm.core.notifications.services import (
    notification_create,
    notification_email,
    notification_mark_read,
    notifications_mark_all_read,
)

pytestmark = pytest.mark.django_db


def test_a_keyed_notice_is_made_once(staff_a):
    first = notification_create(recipient=staff_a, kind="test", title="一", key="k:1")
    again = notification_create(recipient=staff_a, kind="test", title="二", key="k:1")
    assert first.pk == again.pk
    assert Notification.objects.filter(recipient=staff_a).count() == 1
    assert unread_count(staff_a) == 1


def test_only_the_recipient_marks_it_read(staff_a, manager_a):
    notice = notification_create(recipient=staff_a, kind="test", title="一")
    with pytest.raises(PermissionError):
        notification_mark_read(notification=notice, user=manager_a)
    notification_mark_read(notification=notice, user=staff_a)
    assert unread_count(staff_a) == 0


def test_the_bell_counts_unread_and_opening_marks_read_and_follows_the_link(
    staff_a, staff_a_client
):
    notice = notification_create(
        recipient=staff_a, kind="test", title="活动已批准", body="做得好", url="/campaigns/"
    )
    notification_create(recipient=staff_a, kind="test", title="另一条")
    with translation.override("zh-hans"):
        page = staff_a_client.get("/campaigns/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert 'id="notification-count" data-unread="2"' in text
    assert "活动已批准" in text

    response = staff_a_client.get(f"/notifications/{notice.pk}/")
    assert response.status_code == 302 and response["Location"] == "/campaigns/"
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert unread_count(staff_a) == 1

    listing = staff_a_client.get("/notifications/").content.decode()
    assert "做得好" in listing and 'data-read="1"' in listing and 'data-read="0"' in listing
    staff_a_client.post("/notifications/read-all/")
    assert unread_count(staff_a) == 0
    assert 'id="notification-count"' not in staff_a_client.get("/notifications/").content.decode()


def test_nobody_opens_or_lists_another_users_notice(staff_a, department_a):
    notice = notification_create(recipient=staff_a, kind="test", title="私人通知")
    colleague = UserFactory(username="colleague", role="staff", department=department_a)
    client = Client()
    client.force_login(colleague)
    assert client.get(f"/notifications/{notice.pk}/").status_code == 404
    assert "私人通知" not in client.get("/notifications/").content.decode()
    notice.refresh_from_db()
    assert notice.read_at is None


def test_an_outside_link_is_not_followed(staff_a, staff_a_client):
    notice = notification_create(
        recipient=staff_a, kind="test", title="外链", url="https://evil.example/"
    )
    response = staff_a_client.get(f"/notifications/{notice.pk}/")
    assert response["Location"] == "/notifications/"


def test_the_email_goes_once_through_smtp(staff_a, smtp_inbox):
    notice = notification_create(
        recipient=staff_a, kind="test", title="审批结果", body="请修改", url="/campaigns/1/"
    )
    assert notification_email(notification_id=notice.pk) is True
    assert notification_email(notification_id=notice.pk) is False
    [(to, mail)] = smtp_inbox.messages()
    assert to == [staff_a.email] and mail["Subject"] == "审批结果"
    assert "请修改" in mail.get_content()
    assert "https://care.example.cn/campaigns/1/" in mail.get_content()


def test_no_email_when_mail_is_not_configured(staff_a, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = ""
    notice = notification_create(recipient=staff_a, kind="test", title="审批结果")
    assert notification_email(notification_id=notice.pk) is False
    notice.refresh_from_db()
    assert notice.emailed_at is None


def test_the_bell_costs_one_query(staff_a, django_assert_num_queries):
    from carecrm.core.notifications.selectors import bell

    for n in range(7):
        notice = notification_create(recipient=staff_a, kind="test", title=f"通知{n}")
    notification_mark_read(notification=notice, user=staff_a)
    with django_assert_num_queries(1):
        unread, latest = bell(staff_a)
    assert unread == 6 and len(latest) == 5 and latest[0].title == "通知6"
    notifications_mark_all_read(user=staff_a)
    assert bell(staff_a)[0] == 0
