"""Folding a duplicate customer into the record that survives (care programme §1: "merging of
duplicate records"; issue 4: the merge keeps every order, interaction and consent of both).
"""

import json
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from customers.models import (
    ChannelConsent,
    Customer,
    CustomerMerge,
    CustomerStatus,
    VerificationOutcome,
    VerificationTask,
)
from customers.selectors import visible_customers
from customers.services.order_summaries import order_summaries_refresh
from customers.services.related_records import (
    RelatedTable,
    concrete_values,
    customer_related_tables,
)

MERGE_PERMISSION = "customers.merge_customer"

KEEP_SURVIVOR = "survivor"
KEEP_DUPLICATE = "duplicate"
KEEP_BOTH = "both"

# Fields that only make sense together are chosen together (an address is one choice).
MERGE_FIELD_GROUPS: dict[str, tuple] = {
    "name": (gettext_lazy("Name"), ("name",)),
    "kind": (gettext_lazy("Customer kind"), ("kind",)),
    "mobile": (gettext_lazy("Mobile phone"), ("mobile",)),
    "email": (gettext_lazy("Email"), ("email",)),
    "address": (gettext_lazy("Address"), ("province", "city", "district", "street")),
    "birthday": (
        gettext_lazy("Birthday"),
        (
            "birthday",
            "celebrates_lunar_birthday",
            "lunar_birth_month",
            "lunar_birth_day",
            "lunar_birth_leap_month",
        ),
    ),
    "gender": (gettext_lazy("Gender"), ("gender",)),
    "registered_on": (gettext_lazy("Registration date"), ("registered_on",)),
    "source": (gettext_lazy("Source"), ("source",)),
    "industry": (gettext_lazy("Industry"), ("industry",)),
    "region": (gettext_lazy("Region"), ("region",)),
    "preferred_channel": (gettext_lazy("Preferred channel"), ("preferred_channel",)),
    "preferred_categories": (
        gettext_lazy("Preferred product categories"),
        ("preferred_categories",),
    ),
    "wecom_external_id": (gettext_lazy("WeCom external contact ID"), ("wecom_external_id",)),
    "push_token": (gettext_lazy("App push token"), ("push_token",)),
    "department": (gettext_lazy("Department"), ("department",)),
    "relationship_manager": (gettext_lazy("Relationship manager"), ("relationship_manager",)),
    "notes": (gettext_lazy("Notes"), ("notes",)),
}
COMBINABLE_GROUPS = frozenset({"preferred_categories", "notes"})


def customer_merge(
    *,
    survivor: Customer,
    duplicate: Customer,
    field_choices: Mapping[str, str],
    user,
    request=None,
) -> CustomerMerge:
    """Move everything that belongs to ``duplicate`` onto ``survivor`` and retire it.

    ``field_choices`` maps a key of ``MERGE_FIELD_GROUPS`` to ``"survivor"`` (the default),
    ``"duplicate"`` or, for notes and categories, ``"both"``. Rows of every model with a
    foreign key to ``Customer`` move; where a unique constraint forbids two rows for the
    survivor (a consent per channel, a verification per month) the rule below decides and
    the other row stays on the merged record as history.
    """
    if not user.has_perm(MERGE_PERMISSION):
        raise PermissionDenied(_("You may not merge customers."))
    if survivor.pk == duplicate.pk:
        raise ValidationError(_("Choose two different customers to merge."))
    _validate_choices(field_choices)

    with transaction.atomic():
        # Lock both rows in id order so two merges of the same pair cannot interleave.
        locked = {
            c.pk: c
            for c in Customer.objects.select_for_update()
            .filter(pk__in=[survivor.pk, duplicate.pk])
            .order_by("pk")
        }
        if len(locked) != 2:
            raise ValidationError(_("One of the customers no longer exists."))
        survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
        if any(c.status != CustomerStatus.ACTIVE for c in (survivor, duplicate)):
            raise ValidationError(_("Only active customers can be merged."))
        if visible_customers(user).filter(pk__in=[survivor.pk, duplicate.pk]).count() != 2:
            raise PermissionDenied(_("You may only merge customers you can see."))

        snapshot = {
            "customer": concrete_values(duplicate),
            "tags": list(duplicate.tags.values_list("name", flat=True)),
        }
        replaced = _take_chosen_values(survivor, duplicate, field_choices)
        snapshot["survivor_values_replaced"] = replaced

        # Retire the duplicate first: the survivor may take over its mobile number, which
        # only one active customer may hold.
        duplicate.status = CustomerStatus.MERGED
        duplicate.merged_into = survivor
        duplicate.mobile = ""
        duplicate.refresh_derived_contact_fields()
        duplicate.save(update_fields=["status", "merged_into", "mobile", "mobile_last4"])

        survivor.refresh_derived_contact_fields()
        survivor.save()

        moved, kept = _move_related_rows(survivor=survivor, duplicate=duplicate)
        order_summaries_refresh([survivor.pk, duplicate.pk])
        merge = CustomerMerge.objects.create(
            survivor=survivor,
            merged=duplicate,
            merged_snapshot=json.loads(json.dumps(snapshot, cls=DjangoJSONEncoder)),
            moved={"moved": moved, "kept_on_merged": kept},
            merged_by=user,
        )
        detail = {
            "survivor_id": survivor.pk,
            "merged_id": duplicate.pk,
            "fields_from_duplicate": sorted(replaced),
            "moved": {label: len(ids) for label, ids in moved.items()},
        }
        for customer in (survivor, duplicate):
            audit_record(
                actor=user,
                action=AuditAction.MERGE,
                customer_id=customer.pk,
                obj=merge,
                detail=detail,
                request=request,
            )
    return merge


