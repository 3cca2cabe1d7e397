"""Administrators manage users and departments in the app (``/settings/users/``,
``/settings/departments/``): what the services record and refuse, the invitation that
really travels over SMTP, and who may open the pages."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from carecrm.accounts.models import Department, Role, User
from carecrm.accounts.services import (
    department_delete,
    department_save,
    user_add,
    user_send_password_link,
    user_set_active,
    user_update,
)
from carecrm.accounts.tests.factories import TEST_PASSWORD, DepartmentFactory, UserFactory
from carecrm.core.models import AuditEntry
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-unusual-passphrase-7"


def _groups(user) -> list[str]:
    return sorted(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


def _audit(user, event: str) -> AuditEntry:
    return AuditEntry.objects.get(
        object_type="accounts.user", object_id=str(user.pk), detail__event=event
    )


def _update(actor, user, **changes):
    values = {
        "display_name": user.display_name,
        "email": user.email,
        "phone": user.phone,
        "role": user.role,
        "department": user.department,
        **changes,
    }
    return user_update(actor=actor, user=user, **values)


def _log_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


# --- services ---------------------------------------------------------------------------


def test_a_user_created_with_a_role_and_department_is_in_that_group_and_audited(
    admin_user, department_a
):
    user = user_add(
        actor=admin_user,
        username="wang.fang",
        display_name="王芳",
        email="wang.fang@example.cn",
        phone="13800138000",
        department=department_a,
        role=Role.MANAGER,
        password=NEW_PASSWORD,
    )

    user.refresh_from_db()
    assert _groups(user) == ["manager"]
    assert user.department == department_a and user.phone == "13800138000"
    assert not user.is_superuser and not user.is_staff
    assert user.check_password(NEW_PASSWORD)
    entry = _audit(user, "user_created")
    assert entry.actor == admin_user and entry.action == "create"
    assert entry.detail["after"]["role"] == "manager"
    assert entry.detail["after"]["department"] == department_a.name
    assert _log_in(Client(), "wang.fang", NEW_PASSWORD).status_code == 302


def test_a_weak_initial_password_is_refused_with_the_validators_reasons(admin_user, department_a):
    with pytest.raises(ValidationError) as refused:
        user_add(
            actor=admin_user,
            username="li.lei",
            department=department_a,
            role=Role.STAFF,
            password="qwertyuiopas",
        )
    assert "password" in refused.value.message_dict
    assert not User.objects.filter(username="li.lei").exists()


def test_staff_and_managers_need_a_department_admins_do_not(admin_user):
    with pytest.raises(ValidationError) as refused:
        user_add(
            actor=admin_user,
            username="nodept",
            department=None,
            role="staff",
            password=NEW_PASSWORD,
        )
    assert "department" in refused.value.message_dict
    admin = user_add(
        actor=admin_user,
        username="second.admin",
        department=None,
        role="admin",
        password=NEW_PASSWORD,
    )
    assert admin.is_admin_role and not admin.is_superuser


def test_a_role_change_replaces_the_group_and_is_audited(admin_user, staff_a):
    assert _update(admin_user, staff_a, role=Role.MANAGER) == ["role_changed"]
    assert _groups(staff_a) == ["manager"]
    assert User.objects.get(pk=staff_a.pk).role == Role.MANAGER

    _update(admin_user, User.objects.get(pk=staff_a.pk), role=Role.ADMIN)
    assert _groups(staff_a) == ["admin"]
    entries = AuditEntry.objects.filter(object_id=str(staff_a.pk), detail__event="role_changed")
    assert sorted((e.detail["before"]["role"], e.detail["after"]["role"]) for e in entries) == [
        ("manager", "admin"),
        ("staff", "manager"),
    ]


def test_moving_department_keeps_the_customers_and_is_audited(
    admin_user, staff_a, department_a, department_b
):
    customer = CustomerFactory(department=department_a, relationship_manager=staff_a)
    assert _update(admin_user, staff_a, department=department_b) == ["department_moved"]

    customer.refresh_from_db()
    assert customer.department == department_a and customer.relationship_manager == staff_a
    entry = _audit(staff_a, "department_moved")
    assert entry.detail["before"]["department"] == department_a.name
    assert entry.detail["after"]["department"] == department_b.name


def test_an_admin_cannot_deactivate_or_demote_themselves(admin_user):
    with pytest.raises(ValidationError, match="yourself"):
        user_set_active(actor=admin_user, user=admin_user, active=False)
    with pytest.raises(ValidationError, match="your own administrator role"):
        _update(admin_user, admin_user, role=Role.STAFF, department=DepartmentFactory())
    admin_user.refresh_from_db()
    assert admin_user.is_active and _groups(admin_user) == ["admin"]


def test_the_last_active_admin_stays(admin_user, staff_a):
    # A script (no actor) or anyone else cannot take away the last administrator ...
    with pytest.raises(ValidationError, match="last active administrator"):
        user_set_active(actor=None, user=admin_user, active=False)
    with pytest.raises(ValidationError, match="last active administrator"):
        _update(None, admin_user, role=Role.MANAGER, department=staff_a.department)
    # ... but once there is another one, either may go.
    other = UserFactory(username="other.admin", role="admin", department=None)
    assert user_set_active(actor=other, user=admin_user, active=False)
    assert not User.objects.get(pk=admin_user.pk).is_active


def test_a_deactivated_user_cannot_log_in_and_their_session_ends(admin_user, staff_a):
    session = Client()
    session.force_login(staff_a)
    assert session.get("/").status_code == 200

    assert user_set_active(actor=admin_user, user=staff_a, active=False)

    assert session.get("/")["Location"].startswith("/accounts/login/")
    refused = _log_in(Client(), "staff_a", TEST_PASSWORD)
    assert refused.status_code == 200 and "_auth_user_id" not in refused.client.session
    assert _audit(staff_a, "deactivated").detail == {
        "event": "deactivated",
        "before": {"is_active": True},
        "after": {"is_active": False},
    }

    assert user_set_active(actor=admin_user, user=staff_a, active=True)
    assert _log_in(Client(), "staff_a", TEST_PASSWORD).status_code == 302
    assert _audit(staff_a, "reactivated")


def _link_in(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https://care\.example\.cn(/accounts/set-password/\S+/)", body).group(1)


def _set_password_through(client, path: str, password: str):
    form = client.get(path, follow=True)
    assert form.status_code == 200 and 'id="set-password-form"' in form.content.decode()
    return client.post(
        form.redirect_chain[-1][0],
        {"new_password1": password, "new_password2": password},
        follow=True,
    )


def test_an_invitation_arrives_by_smtp_and_its_link_sets_the_password(
    smtp_inbox, admin_user, department_a
):
    user = user_add(
        actor=admin_user,
        username="zhao.lei",
        display_name="赵磊",
        email="zhao.lei@example.cn",
        department=department_a,
        role=Role.STAFF,
        invite=True,
    )
    assert not user.has_usable_password()
    assert _audit(user, "user_invited").actor == admin_user

    [(recipients, message)] = smtp_inbox.messages()
    assert recipients == ["zhao.lei@example.cn"]
    assert "zhao.lei" in message.get_body(preferencelist=("plain",)).get_content()
    path = _link_in(message)

    client = Client()
    done = _set_password_through(client, path, NEW_PASSWORD)
    assert 'id="password-set"' in done.content.decode()
    assert _log_in(Client(), "zhao.lei", NEW_PASSWORD).status_code == 302
    # The link works once.
    again = Client().get(path, follow=True)
    assert 'id="invalid-link"' in again.content.decode()


def test_a_reset_link_lets_the_user_choose_a_new_password(smtp_inbox, admin_user, staff_a):
    user_send_password_link(actor=admin_user, user=staff_a)
    [(recipients, message)] = smtp_inbox.messages()
    assert recipients == [staff_a.email]
    _set_password_through(Client(), _link_in(message), NEW_PASSWORD)
    staff_a.refresh_from_db()
    assert staff_a.check_password(NEW_PASSWORD) and staff_a.password_changed_at
    assert _audit(staff_a, "password_reset_sent").actor == admin_user


def test_an_invitation_that_cannot_be_sent_creates_nobody(settings, admin_user, department_a):
    from carecrm.core.testing import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    with pytest.raises(ValidationError, match="could not be sent"):
        user_add(
            actor=admin_user,
            username="nobody",
            email="nobody@example.cn",
            department=department_a,
            role="staff",
            invite=True,
        )
    assert not User.objects.filter(username="nobody").exists()


def test_a_department_is_deleted_only_when_empty(admin_user, staff_a, department_a):
    with pytest.raises(ValidationError, match="not empty"):
        department_delete(actor=admin_user, department=department_a)
    assert Department.objects.filter(pk=department_a.pk).exists()

    empty = department_save(
        actor=admin_user, department=None, name="西北销售部", code="north-west", region="西北"
    )
    department_save(
        actor=admin_user, department=empty, name="西北大区", code="north-west", region="西北"
    )
    department_delete(actor=admin_user, department=empty)
    assert not Department.objects.filter(pk=empty.pk).exists()
    events = list(
        AuditEntry.objects.filter(object_type="accounts.department", object_id=str(empty.pk))
        .order_by("pk")
        .values_list("detail__event", flat=True)
    )
    assert events == ["department_created", "department_changed", "department_deleted"]


# --- pages ------------------------------------------------------------------------------

PAGES = ["/settings/users/", "/settings/users/new/", "/settings/departments/"]


@pytest.mark.parametrize("path", PAGES)
def test_staff_and_managers_are_refused_admins_served(
    path, staff_a_client, manager_a_client, admin_client_user
):
    assert staff_a_client.get(path).status_code == 403
    assert manager_a_client.get(path).status_code == 403
    assert admin_client_user.get(path).status_code == 200


def test_the_list_filters_by_role_department_and_status(
    admin_client_user, staff_a, staff_b, manager_a, department_a
):
    UserFactory(username="gone", department=department_a, is_active=False)
    body = admin_client_user.get("/settings/users/?role=manager").content.decode()
    assert 'data-user="manager_a"' in body and 'data-user="staff_a"' not in body
    assert 'data-role="manager">Manager<' in body

    body = admin_client_user.get(f"/settings/users/?department={department_a.pk}").content.decode()
    assert 'data-user="staff_a"' in body and 'data-user="staff_b"' not in body

    body = admin_client_user.get("/settings/users/?active=inactive").content.decode()
    assert 'data-user="gone"' in body and 'data-user="staff_a"' not in body
    body = admin_client_user.get("/settings/users/?q=staff_b").content.decode()
    assert 'data-user="staff_b"' in body and 'data-user="staff_a"' not in body


def test_the_form_shows_the_password_validators_reasons(admin_client_user, department_a):
    response = admin_client_user.post(
        "/settings/users/new/",
        {
            "username": "short.pw",
            "display_name": "短密码",
            "department": department_a.pk,
            "role": "staff",
            "access": "password",
            "password": "Short-pw1",
            "password_confirm": "Short-pw1",
        },
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    assert not User.objects.filter(username="short.pw").exists()


def test_the_create_form_preselects_the_only_department(admin_client_user, department_a):
    body = admin_client_user.get("/settings/users/new/").content.decode()
    assert re.search(rf'<option value="{department_a.pk}" selected>', body)


def test_the_detail_page_shows_customers_and_the_audit_trail(
    admin_client_user, admin_user, staff_a
):
    CustomerFactory.create_batch(2, department=staff_a.department, relationship_manager=staff_a)
    _update(admin_user, staff_a, role=Role.MANAGER)
    body = admin_client_user.get(f"/settings/users/{staff_a.pk}/").content.decode()
    assert 'id="managed-customers">2<' in body
    assert "Changed the role" in body and "Staff → Manager" in body
    assert "data-confirm=" in body


def test_deactivating_oneself_on_the_page_says_why_not(admin_client_user, admin_user):
    response = admin_client_user.post(
        f"/settings/users/{admin_user.pk}/active/", {"active": "0"}, follow=True
    )
    assert "You cannot deactivate yourself." in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_deleting_a_department_with_members_says_why_not(admin_client_user, staff_a, department_a):
    response = admin_client_user.post(
        f"/settings/departments/{department_a.pk}/delete/", follow=True
    )
    assert "move them to another department first" in response.content.decode()
    assert Department.objects.filter(pk=department_a.pk).exists()


def test_the_settings_menu_holds_users_departments_and_the_brand(admin_client_user):
    body = admin_client_user.get("/").content.decode()
    menu = re.search(r'data-nav-group="settings".*?</ul>', body, re.S).group(0)
    assert re.findall(r'data-nav="([^"]+)"', menu) == ["users", "departments", "brand"]


def test_moving_a_user_on_the_page_says_what_they_see_now(
    admin_client_user, staff_a, department_a, department_b
):
    CustomerFactory(department=department_a, relationship_manager=staff_a)
    response = admin_client_user.post(
        f"/settings/users/{staff_a.pk}/edit/",
        {
            "display_name": staff_a.display_name,
            "email": staff_a.email,
            "phone": "",
            "department": department_b.pk,
            "role": "staff",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "Their 1 customers stay where they are" in body
    assert f"now see {department_b.name}&#x27;s records instead of {department_a.name}" in body
    staff_a.refresh_from_db()
    assert staff_a.department == department_b


def test_a_manager_moved_without_a_department_is_refused_on_the_page(admin_client_user, manager_a):
    response = admin_client_user.post(
        f"/settings/users/{manager_a.pk}/edit/",
        {"display_name": "经理", "email": "", "phone": "", "department": "", "role": "manager"},
    )
    assert response.status_code == 400
    assert "Staff and managers need a department" in response.content.decode()
    manager_a.refresh_from_db()
    assert manager_a.department is not None


def test_departments_are_listed_with_counts_created_and_renamed(
    admin_client_user, staff_a, department_a
):
    CustomerFactory.create_batch(3, department=department_a)
    body = admin_client_user.get("/settings/departments/").content.decode()
    block = re.search(r'data-department="east-sales".*?</li>', body, re.S).group(0)
    assert "1 member" in block and "3 customers" in block

    created = admin_client_user.post(
        "/settings/departments/", {"name": "西南销售部", "code": "south-west", "region": "西南"}
    )
    assert created.status_code == 302
    department = Department.objects.get(code="south-west")
    duplicate = admin_client_user.post(
        "/settings/departments/", {"name": "西南销售部", "code": "other", "region": ""}
    )
    assert duplicate.status_code == 400 and "already exists" in duplicate.content.decode()

    admin_client_user.post(
        f"/settings/departments/{department.pk}/",
        {"name": "西南大区", "code": "south-west", "region": "西南"},
    )
    department.refresh_from_db()
    assert department.name == "西南大区"
    assert (
        admin_client_user.post(f"/settings/departments/{department.pk}/delete/").status_code == 302
    )
    assert not Department.objects.filter(pk=department.pk).exists()


def test_setting_a_weak_password_on_the_page_says_why(admin_client_user, staff_a):
    response = admin_client_user.post(
        f"/settings/users/{staff_a.pk}/password/",
        {"action": "set", "password": "qwertyuiopas", "password_confirm": "qwertyuiopas"},
    )
    assert response.status_code == 400
    assert "walk along the keyboard" in response.content.decode()
    staff_a.refresh_from_db()
    assert staff_a.check_password(TEST_PASSWORD)

    admin_client_user.post(
        f"/settings/users/{staff_a.pk}/password/",
        {"action": "set", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert _log_in(Client(), "staff_a", NEW_PASSWORD).status_code == 302
    assert _audit(staff_a, "password_set").detail == {
        "event": "password_set",
        "before": {},
        "after": {},
    }


def test_the_reset_link_button_emails_the_user(smtp_inbox, admin_client_user, staff_a):
    response = admin_client_user.post(
        f"/settings/users/{staff_a.pk}/password/", {"action": "send_link"}, follow=True
    )
    assert f"was sent to {staff_a.email}" in response.content.decode()
    [(recipients, _message)] = smtp_inbox.messages()
    assert recipients == [staff_a.email]
