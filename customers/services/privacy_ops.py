"""A customer's rights over their personal data (PIPL art. 45: a copy; art. 47: deletion),
both audited. Both walk every table related to the customer, so rows added by later apps
are exported and scrubbed too."""

import json
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat, Replace
from django.utils import timezone
from django.utils.translation import gettext as _

from carecrm.core.audit import audit_record, audit_record_many
from carecrm.core.models import AuditAction
from customers.models import (
    ChannelConsent,
    ConsentMethod,
    ContactPerson,
    ContactStatus,
    Customer,
    CustomerMerge,
    CustomerStatus,
    Interaction,
    VerificationOutcome,
    VerificationTask,
)
from customers.privacy import PII_PERMISSION, display_phone
from customers.services.related_records import (
    child_relations,
    concrete_values,
    customer_related_tables,
)

ANONYMISE_PERMISSION = "customers.anonymise_customer"
# Stored text, not interface text: the record reads the same in every language.
ANONYMISED_NAME_PREFIX = "已匿名客户 #"
ANONYMISED_TEXT = "（已匿名）"
# Never longer than the shortest identity masked, so a column cannot overflow.
SCRUBBED = "**"
PERSONAL_DATA_FORMAT = "carecrm.personal-data/1"


def customer_personal_data(*, customer: Customer) -> dict:
    """Everything stored about one customer: the profile, then every related table (orders
    with their lines, interactions, consents, lists, tags, and whatever later apps add)."""
    data = {
        "format": PERSONAL_DATA_FORMAT,
        "exported_at": timezone.now(),
        "customer": concrete_values(customer),
        "related": {},
    }
    for table in customer_related_tables():
        rows = table.model._base_manager.filter(**{table.customer_field: customer.pk})
        if table.is_membership:
            other_ids = rows.values_list(table.other_field, flat=True)
            others = table.other_model._base_manager.filter(pk__in=other_ids).order_by("pk")
            section = [{"id": other.pk, "name": str(other)} for other in others]
            key = table.other_model._meta.label_lower
        else:
            section = _rows_with_children(list(rows.order_by("pk")))
            key = table.label
            if table.model is Customer:
                key = "customers.customer.merged_from"
        if section:
            data["related"][key] = section
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _rows_with_children(rows: list[models.Model]) -> list[dict]:
    """Serialise rows and, one level down, the rows that hang off them (order lines)."""
    if not rows:
        return []
    model = type(rows[0])
    by_parent: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for child_model, field_name in child_relations(model):
        if child_model is Customer:
            continue
        children = child_model._base_manager.filter(
            **{f"{field_name}__in": [r.pk for r in rows]}
        ).order_by("pk")
        attname = child_model._meta.get_field(field_name).attname
        for child in children:
            by_parent[getattr(child, attname)][child_model._meta.label_lower].append(
                concrete_values(child)
            )
    serialised = []
    for row in rows:
        values = concrete_values(row)
        if by_parent.get(row.pk):
            values["related"] = dict(by_parent[row.pk])
        serialised.append(values)
    return serialised


def customer_personal_data_export(*, customer: Customer, user, request=None) -> str:
    """The JSON document a customer receives on request, and the audit entry saying who
    handed it out."""
    if not user.has_perm(PII_PERMISSION):
        raise PermissionDenied(_("You may not see this customer's personal data."))
    data = customer_personal_data(customer=customer)
    audit_record(
        actor=user,
        action=AuditAction.PII_EXPORT,
        customer_id=customer.pk,
        obj=customer,
        detail={"sections": {key: len(rows) for key, rows in data["related"].items()}},
        request=request,
    )
    return json.dumps(data, ensure_ascii=False, indent=2)