def _validate_choices(field_choices: Mapping[str, str]) -> None:
    for group, choice in field_choices.items():
        if group not in MERGE_FIELD_GROUPS:
            raise ValidationError(_("Unknown field %(field)s.") % {"field": group})
        allowed = {KEEP_SURVIVOR, KEEP_DUPLICATE}
        if group in COMBINABLE_GROUPS:
            allowed.add(KEEP_BOTH)
        if choice not in allowed:
            raise ValidationError(
                _("Invalid choice for %(field)s.") % {"field": MERGE_FIELD_GROUPS[group][0]}
            )


def _take_chosen_values(
    survivor: Customer, duplicate: Customer, field_choices: Mapping[str, str]
) -> dict:
    """Copy the chosen values onto ``survivor``; returns the survivor's values replaced."""
    replaced = {}
    for group, (_label, fields) in MERGE_FIELD_GROUPS.items():
        choice = field_choices.get(group, KEEP_SURVIVOR)
        if choice == KEEP_SURVIVOR:
            continue
        for name in fields:
            attname = Customer._meta.get_field(name).attname
            before = getattr(survivor, attname)
            if choice == KEEP_DUPLICATE:
                after = getattr(duplicate, attname)
            elif name == "notes":
                after = "\n\n".join(n for n in (survivor.notes, duplicate.notes) if n.strip())
            else:  # preferred_categories: keep the survivor's order, add the duplicate's
                after = list(
                    dict.fromkeys([*survivor.preferred_categories, *duplicate.preferred_categories])
                )
            if after != before:
                replaced[name] = before
                setattr(survivor, attname, after)
    return json.loads(json.dumps(replaced, cls=DjangoJSONEncoder))


def _move_related_rows(*, survivor: Customer, duplicate: Customer) -> tuple[dict, dict]:
    """Re-point every row of the duplicate; returns ids moved and ids left on the merged
    record, by table label."""
    moved: dict[str, list] = {}
    kept: dict[str, list] = {}
    for table in customer_related_tables():
        if table.model is ChannelConsent:
            moved_ids, kept_ids = _merge_consents(survivor, duplicate)
        elif table.is_membership:
            moved_ids, kept_ids = _merge_memberships(table, survivor, duplicate)
        else:
            moved_ids, kept_ids = _move_rows(table, survivor, duplicate)
        if moved_ids:
            moved[table.label] = moved_ids
        if kept_ids:
            kept[table.label] = kept_ids
    # A pending verification left on the merged record would send someone to verify a
    # customer who no longer exists; the survivor's own task for that month stands.
    VerificationTask.objects.filter(
        customer=duplicate, outcome=VerificationOutcome.PENDING
    ).delete()
    label = VerificationTask._meta.label_lower
    if label in kept:
        kept[label] = list(
            VerificationTask.objects.filter(customer=duplicate).values_list("pk", flat=True)
        )
        if not kept[label]:
            del kept[label]
    return moved, kept


