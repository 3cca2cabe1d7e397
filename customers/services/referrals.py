"""Who referred whom (``Customer.referred_by``): set by staff on the customer page (the
loyalty app's form) or by the customer import. A customer never refers themselves, and
referrals never go round in a circle (A brought B, B brought C, C brought A): both are
checked here, for the page and the import alike."""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from carecrm.core.scoping import visible_to
from customers.models import Customer, CustomerStatus
from customers.services.records import ensure_active

# Referral chains are short; a longer one is a data error, not a chain to follow forever.
MAX_CHAIN = 200
# Serialises referrer changes on PostgreSQL, so two changes made at the same moment cannot
# close a circle that neither sees alone (customers' own advisory lock number).
REFERRAL_LOCK = 4_021_017


def referral_parents(customer_ids: Iterable[int]) -> dict[int, int | None]:
    """``{customer: referrer}`` for these customers and everyone up their referral chains,
    in one recursive query."""
    ids = sorted({int(pk) for pk in customer_ids})
    if not ids:
        return {}
    table = connection.ops.quote_name(Customer._meta.db_table)
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        f"WITH RECURSIVE up(id, parent, depth) AS ("  # noqa: S608 (names are constants)
        f"SELECT id, referred_by_id, 0 FROM {table} WHERE id IN ({placeholders}) "
        f"UNION ALL SELECT c.id, c.referred_by_id, up.depth + 1 FROM {table} AS c "
        f"JOIN up ON c.id = up.parent WHERE up.depth < %s) "
        f"SELECT DISTINCT id, parent FROM up"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, MAX_CHAIN])
        return dict(cursor.fetchall())


def closes_a_circle(parents: dict, customer, referrer) -> bool:
    """Whether making ``referrer`` the referrer of ``customer`` closes a circle, given the
    known ``{node: its referrer}`` (keys may be ids or any other hashable node)."""
    node, steps = referrer, 0
    while node is not None and steps <= MAX_CHAIN:
        if node == customer:
            return True
        node = parents.get(node)
        steps += 1
    return steps > MAX_CHAIN


def _lock_referrals() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFERRAL_LOCK])


@transaction.atomic
def referrer_set(
    *,
    customer: Customer,
    referrer: Customer | None,
    user,
    referred_on: dt.date | None = None,
    request=None,
) -> bool:
    """Record who referred ``customer`` (``None`` clears it). The referrer must be an
    active customer the user can see, not the customer, and not referred — directly or
    through others — by the customer. Returns whether anything changed."""
    if not user.has_perm("customers.change_customer"):
        raise PermissionDenied(_("You may not change customers."))
    if not visible_to(user, Customer.objects.filter(pk=customer.pk)).exists():
        raise PermissionDenied(_("You may only change customers you can see."))
    ensure_active(customer)
    _lock_referrals()
    current = Customer.objects.select_for_update().get(pk=customer.pk)
    if referrer is None:
        if current.referred_by_id is None:
            return False
        before = current.referred_by_id
        Customer.objects.filter(pk=customer.pk).update(
            referred_by=None, referred_at=None, updated_at=timezone.now()
        )
        audit_record(
            actor=user,
            action=AuditAction.CHANGE,
            customer_id=customer.pk,
            obj=customer,
            detail={"fields": ["referred_by"], "referrer_before": before, "referrer": None},
            request=request,
        )
        customer.referred_by, customer.referred_at = None, None
        return True
    if referrer.pk == customer.pk:
        raise ValidationError({"referrer": _("A customer cannot refer themselves.")})
    found = (
        visible_to(user, Customer.objects.filter(pk=referrer.pk))
        .values_list("status", flat=True)
        .first()
    )
    if found is None:
        raise ValidationError(
            {"referrer": _("Choose the referrer among the customers you can see.")}
        )
    if found != CustomerStatus.ACTIVE:
        raise ValidationError(
            {"referrer": _("This customer was merged or anonymised and cannot be a referrer.")}
        )
    if referred_on is not None and referred_on > timezone.localdate():
        raise ValidationError({"referred_on": _("The referral date cannot be in the future.")})
    if closes_a_circle(referral_parents([referrer.pk]), customer.pk, referrer.pk):
        raise ValidationError(
            {
                "referrer": _(
                    "%(referrer)s was referred, directly or through others, by %(customer)s; "
                    "referrals cannot go round in a circle."
                )
                % {"referrer": referrer.name, "customer": current.name}
            }
        )
    referred_at = (
        timezone.make_aware(dt.datetime.combine(referred_on, dt.time(12)))
        if referred_on
        else timezone.now()
    )
    if current.referred_by_id == referrer.pk and (
        referred_on is None or current.referred_at == referred_at
    ):
        return False
    before = current.referred_by_id
    Customer.objects.filter(pk=customer.pk).update(
        referred_by=referrer, referred_at=referred_at, updated_at=timezone.now()
    )
    audit_record(
        actor=user,
        action=AuditAction.CHANGE,
        customer_id=customer.pk,
        obj=customer,
        detail={"fields": ["referred_by"], "referrer_before": before, "referrer": referrer.pk},
        request=request,
    )
    customer.referred_by, customer.referred_at = referrer, referred_at
    return True
