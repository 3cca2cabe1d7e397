"""Relationship managers (care programme §4): assignment of VIPs under a cap, balanced
auto-assignment, the contact log and the monthly coverage report.

The cap (``ManagerPolicy.max_vips_per_manager``, default 50) is checked here with a
readable message and enforced again by database triggers (migration 0002) on every write
of ``customers_customer.relationship_manager_id``, whoever makes it. A scoring run that
lifts a customer to VIP does not re-check the cap: the managers page then shows the manager
as over capacity.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from carecrm.accounts.models import Role, User
from carecrm.core.audit import audit_record, audit_record_many
from carecrm.core.models import AuditAction
from carecrm.core.scoping import visible_to
from customers.models import Customer, CustomerStatus, Interaction, InteractionKind
from segmentation.models import VIP_LEVEL_RANK, CoverageReport, RelationshipManager
from segmentation.selectors import coverage_vips, manager_policy, vip_levels_from

CAP_CONSTRAINT = "customer_vip_cap_per_manager"


class ManagerCapacityError(ValidationError):
    pass


def _capacity_message(manager: User, cap: int) -> str:
    return _(
        "%(manager)s already looks after %(cap)s VIPs, the most one relationship manager may "
        "have. Choose another manager or raise the limit."
    ) % {"manager": manager, "cap": cap}


def vip_count(manager: User, *, exclude_customer_id: int | None = None) -> int:
    queryset = Customer.objects.filter(
        relationship_manager=manager,
        status=CustomerStatus.ACTIVE,
        vip_level__in=vip_levels_from("silver"),
    )
    if exclude_customer_id:
        queryset = queryset.exclude(pk=exclude_customer_id)
    return queryset.count()


def _is_vip(customer: Customer) -> bool:
    return VIP_LEVEL_RANK.get(customer.vip_level, 0) >= 1


@transaction.atomic
def manager_assign(*, customer: Customer, manager: User | None, user, request=None) -> Customer:
    """Make ``manager`` the customer's relationship manager (``None`` to unassign). Refuses
    a VIP beyond the manager's cap, or a manager from another department (unless the acting
    user is an admin)."""
    if not visible_to(user, Customer.objects.filter(pk=customer.pk)).exists():
        raise PermissionDenied(_("You cannot change this customer."))
    old_manager_id = customer.relationship_manager_id
    if manager is not None:
        if not manager.is_active:
            raise ValidationError(_("This user is no longer active."))
        if manager.department_id != customer.department_id and not user.is_admin_role:
            raise ValidationError(
                _("The relationship manager must belong to the customer's department.")
            )
        # Lock the manager so two assignments cannot both take the last place.
        User.objects.select_for_update().filter(pk=manager.pk).first()
        cap = manager_policy().max_vips_per_manager
        if _is_vip(customer) and vip_count(manager, exclude_customer_id=customer.pk) >= cap:
            raise ManagerCapacityError(_capacity_message(manager, cap))
    customer.relationship_manager = manager
    try:
        with transaction.atomic():
            customer.save(update_fields=["relationship_manager", "updated_at"])
    except IntegrityError as exc:
        if CAP_CONSTRAINT in str(exc):
            cap = manager_policy().max_vips_per_manager
            raise ManagerCapacityError(_capacity_message(manager, cap)) from exc
        raise
    audit_record(
        actor=user,
        action=AuditAction.CHANGE,
        customer_id=customer.pk,
        obj=customer,
        detail={"relationship_manager": [old_manager_id, manager.pk if manager else None]},
        request=request,
    )
    return customer


@dataclass
class AutoAssignResult:
    assigned: int
    unassigned: int
    by_manager: dict


@transaction.atomic
def managers_auto_assign(*, user, department_id: int | None = None) -> AutoAssignResult:
    """Give every VIP without a manager (within the user's scope) the active manager of
    its department with the fewest VIPs, preferring managers covering the customer's
    region; nobody goes over the cap. Highest levels and spend are served first; VIPs left
    over (all managers full) stay unassigned and are counted."""
    if not (user.is_admin_role or user.is_manager_role):
        raise PermissionDenied(_("Only managers and administrators assign VIPs automatically."))
    cap = manager_policy().max_vips_per_manager
    customers = visible_to(
        user,
        Customer.objects.filter(
            status=CustomerStatus.ACTIVE,
            vip_level__in=vip_levels_from("silver"),
            relationship_manager__isnull=True,
        ),
    )
    if department_id:
        customers = customers.filter(department_id=department_id)
    profiles = list(
        RelationshipManager.objects.filter(accepts_new=True, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    )
    User.objects.select_for_update().filter(pk__in=[p.user_id for p in profiles]).count()
    loads = dict(
        Customer.objects.filter(
            relationship_manager_id__in=[p.user_id for p in profiles],
            status=CustomerStatus.ACTIVE,
            vip_level__in=vip_levels_from("silver"),
        )
        .values_list("relationship_manager_id")
        .annotate(n=Count("pk"))
    )
    by_department = defaultdict(list)
    for profile in profiles:
        by_department[profile.user.department_id].append(profile)

    level_order = sorted(VIP_LEVEL_RANK, key=VIP_LEVEL_RANK.get, reverse=True)
    changed: list[Customer] = []
    left = 0
    ordered = sorted(
        customers.only("pk", "department_id", "region", "vip_level", "spend_12m"),
        key=lambda c: (level_order.index(c.vip_level), -c.spend_12m, c.pk),
    )
    for customer in ordered:
        candidates = [
            p
            for p in by_department.get(customer.department_id, [])
            if loads.get(p.user_id, 0) < cap
        ]
        regional = [p for p in candidates if customer.region and p.region == customer.region]
        pool = regional or [p for p in candidates if not p.region] or candidates
        if not pool:
            left += 1
            continue
        chosen = min(pool, key=lambda p: (loads.get(p.user_id, 0), p.user_id))
        loads[chosen.user_id] = loads.get(chosen.user_id, 0) + 1
        customer.relationship_manager_id = chosen.user_id
        changed.append(customer)
    Customer.objects.bulk_update(changed, ["relationship_manager"], batch_size=500)
    by_manager = defaultdict(list)
    for customer in changed:
        by_manager[customer.relationship_manager_id].append(customer.pk)
    for manager_id, ids in by_manager.items():
        audit_record_many(
            actor=user,
            action=AuditAction.CHANGE,
            customer_ids=ids,
            detail={"relationship_manager": [None, manager_id], "auto_assigned": True},
        )
    return AutoAssignResult(
        assigned=len(changed),
        unassigned=left,
        by_manager={manager_id: len(ids) for manager_id, ids in by_manager.items()},
    )


@transaction.atomic
def manager_profile_save(
    *, user, manager_user: User, region: str = "", accepts_new: bool = True
) -> RelationshipManager:
    if not (user.is_admin_role or user.is_manager_role):
        raise PermissionDenied(_("Only managers and administrators manage this list."))
    if not user.is_admin_role and manager_user.department_id != user.department_id:
        raise PermissionDenied(_("You may only add people of your own department."))
    profile, _created = RelationshipManager.objects.update_or_create(
        user=manager_user, defaults={"region": region.strip(), "accepts_new": accepts_new}
    )
    return profile


@transaction.atomic
def manager_policy_save(*, user, max_vips_per_manager: int, coverage_min_level: str):
    if not user.is_admin_role:
        raise PermissionDenied(_("Only administrators change the VIP limit."))
    policy = manager_policy()
    policy.max_vips_per_manager = max_vips_per_manager
    policy.coverage_min_level = coverage_min_level
    policy.updated_by = user
    policy.full_clean()
    policy.save()
    return policy


@transaction.atomic
def contact_log(
    *,
    customer: Customer,
    user,
    kind: str,
    occurred_at: dt.datetime,
    summary: str,
    outcome: str,
    channel: str = "",
) -> Interaction:
    """Log a call or visit with a customer (the manager's contact log)."""
    if kind not in (InteractionKind.CALL, InteractionKind.VISIT):
        raise ValidationError(_("Log a call or a visit here."))
    if not visible_to(user, Customer.objects.filter(pk=customer.pk)).exists():
        raise PermissionDenied(_("You cannot change this customer."))
    if occurred_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"occurred_at": _("A contact cannot be in the future.")})
    return Interaction.objects.create(
        customer=customer,
        kind=kind,
        channel=channel,
        occurred_at=occurred_at,
        staff=user,
        summary=summary,
        outcome=outcome,
        resolved_at=timezone.now() if outcome == "resolved" else None,
    )


def coverage_report_create(*, month: dt.date | None = None) -> int:
    """Freeze one month's coverage per (manager, department); default last month. Rerunning
    updates the same rows."""
    today = timezone.localdate()
    month = (month or (today.replace(day=1) - dt.timedelta(days=1))).replace(day=1)
    rows = (
        coverage_vips(None, month=month)
        .values("relationship_manager", "department")
        .annotate(
            vips=Count("pk", distinct=True),
            contacted_count=Count("pk", filter=Q(contacted=True), distinct=True),
        )
    )
    count = 0
    with transaction.atomic():
        for row in rows:
            CoverageReport.objects.update_or_create(
                month=month,
                manager_id=row["relationship_manager"],
                department_id=row["department"],
                defaults={"vip_count": row["vips"], "contacted_count": row["contacted_count"]},
            )
            count += 1
    return count


def department_managers(department_ids) -> dict[int, User]:
    """The first active user in the manager role of each department (escalation target)."""
    result: dict[int, User] = {}
    for manager in User.objects.filter(
        department_id__in=list(department_ids), is_active=True, groups__name=Role.MANAGER
    ).order_by("department_id", "pk"):
        result.setdefault(manager.department_id, manager)
    return result
