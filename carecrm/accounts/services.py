"""Writing users, their roles and departments.

``user_create`` and ``user_set_role`` are the plumbing (demo data, benchmarks and test
factories use them, unaudited). What an administrator does on the user pages goes through
the ``user_add`` … ``department_delete`` functions below: each checks the rules (an admin
never deactivates or demotes themselves, the last active admin stays), and writes one audit
row per change with what it was before and after (``carecrm.core.audit``)."""

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from carecrm.accounts.models import Department, Role, User
from carecrm.accounts.selectors import (
    active_admins_for_update,
    department_counts,
    user_snapshot,
)
from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    role: Role | str,
    department: Department | None = None,
    display_name: str = "",
    email: str = "",
    phone: str = "",
) -> User:
    """Create a user in exactly one role group. Admins also get Django-admin access."""
    role = Role(role)
    user = User(
        username=username,
        department=department,
        display_name=display_name,
        email=email,
        phone=phone,
        is_staff=role == Role.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user_set_role(user=user, role=role)
    return user


@transaction.atomic
def user_set_role(*, user: User, role: Role | str) -> None:
    """Put ``user`` in exactly the group of ``role`` (the previous role's group is left).
    A superuser who is given another role stops being one: the role is the group."""
    role = Role(role)
    role_names = [r.value for r in Role]
    user.groups.remove(*Group.objects.filter(name__in=role_names))
    user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    user.is_staff = role == Role.ADMIN
    fields = ["is_staff"]
    if role != Role.ADMIN and user.is_superuser:
        user.is_superuser = False
        fields.append("is_superuser")
    user.save(update_fields=fields)
    user.__dict__.pop("role", None)


# --- what administrators do on the user pages ------------------------------------------

EVENT_CREATED = "user_created"
EVENT_INVITED = "user_invited"
EVENT_PROFILE = "profile_changed"
EVENT_ROLE = "role_changed"
EVENT_DEPARTMENT = "department_moved"
EVENT_RESET_SENT = "password_reset_sent"
EVENT_PASSWORD_SET = "password_set"  # noqa: S105 (an event name)
EVENT_DEACTIVATED = "deactivated"
EVENT_REACTIVATED = "reactivated"
EVENT_DEPARTMENT_CREATED = "department_created"
EVENT_DEPARTMENT_CHANGED = "department_changed"
EVENT_DEPARTMENT_DELETED = "department_deleted"


def _audit(actor, action, obj, event: str, before: dict, after: dict, request=None) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=obj,
        detail={"event": event, "before": before, "after": after},
        request=request,
    )


def _needs_department(role: Role, department: Department | None) -> None:
    if role != Role.ADMIN and department is None:
        raise ValidationError(
            {
                "department": _(
                    "Staff and managers need a department: it decides which customers they see."
                )
            }
        )


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error


def _set_password_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("set_password", kwargs={"uidb64": uid, "token": token})
    return settings.SITE_URL.rstrip("/") + path


