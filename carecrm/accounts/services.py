from django.contrib.auth.models import Group
from django.db import transaction

from carecrm.accounts.models import Department, Role, User


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    role: Role | str,
    department: Department | None = None,
    display_name: str = "",
    email: str = "",
) -> User:
    """Create a user in exactly one role group. Admins also get Django-admin access."""
    role = Role(role)
    user = User(
        username=username,
        department=department,
        display_name=display_name,
        email=email,
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
    role = Role(role)
    role_names = [r.value for r in Role]
    user.groups.remove(*Group.objects.filter(name__in=role_names))
    user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    user.is_staff = role == Role.ADMIN
    user.save(update_fields=["is_staff"])
    user.__dict__.pop("role", None)
