"""Celery task for feedback items (merged into feedback/tasks.py by the lead); its beat
schedule, every 15 minutes, is created by migration 0002_item_defaults."""

from celery import shared_task

from feedback.services.items import items_escalate


@shared_task(name="feedback.escalate_items")
def escalate_items() -> dict:
    """Escalate items that missed a deadline; once per level, so reruns send nothing."""
    return {"escalated": items_escalate()}
