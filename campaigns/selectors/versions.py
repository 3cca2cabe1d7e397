"""What changed since the last approval: snapshots as readable lines and their diff."""

import datetime as dt
import difflib
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from campaigns.models import (
    CampaignContent,
    CampaignVersion,
    CareCampaign,
    CouponBatch,
    VersionKind,
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


def snapshot_lines(snapshot: dict | None) -> list[str]:
    """A snapshot as "label: value" lines; long texts one line per line, indented."""
    if not snapshot:
        return []
    lines: list[str] = []

    def add(label: str, value) -> None:
        text = "" if value is None else str(value)
        parts = text.splitlines() or [""]
        lines.append(f"{label}: {parts[0]}")
        lines.extend(f"    {part}" for part in parts[1:])

    add(_("Name"), snapshot.get("name"))
    add(_("Description"), snapshot.get("description"))
    add(_("Kind"), snapshot.get("kind"))
    for key, value in (snapshot.get("goal") or {}).items():
        add(_("Goal") + f" {key}", value)
    audience = snapshot.get("audience") or {}
    add(_("Department"), audience.get("department"))
    add(_("Include segments"), ", ".join(audience.get("include", [])))
    add(_("Exclude segments"), ", ".join(audience.get("exclude", [])))
    add(_("Channels per customer"), audience.get("channel_strategy"))
    add(_("Priority"), snapshot.get("priority"))
    add(_("Kind of care"), snapshot.get("care_kind"))
    add(_("Owner"), snapshot.get("owner"))
    add(_("Reviews required from"), ", ".join(snapshot.get("review_departments", [])))
    add(_("Backup plan"), snapshot.get("backup_plan"))
    add(_("Event link"), snapshot.get("event_link"))
    for key, value in (snapshot.get("schedule") or {}).items():
        add(_("Schedule") + f" {key}", value)
    for content in snapshot.get("content", []):
        channel = content.get("channel")
        for key in ("subject", "body", "html_body"):
            if content.get(key):
                add(f"[{channel}] {key}", content[key])
    coupon = snapshot.get("coupon")
    if coupon:
        for key, value in coupon.items():
            add(_("Coupon") + f" {key}", value)
    else:
        add(_("Coupon"), _("none"))
    return lines


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "remove", "context", "hunk"
    text: str


def version_diff(campaign: CareCampaign) -> tuple[CampaignVersion | None, list[DiffLine]]:
    """The last approved version and the unified diff from it to the campaign as it is
    now (what reviewers are asked to approve)."""
    approved = (
        CampaignVersion.objects.filter(campaign=campaign, kind=VersionKind.APPROVED)
        .order_by("-number")
        .first()
    )
    old = snapshot_lines(approved.snapshot if approved else None)
    new = snapshot_lines(campaign_snapshot(campaign))
    diff = []
    for line in difflib.unified_diff(old, new, lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            diff.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            diff.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            diff.append(DiffLine("remove", line[1:]))
        else:
            diff.append(DiffLine("context", line[1:]))
    return approved, diff