def _send_link(user: User, *, invitation: bool, actor: User) -> None:
    """Email ``user`` a one-time link to set their password (the reset-token machinery of
    Django: it stops working once the password is set, or after PASSWORD_RESET_TIMEOUT)."""
    if not user.email:
        raise ValidationError({"email": _("An email address is needed to send the link.")})
    context = {
        "user": user,
        "actor": actor,
        "link": _set_password_link(user),
        "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        "login_url": settings.SITE_URL.rstrip("/") + reverse("login"),
    }
    if invitation:
        subject = _("You are invited to CareCRM")
        body = render_to_string("accounts/email/invitation.txt", context)
    else:
        subject = _("Set a new CareCRM password")
        body = render_to_string("accounts/email/password_reset.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except OSError as error:  # SMTPException is an OSError too
        raise ValidationError(
            _("The email could not be sent (%(error)s); nothing was changed.") % {"error": error}
        ) from error


@transaction.atomic
def user_add(
    *,
    actor: User,
    username: str,
    role: Role | str,
    department: Department | None,
    display_name: str = "",
    email: str = "",
    phone: str = "",
    password: str | None = None,
    invite: bool = False,
    request=None,
) -> User:
    """An administrator creates a user: with an initial password, or (``invite``) without
    one, emailing a link to set it. Either way one audit row records the new account."""
    role = Role(role)
    _needs_department(role, department)
    if invite and not email:
        raise ValidationError({"email": _("An email address is needed to send the invitation.")})
    if not invite:
        if not password:
            raise ValidationError({"password": _("Set an initial password or send an invitation.")})
        _validate_password(
            password, User(username=username, email=email, display_name=display_name)
        )
    user = user_create(
        username=username,
        password=None if invite else password,
        role=role,
        department=department,
        display_name=display_name,
        email=email,
        phone=phone,
    )
    event = EVENT_INVITED if invite else EVENT_CREATED
    _audit(actor, AuditAction.CREATE, user, event, {}, user_snapshot(user), request)
    if invite:
        _send_link(user, invitation=True, actor=actor)
    return user


def _refuse_removing_an_admin(actor: User, user: User, message_self: str) -> None:
    """``user`` is about to stop being an active admin: not oneself, not the last one."""
    if not user.is_admin_role or not user.is_active:
        return
    if user.pk == getattr(actor, "pk", None):
        raise ValidationError(message_self)
    if [u.pk for u in active_admins_for_update()] == [user.pk]:
        raise ValidationError(
            _(
                "%(name)s is the last active administrator: make someone else an "
                "administrator first."
            )
            % {"name": user}
        )


@transaction.atomic
def user_update(
    *,
    actor: User,
    user: User,
    display_name: str,
    email: str,
    phone: str,
    role: Role | str,
    department: Department | None,
    request=None,
) -> list[str]:
    """Change a user's name and contact details, role and department; one audit row per
    kind of change. Returns the events recorded (empty when nothing changed)."""
    role = Role(role)
    user = User.objects.select_for_update().get(pk=user.pk)
    before = user_snapshot(user)
    events = []
    if role != before["role"] and role != Role.ADMIN:
        _refuse_removing_an_admin(
            actor, user, _("You cannot take away your own administrator role.")
        )
    _needs_department(role, department)

    profile_before = {k: before[k] for k in ("display_name", "email", "phone")}
    profile_after = {"display_name": display_name, "email": email, "phone": phone}
    if profile_after != profile_before:
        user.display_name, user.email, user.phone = display_name, email, phone
        user.full_clean(exclude=["password"])
        user.save(update_fields=["display_name", "email", "phone"])
        _audit(
            actor, AuditAction.CHANGE, user, EVENT_PROFILE, profile_before, profile_after, request
        )
        events.append(EVENT_PROFILE)
    if role != before["role"]:
        user_set_role(user=user, role=role)
        _audit(
            actor,
            AuditAction.CHANGE,
            user,
            EVENT_ROLE,
            {"role": before["role"]},
            {"role": role.value},
            request,
        )
        events.append(EVENT_ROLE)
    new_department_id = department.pk if department else None
    if new_department_id != before["department_id"]:
        user.department = department
        user.save(update_fields=["department"])
        after = user_snapshot(user)
        _audit(
            actor,
            AuditAction.CHANGE,
            user,
            EVENT_DEPARTMENT,
            {k: before[k] for k in ("department_id", "department")},
            {k: after[k] for k in ("department_id", "department")},
            request,
        )
        events.append(EVENT_DEPARTMENT)
    return events


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool, request=None) -> bool:
    """Deactivate (they can no longer log in, their sessions and API tokens stop working)
    or reactivate a user. Returns whether anything changed."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active == active:
        return False
    if not active:
        if user.pk == getattr(actor, "pk", None):
            raise ValidationError(_("You cannot deactivate yourself."))
        _refuse_removing_an_admin(actor, user, _("You cannot deactivate yourself."))
    user.is_active = active
    user.save(update_fields=["is_active"])
    event = EVENT_REACTIVATED if active else EVENT_DEACTIVATED
    _audit(
        actor,
        AuditAction.CHANGE,
        user,
        event,
        {"is_active": not active},
        {"is_active": active},
        request,
    )
    return True


@transaction.atomic
def user_send_password_link(*, actor: User, user: User, request=None) -> None:
    """Email the user a one-time link to choose a new password (the old one keeps working
    until they do)."""
    _audit(actor, AuditAction.CHANGE, user, EVENT_RESET_SENT, {}, {"email": user.email}, request)
    _send_link(user, invitation=False, actor=actor)


@transaction.atomic
def user_set_password(*, actor: User, user: User, password: str, request=None) -> None:
    """Set a new password for the user (validated like any other); their API tokens
    issued before stop working (``User.set_password``)."""
    _validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password", "password_changed_at"])
    _audit(actor, AuditAction.CHANGE, user, EVENT_PASSWORD_SET, {}, {}, request)


# --- departments -----------------------------------------------------------------------


def _department_snapshot(department: Department) -> dict:
    return {"name": department.name, "code": department.code, "region": department.region}


@transaction.atomic
def department_save(
    *,
    actor: User,
    department: Department | None,
    name: str,
    code: str,
    region: str = "",
    request=None,
) -> Department:
    """Create a department (``department=None``) or rename it / change its code or region."""
    creating = department is None
    department = (
        Department() if creating else Department.objects.select_for_update().get(pk=department.pk)
    )
    before = {} if creating else _department_snapshot(department)
    department.name, department.code, department.region = name, code, region
    department.full_clean()
    after = _department_snapshot(department)
    if not creating and before == after:
        return department
    department.save()
    _audit(
        actor,
        AuditAction.CREATE if creating else AuditAction.CHANGE,
        department,
        EVENT_DEPARTMENT_CREATED if creating else EVENT_DEPARTMENT_CHANGED,
        before,
        after,
        request,
    )
    return department


@transaction.atomic
def department_delete(*, actor: User, department: Department, request=None) -> None:
    """Delete an empty department: no members, no customers, nothing else filed under it."""
    department = Department.objects.select_for_update().get(pk=department.pk)
    counts = department_counts(department)
    if counts["members"] or counts["customers"]:
        raise ValidationError(
            _(
                "%(name)s is not empty (members: %(members)d, customers: %(customers)d): "
                "move them to another department first."
            )
            % {"name": department.name, **counts}
        )
    _audit(
        actor,
        AuditAction.CHANGE,
        department,
        EVENT_DEPARTMENT_DELETED,
        _department_snapshot(department),
        {},
        request,
    )
    try:
        with transaction.atomic():
            department.delete()
    except (ProtectedError, RestrictedError) as error:
        raise ValidationError(
            _(
                "%(name)s still has records filed under it (campaigns, events, budgets …): "
                "it cannot be deleted."
            )
            % {"name": department.name}
        ) from error
