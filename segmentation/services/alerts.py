"""Churn early warning (care programme §4): rules raise graded alerts, assigned to the customer's
relationship manager (else a manager of its department) with a response deadline of
24 h, 12 h for high risk; an alert still open at its deadline escalates to a manager of
the customer's department. States: open → acknowledged → resolved (with a note).

Rules (``RiskRule``; each applies to active customers from ``min_level`` up):

- spend_drop: spend in the last ``period_days`` fell by at least ``threshold`` % against
  the ``period_days`` before (which must have had positive spend);
- complaints: at least ``threshold`` complaints in the last ``period_days``;
- no_contact: no real contact (call or visit that reached the customer) in the last
  ``period_days``, for customers on record at least that long;
- low_survey: a survey score (0–100) below ``threshold`` in the last ``period_days``. The
  scores come from functions registered with :func:`register_survey_score_source`; until
  the surveys app registers one there are none, so this rule raises nothing.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, DecimalField, Exists, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from carecrm.core.scoping import visible_to
from carecrm.money import yuan
from customers.models import Customer, CustomerStatus, InteractionKind
from segmentation.models import (
    AlertStatus,
    RiskAlert,
    RiskRule,
    RiskRuleKind,
    Severity,
)
from segmentation.selectors import real_contacts, vip_levels_from
from segmentation.services.managers import department_managers

# care programme §4: response within 24 h, high risk within 12 h.
RESPONSE_HOURS = {Severity.HIGH: 12, Severity.NORMAL: 24}
HANDLE_PERMISSION = "segmentation.handle_riskalert"

SurveyScoreSource = Callable[[dt.datetime], Iterable[tuple[int, Decimal]]]
survey_score_sources: list[SurveyScoreSource] = []


def register_survey_score_source(source: SurveyScoreSource) -> None:
    """``source(since) -> iterable of (customer_id, score 0–100)`` for surveys answered
    since ``since`` (the lowest score per customer is used)."""
    if source not in survey_score_sources:
        survey_score_sources.append(source)


def _money_sum(since: dt.datetime, until: dt.datetime):
    return Coalesce(
        Sum(
            "orders__amount",
            filter=Q(orders__ordered_at__gt=since, orders__ordered_at__lte=until),
        ),
        Value(Decimal("0")),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def _candidates(rule: RiskRule, now: dt.datetime) -> dict[int, dict]:
    """customer id → figures, for every customer the rule fires on now (set-based)."""
    base = Customer.objects.filter(
        status=CustomerStatus.ACTIVE, vip_level__in=vip_levels_from(rule.min_level)
    )
    period = dt.timedelta(days=rule.period_days)
    if rule.kind == RiskRuleKind.SPEND_DROP:
        keep = Decimal("1") - rule.threshold / Decimal("100")
        rows = (
            base.annotate(current=_money_sum(now - period, now))
            .annotate(previous=_money_sum(now - 2 * period, now - period))
            .filter(previous__gt=0)
            .values_list("pk", "current", "previous")
        )
        return {
            pk: {
                "current": str(yuan(current)),
                "previous": str(yuan(previous)),
                "drop_percent": str(((previous - current) * 100 / previous).quantize(Decimal("1"))),
            }
            for pk, current, previous in rows
            if current <= previous * keep
        }
    if rule.kind == RiskRuleKind.COMPLAINTS:
        rows = (
            base.annotate(
                complaints=Count(
                    "interactions",
                    filter=Q(
                        interactions__kind=InteractionKind.COMPLAINT,
                        interactions__occurred_at__gt=now - period,
                    ),
                )
            )
            .filter(complaints__gte=rule.threshold)
            .values_list("pk", "complaints")
        )
        return {pk: {"complaints": n} for pk, n in rows}
    if rule.kind == RiskRuleKind.NO_CONTACT:
        recent = real_contacts(now - period, now).filter(customer=OuterRef("pk"))
        rows = (
            base.filter(created_at__lte=now - period)
            .filter(~Exists(recent))
            .values_list("pk", flat=True)
        )
        return {pk: {"days_without_contact": rule.period_days} for pk in rows}
    if rule.kind == RiskRuleKind.LOW_SURVEY:
        lowest: dict[int, Decimal] = {}
        for source in survey_score_sources:
            for customer_id, score in source(now - period):
                if score < rule.threshold and score < lowest.get(customer_id, Decimal("101")):
                    lowest[customer_id] = Decimal(score)
        if not lowest:
            return {}
        keep = set(base.filter(pk__in=list(lowest)).values_list("pk", flat=True))
        return {pk: {"score": str(score)} for pk, score in lowest.items() if pk in keep}
    return {}


def alerts_evaluate(*, now: dt.datetime | None = None) -> int:
    """Raise an alert for each customer a rule fires on, unless one for that customer and
    rule is still unresolved. Safe to run twice (a partial unique constraint backs it)."""
    now = now or timezone.now()
    created = 0
    for rule in RiskRule.objects.filter(enabled=True):
        candidates = _candidates(rule, now)
        if not candidates:
            continue
        already = set(
            RiskAlert.objects.filter(rule=rule, customer_id__in=list(candidates))
            .exclude(status=AlertStatus.RESOLVED)
            .values_list("customer_id", flat=True)
        )
        fresh = [pk for pk in candidates if pk not in already]
        owners = dict(
            Customer.objects.filter(pk__in=fresh).values_list("pk", "relationship_manager_id")
        )
        departments = dict(Customer.objects.filter(pk__in=fresh).values_list("pk", "department_id"))
        fallback = department_managers(set(departments.values()))
        due_at = now + dt.timedelta(hours=RESPONSE_HOURS[Severity(rule.severity)])
        alerts = [
            RiskAlert(
                customer_id=pk,
                rule=rule,
                severity=rule.severity,
                detail=candidates[pk],
                assigned_to_id=owners.get(pk)
                or getattr(fallback.get(departments.get(pk)), "pk", None),
                due_at=due_at,
                created_at=now,
            )
            for pk in fresh
        ]
        with transaction.atomic():
            created += len(
                RiskAlert.objects.bulk_create(alerts, batch_size=1000, ignore_conflicts=True)
            )
    return created


def alerts_escalate_overdue(*, now: dt.datetime | None = None) -> int:
    """Escalate alerts still open after their deadline to a manager of the customer's
    department (once; the alert keeps its assignee)."""
    now = now or timezone.now()
    overdue = RiskAlert.objects.filter(
        status=AlertStatus.OPEN, due_at__lt=now, escalated_at__isnull=True
    )
    department_ids = set(overdue.values_list("customer__department_id", flat=True).distinct())
    managers = department_managers(department_ids)
    escalated = 0
    with transaction.atomic():
        for department_id in department_ids:
            manager = managers.get(department_id)
            escalated += overdue.filter(customer__department_id=department_id).update(
                escalated_at=now, escalated_to=manager
            )
    return escalated


def _check_can_handle(*, alert: RiskAlert, user) -> None:
    if (
        not user.has_perm(HANDLE_PERMISSION)
        or not visible_to(user, RiskAlert.objects.filter(pk=alert.pk)).exists()
    ):
        raise PermissionDenied(_("You cannot handle this alert."))


@transaction.atomic
def alert_acknowledge(*, alert: RiskAlert, user) -> RiskAlert:
    _check_can_handle(alert=alert, user=user)
    alert = RiskAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != AlertStatus.OPEN:
        raise ValidationError(_("Only an open alert can be acknowledged."))
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = user
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    return alert


@transaction.atomic
def alert_resolve(*, alert: RiskAlert, user, note: str) -> RiskAlert:
    _check_can_handle(alert=alert, user=user)
    alert = RiskAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.status == AlertStatus.RESOLVED:
        raise ValidationError(_("This alert is already resolved."))
    if not note.strip():
        raise ValidationError({"note": _("Say what was done to resolve the alert.")})
    now = timezone.now()
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, user
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = now
    alert.resolved_by = user
    alert.resolution_note = note.strip()
    alert.save()
    return alert


@transaction.atomic
def risk_rules_save(*, user, formset) -> None:
    if not user.is_admin_role:
        raise PermissionDenied(_("Only administrators change the risk rules."))
    for rule in formset.save(commit=False):
        rule.updated_by = user
        rule.save()


@transaction.atomic
def alerts_acknowledge_many(*, alert_ids: Iterable[int], user) -> tuple[int, int]:
    """Acknowledge the open alerts among ``alert_ids`` the user may handle, in one UPDATE.
    Returns (acknowledged, skipped): skipped ones were not open or not visible."""
    if not user.has_perm(HANDLE_PERMISSION):
        raise PermissionDenied(_("You cannot handle these alerts."))
    ids = set(alert_ids)
    done = visible_to(user, RiskAlert.objects.filter(pk__in=ids, status=AlertStatus.OPEN)).update(
        status=AlertStatus.ACKNOWLEDGED, acknowledged_at=timezone.now(), acknowledged_by=user
    )
    return done, len(ids) - done


@transaction.atomic
def alerts_assign_many(*, alert_ids: Iterable[int], assignee, user) -> tuple[int, int]:
    """Give the unresolved alerts among ``alert_ids`` to ``assignee``, in one UPDATE. Only
    managers and administrators assign, and only alerts of customers the assignee may see."""
    if not user.has_perm(HANDLE_PERMISSION) or not (user.is_admin_role or user.is_manager_role):
        raise PermissionDenied(_("Only managers and administrators assign alerts."))
    if not assignee.is_active or not assignee.has_perm(HANDLE_PERMISSION):
        raise ValidationError(_("%(name)s cannot handle alerts.") % {"name": assignee})
    ids = set(alert_ids)
    alerts = visible_to(user, RiskAlert.objects.filter(pk__in=ids)).exclude(
        status=AlertStatus.RESOLVED
    )
    alerts = alerts.filter(pk__in=visible_to(assignee, RiskAlert.objects.all()).values("pk"))
    done = RiskAlert.objects.filter(pk__in=list(alerts.values_list("pk", flat=True))).update(
        assigned_to=assignee
    )
    return done, len(ids) - done
