"""Bulk actions on a selection of customers from the list page: tags and relationship
manager.

Each takes an already scoped queryset (``customers.selectors.selected_customers``) and walks
it in batches of ids by primary key, so a selection of a million customers never sits in
memory and a change that removes rows from the filter (e.g. assigning a manager while
filtering "no manager") cannot skip any. Every customer changed gets one audit entry.
"""

from collections.abc import Iterator

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from carecrm.core.audit import audit_record_many
from carecrm.core.models import AuditAction
from customers.models import Customer, Tag

BATCH_SIZE = 2000
TagLink = Customer.tags.through


def customer_id_batches(customers: QuerySet[Customer], *, size: int = BATCH_SIZE) -> Iterator[list]:
    """Ids of ``customers`` in ascending batches, each read by a fresh seek past the last."""
    ids = customers.order_by("pk").values_list("pk", flat=True)
    last = 0
    while True:
        batch = list(ids.filter(pk__gt=last)[:size])
        if not batch:
            return
        yield batch
        if len(batch) < size:
            return
        last = batch[-1]


def _require_change_permission(user) -> None:
    if not user.has_perm("customers.change_customer"):
        raise PermissionDenied(_("You may not change customers."))


def tag_for_name(name: str) -> Tag:
    """The tag of that name, created on first use (names are compared exactly, trimmed)."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("Enter a tag name."))
    if len(name) > Tag._meta.get_field("name").max_length:
        raise ValidationError(_("A tag name has at most 50 characters."))
    tag, _created = Tag.objects.get_or_create(name=name)
    return tag


@transaction.atomic
def customer_tags_add(*, customers: QuerySet[Customer], tag: Tag, user, request=None) -> int:
    """Give every selected customer ``tag``; returns how many did not have it yet."""
    _require_change_permission(user)
    added = 0
    for batch in customer_id_batches(customers):
        already = set(
            TagLink.objects.filter(tag=tag, customer_id__in=batch).values_list(
                "customer_id", flat=True
            )
        )
        new_ids = [pk for pk in batch if pk not in already]
        TagLink.objects.bulk_create(
            [TagLink(customer_id=pk, tag_id=tag.pk) for pk in new_ids],
            batch_size=BATCH_SIZE,
            ignore_conflicts=True,
        )
        audit_record_many(
            actor=user,
            action=AuditAction.CHANGE,
            customer_ids=new_ids,
            detail={"tag_added": tag.name},
            request=request,
        )
        added += len(new_ids)
    return added


@transaction.atomic
def customer_tags_remove(*, customers: QuerySet[Customer], tag: Tag, user, request=None) -> int:
    """Take ``tag`` off every selected customer; returns how many had it."""
    _require_change_permission(user)
    removed = 0
    for batch in customer_id_batches(customers):
        links = TagLink.objects.filter(tag=tag, customer_id__in=batch)
        tagged_ids = list(links.values_list("customer_id", flat=True))
        links.delete()
        audit_record_many(
            actor=user,
            action=AuditAction.CHANGE,
            customer_ids=tagged_ids,
            detail={"tag_removed": tag.name},
            request=request,
        )
        removed += len(tagged_ids)
    return removed


@transaction.atomic
def customer_assign_manager(*, customers: QuerySet[Customer], manager, user, request=None) -> int:
    """Make ``manager`` (or nobody, for ``None``) the relationship manager of every selected
    customer; returns how many changed.

    A manager looks after customers of their own department only (care programme §4). This is
    the one place a manager is assigned, so the cap on VIPs per manager (§4: at most 50)
    belongs here too when VIP management lands.
    """
    _require_change_permission(user)
    if manager is not None:
        if not manager.is_active or manager.department_id is None:
            raise ValidationError(
                _(
                    "%(manager)s cannot manage customers: the account is inactive or has no "
                    "department."
                )
                % {"manager": manager}
            )
        if customers.exclude(department_id=manager.department_id).exists():
            raise ValidationError(
                _(
                    "%(manager)s works in %(department)s, but some of the selected customers "
                    "belong to another department. Narrow the selection to %(department)s."
                )
                % {"manager": manager, "department": manager.department}
            )
    changed = 0
    now = timezone.now()
    for batch in customer_id_batches(customers):
        to_change = list(
            Customer.objects.filter(pk__in=batch)
            .exclude(relationship_manager=manager)
            .values_list("pk", flat=True)
        )
        Customer.objects.filter(pk__in=to_change).update(
            relationship_manager=manager, updated_at=now
        )
        audit_record_many(
            actor=user,
            action=AuditAction.CHANGE,
            customer_ids=to_change,
            detail={"relationship_manager": manager.pk if manager else None},
            request=request,
        )
        changed += len(to_change)
    return changed
