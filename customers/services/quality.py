"""Contact verification: the monthly sample (care programme §1: each month a random 5–10 % of
customers has its contact details verified) and the outcomes staff record."""

import datetime as dt
from collections import defaultdict, deque
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Value, When, Window
from django.db.models.functions import Random, RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from carecrm.accounts.models import Role
from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from carecrm.core.scoping import visible_to
from carecrm.header_text import refuse_control_characters
from customers.models import (
    ContactStatus,
    Customer,
    CustomerStatus,
    DataQualityPolicy,
    VerificationMethod,
    VerificationOutcome,
    VerificationTask,
)

VERIFICATION_TASK_NAME = "customers.verification_sample"
VERIFICATION_SCHEDULE_NAME = "Monthly contact verification sample"
# care programme §1 / issue 4: the sample is drawn on the first day of each month.
VERIFICATION_CRONTAB = {
    "minute": "0",
    "hour": "9",
    "day_of_week": "*",
    "day_of_month": "1",
    "month_of_year": "*",
    "timezone": "Asia/Shanghai",
}


def data_quality_policy() -> DataQualityPolicy:
    """The single policy row, created with the defaults (5 %, 183 days) on first use."""
    policy, _created = DataQualityPolicy.objects.get_or_create(pk=1)
    return policy


@transaction.atomic
def data_quality_policy_update(
    *,
    user,
    sample_percent: Decimal,
    exclude_verified_within_days: int,
    task_due_days: int,
) -> DataQualityPolicy:
    if not user.has_perm("customers.change_dataqualitypolicy"):
        raise PermissionDenied(_("Only administrators may change the data quality policy."))
    policy = data_quality_policy()
    policy.sample_percent = sample_percent
    policy.exclude_verified_within_days = exclude_verified_within_days
    policy.task_due_days = task_due_days
    policy.full_clean()
    policy.save()
    return policy


def verification_sample_size(population: int, percent: Decimal) -> int:
    """How many of a department's ``population`` to verify: ``percent`` of it, rounded UP,
    so any department with customers verifies at least one a month and the sample never
    falls below the policy (40 customers at 5 % → 2; 41 → 3; 1 → 1; 0 → 0)."""
    if population <= 0:
        return 0
    exact = Decimal(population) * Decimal(percent) / Decimal(100)
    return int(exact.to_integral_value(rounding=ROUND_CEILING))


@dataclass(frozen=True)
class SampleResult:
    period: dt.date
    created: int
    by_department: dict[int, int]


def _with_contact():
    return Customer.objects.filter(status=CustomerStatus.ACTIVE).filter(
        ~Q(mobile="") | ~Q(email="")
    )