def customer_anonymise(*, customer: Customer, user, reason: str, request=None) -> Customer:
    """Erase the person from the record, for good, and keep the business figures.

    Removed: name (→ "已匿名客户 #id"), mobile, email, address, birthday, notes, WeCom and
    push ids, contact persons, interaction summaries, verification notes, merge snapshots;
    the same for records merged into this one; every consent is withdrawn. Any text in
    other related tables that contains the person's name, phone or email is masked. Kept:
    orders (amounts, dates, lines), tiers, scores and aggregates.
    """
    if not user.has_perm(ANONYMISE_PERMISSION):
        raise PermissionDenied(_("You may not anonymise customers."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say on whose request the data is erased.")})
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.status == CustomerStatus.ANONYMISED:
            raise ValidationError(_("This customer is already anonymised."))
        if customer.status == CustomerStatus.MERGED:
            raise ValidationError(
                _("This record was merged into customer #%(id)s; anonymise that customer.")
                % {"id": customer.merged_into_id}
            )
        ids = _with_merged_records(customer.pk)
        identities = _identities(ids)
        now = timezone.now()

        Customer.objects.filter(pk__in=ids).update(
            name=Concat(Value(ANONYMISED_NAME_PREFIX), Cast("pk", CharField())),
            mobile="",
            mobile_last4="",
            email="",
            province="",
            city="",
            district="",
            street="",
            birthday=None,
            celebrates_lunar_birthday=False,
            lunar_birth_month=None,
            lunar_birth_day=None,
            lunar_birth_leap_month=False,
            birth_month=None,
            notes="",
            wecom_external_id="",
            push_token="",
            contact_status=ContactStatus.UNVERIFIED,
            contact_verified_at=None,
            contact_unreachable_at=None,
            updated_at=now,
        )
        Customer.objects.filter(pk=customer.pk).update(status=CustomerStatus.ANONYMISED)
        ContactPerson.objects.filter(customer_id__in=ids).delete()
        Interaction.objects.filter(customer_id__in=ids).update(summary=ANONYMISED_TEXT)
        ChannelConsent.objects.filter(customer_id__in=ids).update(
            granted=False,
            changed_at=now,
            method=ConsentMethod.STAFF,
            note="PIPL art. 47",
            recorded_by=user,
            basis="",
            basis_date=None,
            basis_source="",
        )
        VerificationTask.objects.filter(
            customer_id__in=ids, outcome=VerificationOutcome.PENDING
        ).delete()
        VerificationTask.objects.filter(customer_id__in=ids).update(note="")
        CustomerMerge.objects.filter(Q(survivor_id__in=ids) | Q(merged_id__in=ids)).update(
            merged_snapshot={"anonymised": True}
        )
        _scrub_related_text(ids, identities)

        audit_record(
            actor=user,
            action=AuditAction.ANONYMISE,
            customer_id=customer.pk,
            obj=customer,
            detail={"reason": reason.strip(), "merged_records": sorted(set(ids) - {customer.pk})},
            request=request,
        )
        audit_record_many(
            actor=user,
            action=AuditAction.ANONYMISE,
            customer_ids=sorted(set(ids) - {customer.pk}),
            detail={"anonymised_with": customer.pk},
            request=request,
        )
    customer.refresh_from_db()
    return customer


def _with_merged_records(customer_id: int) -> list[int]:
    """The customer and every record merged into it, however many merges deep: they are
    the same person."""
    ids = [customer_id]
    frontier = [customer_id]
    while frontier:
        frontier = list(
            Customer.objects.filter(merged_into_id__in=frontier)
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)
        )
        ids.extend(frontier)
    return ids


def _identities(ids: list[int]) -> list[str]:
    """Strings that identify the person (name, phone in its written forms, email), longest
    first so a full number is masked before a part of it."""
    values: set[str] = set()
    for name, mobile, email, street in Customer.objects.filter(pk__in=ids).values_list(
        "name", "mobile", "email", "street"
    ):
        values.update([name, email, street])
        if mobile:
            national = mobile[3:] if mobile.startswith("+86") else mobile
            values.update([mobile, national, display_phone(mobile)])
    for name, mobile, email in ContactPerson.objects.filter(customer_id__in=ids).values_list(
        "name", "mobile", "email"
    ):
        values.update([name, mobile, email])
    # A one-character name would mask that character in every text: not identifying.
    return sorted((v for v in values if v and len(v.strip()) >= 2), key=len, reverse=True)


def _scrub_related_text(ids: list[int], identities: list[str]) -> None:
    """Mask the identities in every free-text column of every table related to the
    customer — one UPDATE per table, for tables later apps add as well."""
    if not identities:
        return
    for table in customer_related_tables():
        if table.is_membership or table.model in (Customer, CustomerMerge):
            continue
        text_fields = [
            field
            for field in table.model._meta.concrete_fields
            if isinstance(field, (models.CharField, models.TextField))
            and not field.choices
            and not field.is_relation
        ]
        if not text_fields:
            continue
        changes = {}
        for field in text_fields:
            expression = F(field.name)
            for identity in identities:
                expression = Replace(expression, Value(identity), Value(SCRUBBED))
            changes[field.name] = expression
        table.model._base_manager.filter(**{f"{table.customer_field}__in": ids}).update(**changes)
