"""Celery tasks: thin, idempotent wrappers around the services (beat schedules are
created by migration 0002 and may be edited by admins)."""

import logging

from celery import shared_task

from carecrm.accounts.models import User
from segmentation.models import RunTrigger, TierPolicy
from segmentation.services.alerts import alerts_escalate_overdue, alerts_evaluate
from segmentation.services.managers import coverage_report_create
from segmentation.services.policy import (
    APPLY_TASK_NAME,
    PREVIEW_TASK_NAME,
    policy_apply,
    policy_preview_compute,
)
from segmentation.services.scoring import LIVE_TASK_NAME, ScoringBusy, scoring_live, scoring_run

logger = logging.getLogger(__name__)


@shared_task(name="segmentation.score_customers")
def score_customers() -> dict:
    """Nightly scoring run. A run already in progress makes this one a no-op."""
    try:
        run = scoring_run(trigger=RunTrigger.NIGHTLY)
    except ScoringBusy:
        logger.info("scoring skipped: another run is in progress")
        return {"skipped": True}
    return {"run": run.pk, "scored": run.customers_scored, "changed": run.customers_changed}


@shared_task(name=APPLY_TASK_NAME, bind=True, max_retries=6)
def apply_policy(self, policy_id: int, user_id: int | None = None) -> dict:
    """Score everyone under a newly saved policy version; retried while a run is busy.
    Running it twice only repeats an identical run (the second changes nothing)."""
    policy = TierPolicy.objects.get(pk=policy_id)
    if TierPolicy.objects.filter(version__gt=policy.version).exists():
        return {"skipped": "superseded"}
    user = User.objects.filter(pk=user_id).first() if user_id else None
    try:
        run = policy_apply(policy=policy, user=user)
    except ScoringBusy as exc:
        raise self.retry(exc=exc, countdown=60) from exc
    return {"run": run.pk, "scored": run.customers_scored, "changed": run.customers_changed}


@shared_task(name="segmentation.evaluate_risk_alerts")
def evaluate_risk_alerts() -> dict:
    """Hourly: raise alerts for customers meeting a risk rule, then escalate overdue ones."""
    raised = alerts_evaluate()
    escalated = alerts_escalate_overdue()
    return {"raised": raised, "escalated": escalated}


@shared_task(name="segmentation.coverage_report")
def coverage_report() -> dict:
    """Monthly: freeze last month's VIP contact coverage per manager (safe to rerun)."""
    return {"reports": coverage_report_create()}


@shared_task(name=PREVIEW_TASK_NAME)
def preview_policy(preview_id: int) -> dict:
    """Compute a tier policy preview queued from the policy page (runs once per preview)."""
    preview = policy_preview_compute(preview_id=preview_id)
    return {"preview": preview_id, "status": preview.status if preview else "gone"}


@shared_task(name=LIVE_TASK_NAME, bind=True, max_retries=20)
def rescore_live(self) -> dict:
    """Re-score the customers whose orders changed (queued on commit by the order
    writers). Idempotent: it takes the customers still marked, so a second run finds none;
    while a full run holds the lock it retries, the marks staying in place."""
    try:
        return scoring_live()
    except ScoringBusy as exc:
        raise self.retry(exc=exc, countdown=30) from exc
