"""Celery tasks: thin, idempotent wrappers around the services. Their beat schedules
(monthly reports, goal outcomes) are created by migrations and may be edited by admins."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from dashboard.services.goals import goal_outcomes_record
from dashboard.services.report_deliveries import delivery_send, monthly_reports_send
from dashboard.services.warming import dashboards_warm


@shared_task(name="dashboard.send_monthly_reports")
def send_monthly_reports(day: str | None = None) -> dict:
    """Last month's care report to every manager and admin who has not had it yet, and
    another try for earlier failures. Running it again sends nothing twice."""
    return monthly_reports_send(dt.date.fromisoformat(day) if day else timezone.localdate())


@shared_task(name="dashboard.send_report_delivery")
def send_report_delivery(delivery_id: int) -> str:
    """One delivery someone asked to send again; nothing if it has been sent since."""
    return delivery_send(delivery_id)


@shared_task(name="dashboard.record_goal_outcomes")
def record_goal_outcomes() -> dict:
    """Nightly: met or missed for the goals whose deadline passed (safe to rerun)."""
    return goal_outcomes_record()


@shared_task(name="dashboard.warm_dashboards")
def warm_dashboards() -> dict:
    """Every ten minutes: this month's department and company dashboards, computed ahead."""
    return dashboards_warm()
