"""Celery tasks: thin, idempotent wrappers around the services. Their beat schedules are
created by ``loyalty/migrations/0002`` and may be edited by admins."""

import dataclasses
import datetime as dt

from celery import shared_task

from loyalty.services.accrual import ACCRUAL_TASK_NAME, orders_accrue
from loyalty.services.bonuses import birthday_bonuses_grant, referral_bonuses_grant
from loyalty.services.expiry import EXPIRY_TASK_NAME, points_expire


@shared_task(name=ACCRUAL_TASK_NAME)
def accrue_orders() -> dict:
    """Points for every order without them yet (queued after orders are recorded, and
    every 10 minutes); corrections for orders whose amount changed."""
    return dataclasses.asdict(orders_accrue())


@shared_task(name="loyalty.grant_birthday_bonuses")
def grant_birthday_bonuses(day: str | None = None) -> dict:
    """This year's birthday bonus to VIPs whose birthday was in the last week; once each."""
    today = dt.date.fromisoformat(day) if day else None
    return {"granted": birthday_bonuses_grant(today=today)}


@shared_task(name="loyalty.grant_referral_bonuses")
def grant_referral_bonuses() -> dict:
    """The referral bonus for every referred customer who became a VIP; once each, ever."""
    return {"granted": referral_bonuses_grant()}


@shared_task(name=EXPIRY_TASK_NAME)
def expire_points() -> dict:
    """Points not spent within the expiry period, oldest first."""
    return {"customers": points_expire()}
