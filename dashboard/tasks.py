"""Celery tasks of the dashboard: thin, idempotent wrappers around its services (the beat
schedule is created by migration 0004 and may be edited by admins)."""

from celery import shared_task

from dashboard.services.goals import goal_outcomes_record


@shared_task(name="dashboard.record_goal_outcomes")
def record_goal_outcomes() -> dict:
    """Nightly: met or missed for the goals whose deadline passed (safe to rerun)."""
    return goal_outcomes_record()