def _unique_sets(model: type[models.Model], field_name: str) -> list[tuple[list[str], object]]:
    """Unique field sets of ``model`` that include ``field_name``, with their condition:
    moving a row must not create a second row for the survivor in any of them."""
    sets = []
    field = model._meta.get_field(field_name)
    if field.unique:
        sets.append(([], None))
    for fields in model._meta.unique_together:
        if field_name in fields:
            sets.append(([f for f in fields if f != field_name], None))
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and field_name in constraint.fields:
            others = [f for f in constraint.fields if f != field_name]
            sets.append((others, constraint.condition))
    return sets


def _colliding_rows(table: RelatedTable, survivor: Customer, duplicate: Customer):
    manager = table.model._base_manager
    rows = manager.filter(**{table.customer_field: duplicate.pk})
    colliding = manager.none()
    for others, condition in _unique_sets(table.model, table.customer_field):
        survivor_rows = manager.filter(**{table.customer_field: survivor.pk})
        survivor_rows = survivor_rows.filter(**{f: OuterRef(f) for f in others})
        candidates = rows
        if condition is not None:
            survivor_rows = survivor_rows.filter(condition)
            candidates = candidates.filter(condition)
        colliding = colliding | candidates.filter(Exists(survivor_rows))
    return rows, colliding


def _move_rows(table: RelatedTable, survivor: Customer, duplicate: Customer):
    """Move every row unless a unique constraint already has the survivor's own row; those
    stay on the merged record."""
    rows, colliding = _colliding_rows(table, survivor, duplicate)
    kept_ids = list(colliding.values_list("pk", flat=True))
    movable = rows.exclude(pk__in=kept_ids)
    moved_ids = list(movable.values_list("pk", flat=True))
    movable.update(**{table.customer_field: survivor.pk})
    return moved_ids, kept_ids


def _merge_memberships(table: RelatedTable, survivor: Customer, duplicate: Customer):
    """Tags and static lists: the survivor belongs to the union of both."""
    rows, colliding = _colliding_rows(table, survivor, duplicate)
    colliding.delete()
    moved_ids = list(rows.values_list(table.other_field, flat=True))
    rows.update(**{table.customer_field: survivor.pk})
    return moved_ids, []


def _consent_wins(candidate: ChannelConsent, current: ChannelConsent) -> bool:
    """The most recent decision counts; at the same moment a withdrawal beats a grant
    (PIPL art. 15: withdrawing must never be undone by a merge)."""
    if candidate.changed_at != current.changed_at:
        return candidate.changed_at > current.changed_at
    return not candidate.granted and current.granted


_CONSENT_DECISION_FIELDS = (
    "granted",
    "changed_at",
    "method",
    "note",
    "recorded_by_id",
    "basis",
    "basis_date",
    "basis_source",
)


def _merge_consents(survivor: Customer, duplicate: Customer):
    """One consent row per channel on the survivor, holding the winning decision; the
    superseded decision stays on the merged record as evidence of what was once said."""
    own = {c.channel: c for c in ChannelConsent.objects.filter(customer=survivor)}
    moved_ids, kept_ids, swapped = [], [], []
    for theirs in ChannelConsent.objects.filter(customer=duplicate):
        mine = own.get(theirs.channel)
        if mine is None:
            theirs.customer = survivor
            theirs.save(update_fields=["customer"])
            moved_ids.append(theirs.pk)
            continue
        if _consent_wins(theirs, mine):
            for name in _CONSENT_DECISION_FIELDS:
                mine_value, their_value = getattr(mine, name), getattr(theirs, name)
                setattr(mine, name, their_value)
                setattr(theirs, name, mine_value)
            swapped.extend([mine, theirs])
            moved_ids.append(mine.pk)
        kept_ids.append(theirs.pk)
    if swapped:
        ChannelConsent.objects.bulk_update(swapped, _CONSENT_DECISION_FIELDS)
    return moved_ids, kept_ids
