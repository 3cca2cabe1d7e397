"""Static lists: hand-picked sets of customers a department keeps (e.g. "2025 banquet
guests"), filled from the customer list's bulk action."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from customers.models import Customer, StaticList
from customers.services.bulk import BATCH_SIZE, customer_id_batches

Membership = StaticList.customers.through


def _require(user, codename: str) -> None:
    if not user.has_perm(f"customers.{codename}"):
        raise PermissionDenied(_("You may not change static lists."))


def _check_unique_name(*, name: str, department_id: int, exclude_pk: int | None = None) -> None:
    clash = StaticList.objects.filter(department_id=department_id, name=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError(
            {"name": _("This department already has a list named “%(name)s”.") % {"name": name}}
        )


@transaction.atomic
def static_list_create(*, name: str, description: str = "", department, user) -> StaticList:
    _require(user, "add_staticlist")
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Enter a name for the list.")})
    _check_unique_name(name=name, department_id=department.pk)
    return StaticList.objects.create(
        name=name, description=description.strip(), department=department, created_by=user
    )


@transaction.atomic
def static_list_update(*, static_list: StaticList, name: str, description: str, user) -> StaticList:
    _require(user, "change_staticlist")
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Enter a name for the list.")})
    _check_unique_name(
        name=name, department_id=static_list.department_id, exclude_pk=static_list.pk
    )
    static_list.name = name
    static_list.description = description.strip()
    static_list.save(update_fields=["name", "description"])
    return static_list


@transaction.atomic
def static_list_delete(*, static_list: StaticList, user) -> None:
    """Deletes the list only; its customers stay untouched."""
    _require(user, "delete_staticlist")
    static_list.delete()


@transaction.atomic
def static_list_add_customers(
    *, static_list: StaticList, customers: QuerySet[Customer], user
) -> int:
    """Add the selected customers; returns how many were not on the list yet."""
    _require(user, "change_staticlist")
    added = 0
    for batch in customer_id_batches(customers):
        present = set(
            Membership.objects.filter(staticlist=static_list, customer_id__in=batch).values_list(
                "customer_id", flat=True
            )
        )
        new_ids = [pk for pk in batch if pk not in present]
        Membership.objects.bulk_create(
            [Membership(staticlist_id=static_list.pk, customer_id=pk) for pk in new_ids],
            batch_size=BATCH_SIZE,
            ignore_conflicts=True,
        )
        added += len(new_ids)
    return added


@transaction.atomic
def static_list_remove_customers(
    *, static_list: StaticList, customers: QuerySet[Customer], user
) -> int:
    """Take the selected customers off the list; returns how many were on it."""
    _require(user, "change_staticlist")
    removed = 0
    for batch in customer_id_batches(customers):
        removed += Membership.objects.filter(
            staticlist=static_list, customer_id__in=batch
        ).delete()[0]
    return removed
