"""Which permissions each role holds.

Groups are created by a data migration; their permissions are re-synced after every
``migrate``. Each app names its own models' permissions per role with
``carecrm.core.registry.register_role_permissions`` in its ``AppConfig.ready`` (accounts
registers its own below); admins hold every permission. Codenames that do not exist are
skipped.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from carecrm.accounts.models import Role
from carecrm.core.registry import (
    READ_ACTIONS,
    model_permissions,
    register_role_permissions,
    role_permissions,
)


def register() -> None:
    """Accounts' own share: staff and managers see departments and users."""
    for role in (Role.STAFF, Role.MANAGER):
        register_role_permissions(
            role, model_permissions("accounts", {"department": READ_ACTIONS, "user": READ_ACTIONS})
        )


def _permission_filter(names: Iterable[str]) -> Q:
    codenames_by_app: dict[str, list[str]] = defaultdict(list)
    for name in names:
        app_label, codename = name.split(".", 1)
        codenames_by_app[app_label].append(codename)
    query = Q(pk__in=[])
    for app_label, codenames in codenames_by_app.items():
        query |= Q(content_type__app_label=app_label, codename__in=codenames)
    return query


def role_permission_set(role: str):
    """The permissions the registrations give ``role`` (admins: all)."""
    if role == Role.ADMIN:
        return Permission.objects.all()
    return Permission.objects.filter(_permission_filter(role_permissions.get(str(role), ())))


def sync_role_permissions(**kwargs) -> None:
    """Give each role group exactly its registered permissions (admins: all)."""
    if not Permission.objects.exists():
        return
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set(role_permission_set(role))
