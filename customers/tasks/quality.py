"""Celery tasks: data quality."""

import datetime as dt

from celery import shared_task

from customers.services.quality import VERIFICATION_TASK_NAME, verification_sample_draw

__all__ = ["verification_sample"]


@shared_task(name=VERIFICATION_TASK_NAME)
def verification_sample(period: str | None = None) -> dict:
    """Monthly beat task (1st of the month, 09:00 Asia/Shanghai): draw the contact
    verification sample. Safe to run twice — a second run in the same month adds nothing."""
    result = verification_sample_draw(period=dt.date.fromisoformat(period) if period else None)
    return {"period": result.period.isoformat(), "created": result.created}
