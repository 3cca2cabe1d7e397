"""Reading users and departments for the administrators' pages.

A user's role is their group (``Role``); a superuser counts as an administrator. The
customer counts read the customers' reverse relations (``Department.customers``,
``User.managed_customers``) by name, so nothing here imports the customers app above."""

from dataclasses import dataclass

from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from carecrm.accounts.models import Department, Role, User
from carecrm.core.models import AuditEntry

Membership = User.groups.through


def _in_group(name: str) -> Exists:
    return Exists(Membership.objects.filter(user_id=OuterRef("pk"), group__name=name))


def _admin_q() -> Q:
    return Q(is_superuser=True) | Q(_in_group(Role.ADMIN.value))


def with_role(queryset: QuerySet) -> QuerySet:
    """Annotate ``role_key`` (``admin``, ``manager`` or ``staff``) the way ``User.role``
    decides it, in SQL."""
    return queryset.annotate(
        role_key=Case(
            When(_admin_q(), then=Value(Role.ADMIN.value)),
            When(_in_group(Role.MANAGER.value), then=Value(Role.MANAGER.value)),
            default=Value(Role.STAFF.value),
        )
    )


ACTIVE_CHOICES = (
    ("active", pgettext_lazy("account", "Active")),
    ("inactive", gettext_lazy("Deactivated")),
)


def user_list(
    *, query: str = "", department: Department | None = None, role: str = "", active: str = ""
) -> QuerySet:
    users = with_role(User.objects.select_related("department"))
    if query:
        users = users.filter(
            Q(username__icontains=query)
            | Q(display_name__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
            | Q(phone__icontains=query)
        )
    if department is not None:
        users = users.filter(department=department)
    if role in Role.values:
        users = users.filter(role_key=role)
    if active == "active":
        users = users.filter(is_active=True)
    elif active == "inactive":
        users = users.filter(is_active=False)
    return users.order_by("-is_active", "username")


def label_roles(users) -> list:
    """The page's users with ``role_label`` (from their ``role_key``) beside each."""
    users = list(users)
    for user in users:
        user.role_label_text = Role(user.role_key).label
    return users


def active_admins_for_update() -> list[User]:
    """The active administrators, their rows locked until the transaction ends, so two
    admins demoting each other at once cannot leave nobody."""
    admins = User.objects.filter(Q(is_active=True) & _admin_q()).values("pk")
    return list(User.objects.select_for_update().filter(pk__in=admins).order_by("pk"))


def user_snapshot(user: User) -> dict:
    """What the audit trail records of a user, before and after a change."""
    user.__dict__.pop("role", None)
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "phone": user.phone,
        "role": str(Role(user.role).value),
        "department_id": user.department_id,
        "department": user.department.name if user.department_id else "",
        "is_active": user.is_active,
    }


def department_counts(department: Department) -> dict:
    return {
        "members": User.objects.filter(department=department).count(),
        "customers": department.customers.count(),
    }


def departments_with_counts() -> QuerySet:
    """Every department with its members (active ones apart) and customers, in one query."""
    return Department.objects.annotate(
        member_count=Count("members", distinct=True),
        active_member_count=Count("members", filter=Q(members__is_active=True), distinct=True),
        customer_count=Count("customers", distinct=True),
    ).order_by("name")


def department_choices() -> QuerySet:
    return Department.objects.order_by("name")


def user_for_admin(pk: int) -> User | None:
    return with_role(User.objects.select_related("department")).filter(pk=pk).first()


def managed_customer_count(user: User) -> int:
    """Customers whose relationship manager the user is."""
    return user.managed_customers.count()


def department_customer_count(department: Department | None) -> int:
    return department.customers.count() if department is not None else 0


# --- the audit trail of a user ---------------------------------------------------------

EVENT_LABELS = {
    "user_created": gettext_lazy("Created the user"),
    "user_invited": gettext_lazy("Invited the user by email"),
    "profile_changed": gettext_lazy("Changed name, email or phone"),
    "role_changed": gettext_lazy("Changed the role"),
    "department_moved": gettext_lazy("Moved to another department"),
    "password_reset_sent": gettext_lazy("Sent a link to set a new password"),
    "password_set": gettext_lazy("Set a new password"),
    "deactivated": gettext_lazy("Deactivated"),
    "reactivated": gettext_lazy("Reactivated"),
    "department_created": gettext_lazy("Created the department"),
    "department_changed": gettext_lazy("Changed the department"),
    "department_deleted": gettext_lazy("Deleted the department"),
}
FIELD_LABELS = {
    "username": gettext_lazy("Username"),
    "display_name": gettext_lazy("Full name"),
    "email": gettext_lazy("Email"),
    "phone": gettext_lazy("Phone"),
    "role": gettext_lazy("Role"),
    "department": gettext_lazy("Department"),
    "is_active": pgettext_lazy("account", "Active"),
    "name": gettext_lazy("Name"),
    "code": gettext_lazy("Code"),
    "region": gettext_lazy("Region"),
}


@dataclass(frozen=True)
class AuditLine:
    at: object
    actor: object
    label: str
    changes: list  # (field label, before, after)


def _shown(field: str, value) -> str:
    if value in (None, ""):
        return "—"
    if field == "role":
        return str(Role(value).label) if value in Role.values else str(value)
    if field == "is_active":
        return _("Yes") if value else _("No")
    return str(value)


def describe_entry(entry: AuditEntry) -> AuditLine:
    detail = entry.detail or {}
    before, after = detail.get("before") or {}, detail.get("after") or {}
    changes = [
        (FIELD_LABELS[field], _shown(field, before.get(field)), _shown(field, after.get(field)))
        for field in FIELD_LABELS
        if (field in before or field in after) and before.get(field) != after.get(field)
    ]
    label = EVENT_LABELS.get(detail.get("event"), entry.get_action_display())
    return AuditLine(at=entry.at, actor=entry.actor, label=str(label), changes=changes)


def audit_lines_for(obj, limit: int = 20) -> list[AuditLine]:
    entries = AuditEntry.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).select_related("actor")[:limit]
    return [describe_entry(entry) for entry in entries]