def verification_sample_draw(
    *, period: dt.date | None = None, now: dt.datetime | None = None
) -> SampleResult:
    """Draw this month's sample, per department, and create the verification tasks.

    The base of the percentage is every active customer with a mobile or email in the
    department; the sample is drawn at random (``ORDER BY random()`` per department in one
    window query) from those not verified within the policy's days, not yet sampled this
    month and without an open verification from an earlier month. Running it again in the
    same month creates nothing new: tasks already drawn count against the department's
    quota, and the (customer, month) unique constraint stops a concurrent run.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    period = (period or today).replace(day=1)

    with transaction.atomic():
        policy = data_quality_policy()
        # Serialise concurrent runs (beat and an admin's "run now").
        DataQualityPolicy.objects.select_for_update().filter(pk=policy.pk).first()

        population = dict(
            _with_contact()
            .values("department_id")
            .annotate(n=Count("pk"))
            .values_list("department_id", "n")
        )
        already = dict(
            VerificationTask.objects.filter(period=period)
            .values("customer__department_id")
            .annotate(n=Count("pk"))
            .values_list("customer__department_id", "n")
        )
        quotas = {}
        for department_id, count in population.items():
            wanted = verification_sample_size(count, policy.sample_percent)
            missing = wanted - already.get(department_id, 0)
            if missing > 0:
                quotas[department_id] = missing
        if not quotas:
            return SampleResult(period=period, created=0, by_department={})

        cutoff = now - dt.timedelta(days=policy.exclude_verified_within_days)
        eligible = (
            _with_contact()
            .filter(department_id__in=quotas)
            .filter(Q(contact_verified_at__isnull=True) | Q(contact_verified_at__lt=cutoff))
            .exclude(
                Exists(
                    VerificationTask.objects.filter(customer=OuterRef("pk")).filter(
                        Q(period=period) | Q(outcome=VerificationOutcome.PENDING)
                    )
                )
            )
        )
        picked = list(
            eligible.annotate(
                draw=Window(RowNumber(), partition_by=[F("department_id")], order_by=Random()),
                quota=Case(
                    *[When(department_id=d, then=Value(q)) for d, q in quotas.items()],
                    default=Value(0),
                    output_field=IntegerField(),
                ),
            )
            .filter(draw__lte=F("quota"))
            .values_list("pk", "department_id", "relationship_manager_id")
        )
        assignees = _assignees(picked, set(quotas))
        due_on = today + dt.timedelta(days=policy.task_due_days)
        tasks = [
            VerificationTask(
                customer_id=customer_id,
                period=period,
                assigned_to_id=assignees[customer_id],
                method=VerificationMethod.PHONE_CALL,
                due_on=due_on,
            )
            for customer_id, _department_id, _manager_id in picked
        ]
        before = VerificationTask.objects.filter(period=period).count()
        VerificationTask.objects.bulk_create(tasks, batch_size=1000, ignore_conflicts=True)
        created = VerificationTask.objects.filter(period=period).count() - before
        by_department: dict[int, int] = defaultdict(int)
        for _customer_id, department_id, _manager_id in picked:
            by_department[department_id] += 1
    return SampleResult(period=period, created=created, by_department=dict(by_department))


def _assignees(picked: list[tuple[int, int, int | None]], departments: set[int]) -> dict:
    """The customer's relationship manager if still active; otherwise staff of the
    customer's department in turn, those with the fewest open verifications first."""
    User = get_user_model()
    manager_ids = {manager_id for _c, _d, manager_id in picked if manager_id}
    active_managers = set(
        User.objects.filter(pk__in=manager_ids, is_active=True).values_list("pk", flat=True)
    )
    staff_group = User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=Role.STAFF)
    members = (
        User.objects.filter(department_id__in=departments, is_active=True)
        .annotate(
            is_staff_role=Exists(staff_group),
            open_tasks=Count(
                "verification_tasks",
                filter=Q(verification_tasks__outcome=VerificationOutcome.PENDING),
            ),
        )
        .order_by("open_tasks", "pk")
        .values_list("pk", "department_id", "is_staff_role")
    )
    staff: dict[int, list[int]] = defaultdict(list)
    everyone: dict[int, list[int]] = defaultdict(list)
    for user_id, department_id, is_staff_role in members:
        everyone[department_id].append(user_id)
        if is_staff_role:
            staff[department_id].append(user_id)
    queues = {d: deque(staff.get(d) or everyone.get(d) or []) for d in departments}

    assignees = {}
    for customer_id, department_id, manager_id in picked:
        if manager_id in active_managers:
            assignees[customer_id] = manager_id
            continue
        queue = queues[department_id]
        if queue:
            assignees[customer_id] = queue[0]
            queue.rotate(-1)
        else:
            assignees[customer_id] = None  # nobody in the department: the manager sees it
    return assignees


def verifications_due(user):
    """Open verifications assigned to ``user`` for customers still active."""
    return VerificationTask.objects.filter(
        assigned_to=user,
        outcome=VerificationOutcome.PENDING,
        customer__status=CustomerStatus.ACTIVE,
    )


