"""The frozen copy of a campaign reviewers judge (``CampaignVersion.snapshot``); the
review page reads it through ``campaigns.selectors.review``."""

import datetime as dt
from decimal import Decimal

from campaigns.models import (
    CampaignContent,
    CareCampaign,
    CouponBatch,
)


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def campaign_snapshot(campaign: CareCampaign) -> dict:
    """Everything reviewers judge, as plain JSON: what is sent, to whom, when, why."""
    batch = CouponBatch.objects.filter(campaign=campaign).first()
    return {
        "name": campaign.name,
        "description": campaign.description,
        "kind": campaign.kind,
        "goal": {
            "metric": campaign.goal_metric,
            "baseline": _fmt(campaign.goal_baseline),
            "target": _fmt(campaign.goal_target),
            "deadline": _fmt(campaign.goal_deadline),
        },
        "audience": {
            "department": _fmt(campaign.department),
            "include": sorted(str(s) for s in campaign.include_segments.all()),
            "exclude": sorted(str(s) for s in campaign.exclude_segments.all()),
            "channel_strategy": campaign.channel_strategy,
        },
        "priority": campaign.priority,
        "care_kind": campaign.care_kind,
        "owner": _fmt(campaign.owner),
        "review_departments": sorted(str(d) for d in campaign.review_departments.all()),
        "backup_plan": campaign.backup_plan,
        "event_link": campaign.event_link,
        "schedule": {
            "send_time": _fmt(campaign.send_time),
            "days_before": campaign.days_before,
            "holiday_source": campaign.holiday_source,
            "festival": campaign.festival,
            "company_day": _fmt(campaign.company_day),
            "send_at": _fmt(campaign.send_at),
            "recurrence": campaign.recurrence,
            "rrule": campaign.rrule,
            "starts_on": _fmt(campaign.starts_on),
            "ends_on": _fmt(campaign.ends_on),
            "trigger": campaign.trigger,
            "trigger_delay_days": campaign.trigger_delay_days,
        },
        "content": [
            {
                "channel": content.channel,
                "subject": content.subject,
                "body": content.body,
                "html_body": content.html_body,
            }
            for content in CampaignContent.objects.filter(campaign=campaign).order_by(
                "position", "id"
            )
        ],
        "coupon": None
        if batch is None
        else {
            "name": batch.name,
            "value": _fmt(batch.value),
            "min_spend": _fmt(batch.min_spend),
            "valid_days": batch.valid_days,
            "expires_on": _fmt(batch.expires_on),
        },
    }