def verification_record(
    *,
    task: VerificationTask,
    user,
    outcome: str,
    method: str,
    mobile: str = "",
    email: str = "",
    note: str = "",
    request=None,
) -> VerificationTask:
    """Record what the call or SMS code showed.

    ``confirmed`` and ``changed`` mark the contact confirmed as of now (``changed`` with the
    new, already validated and normalised values); ``unreachable`` flags the customer's
    contact as unreachable and leaves the last verification date alone, so the customer
    is drawn again in a later month.
    """
    if not user.has_perm("customers.change_verificationtask"):
        raise PermissionDenied(_("You may not record verification outcomes."))
    if outcome not in {
        VerificationOutcome.CONFIRMED,
        VerificationOutcome.CHANGED,
        VerificationOutcome.UNREACHABLE,
    }:
        raise ValidationError({"outcome": _("Choose what the verification showed.")})
    with transaction.atomic():
        task = (
            visible_to(user, VerificationTask.objects.select_for_update())
            .filter(pk=task.pk)
            .first()
        )
        if task is None:
            raise PermissionDenied(_("This verification is not yours to record."))
        if task.outcome != VerificationOutcome.PENDING:
            raise ValidationError(_("The outcome of this verification was already recorded."))
        customer = Customer.objects.select_for_update().get(pk=task.customer_id)
        if customer.status != CustomerStatus.ACTIVE:
            raise ValidationError(_("This customer was merged or anonymised."))

        now = timezone.now()
        changed_fields = []
        if outcome == VerificationOutcome.CHANGED:
            changed_fields = _apply_new_contact(customer, mobile=mobile, email=email)
        if outcome == VerificationOutcome.UNREACHABLE:
            customer.contact_status = ContactStatus.UNREACHABLE
            customer.contact_unreachable_at = now
        else:
            customer.contact_status = ContactStatus.CONFIRMED
            customer.contact_verified_at = now
        customer.save(
            update_fields=[
                *changed_fields,
                "contact_status",
                "contact_verified_at",
                "contact_unreachable_at",
                "updated_at",
            ]
        )

        task.outcome = outcome
        task.method = method if method in VerificationMethod.values else task.method
        task.note = note
        task.completed_at = now
        task.completed_by = user
        task.save(update_fields=["outcome", "method", "note", "completed_at", "completed_by"])
        audit_record(
            actor=user,
            action=AuditAction.CHANGE,
            customer_id=customer.pk,
            obj=task,
            detail={
                "verification": outcome,
                "fields": [f for f in changed_fields if f != "mobile_last4"],
            },
            request=request,
        )
    return task


def _apply_new_contact(customer: Customer, *, mobile: str, email: str) -> list[str]:
    changed = []
    if mobile and mobile != customer.mobile:
        taken = (
            Customer.objects.filter(status=CustomerStatus.ACTIVE, mobile=mobile)
            .exclude(pk=customer.pk)
            .exists()
        )
        if taken:
            raise ValidationError(
                {"mobile": _("Another active customer already has this mobile phone.")}
            )
        customer.mobile = mobile
        customer.refresh_derived_contact_fields()
        changed += ["mobile", "mobile_last4"]
    if email and email.lower() != customer.email.lower():
        try:
            refuse_control_characters(email)
        except ValidationError as exc:
            raise ValidationError({"email": exc.messages}) from exc
        customer.email = email
        changed.append("email")
    if not changed:
        raise ValidationError(
            _("Enter the new mobile phone or email, or record the contact as confirmed.")
        )
    return changed


def verification_schedule_ensure(*, using: str = "default") -> None:
    """Create the monthly beat schedule if no periodic task runs the sample yet.

    Existing schedules are never touched, so an administrator's change of time, or
    disabling it, survives every deploy (called after each ``migrate``).
    """
    if "django_celery_beat_periodictask" not in connections[using].introspection.table_names():
        return
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    if PeriodicTask.objects.using(using).filter(task=VERIFICATION_TASK_NAME).exists():
        return
    crontab, _created = CrontabSchedule.objects.using(using).get_or_create(**VERIFICATION_CRONTAB)
    PeriodicTask.objects.using(using).get_or_create(
        name=VERIFICATION_SCHEDULE_NAME,
        defaults={
            "task": VERIFICATION_TASK_NAME,
            "crontab": crontab,
            "description": "care programme §1: monthly random sample of customers whose "
            "contact details staff verify.",
        },
    )
