"""Writing a campaign: its settings, audience, schedule, per-channel content and coupon
terms. Every write records who did it, and an edit to a campaign under review or already
approved sends it back to draft (issue 6: editing an approved campaign stops it until it
is approved again)."""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from campaigns.content import clean_content
from campaigns.models import (
    DEFAULT_CARE_KIND,
    EDITABLE_STATUSES,
    ActivityAction,
    CampaignActivity,
    CampaignContent,
    CampaignKind,
    CampaignStatus,
    CareCampaign,
    CareKind,
    CompanyDay,
    CouponBatch,
    HolidaySource,
    Recurrence,
    TouchChannel,
)
from campaigns.selectors.due import parse_rrule
from campaigns.selectors.versions import campaign_snapshot
from carecrm.accounts.models import Department, User
from carecrm.core.scoping import visible_to

# Which schedule fields each kind uses; the others are cleared so that snapshots, diffs
# and the due-touch rules never read a stale value.
SCHEDULE_FIELDS: dict[str, tuple[str, ...]] = {
    CampaignKind.BIRTHDAY: ("days_before",),
    CampaignKind.HOLIDAY: ("days_before", "holiday_source", "festival", "company_day"),
    CampaignKind.ONE_OFF: ("send_at",),
    CampaignKind.RECURRING: ("recurrence", "rrule"),
    CampaignKind.TRIGGER: ("trigger", "trigger_delay_days"),
}
SCHEDULE_DEFAULTS = {
    "days_before": 0,
    "holiday_source": "",
    "festival": "",
    "company_day": None,
    "send_at": None,
    "recurrence": "",
    "rrule": "",
    "trigger": "",
    "trigger_delay_days": 0,
}
# What a user may set on a campaign, said once: the campaign form's fields, the API's
# writable fields and the keys campaign_create and campaign_update accept all derive from
# these two lists (campaigns/tests/test_editable_fields.py holds them to it).
EDITABLE_FIELDS: tuple[str, ...] = (
    "name",
    "description",
    "kind",
    "department",
    "owner",
    "priority",
    "care_kind",
    "goal_metric",
    "goal_baseline",
    "goal_target",
    "goal_deadline",
    "channel_strategy",
    "backup_plan",
    "event_link",
    "send_time",
    "days_before",
    "holiday_source",
    "festival",
    "company_day",
    "send_at",
    "recurrence",
    "rrule",
    "starts_on",
    "ends_on",
    "trigger",
    "trigger_delay_days",
)
# The many-to-many ones, which the services take as their own arguments.
EDITABLE_RELATIONS: tuple[str, ...] = ("include_segments", "exclude_segments", "review_departments")
# Statuses in which an edit returns the campaign to draft.
LOCKED_STATUSES = (
    CampaignStatus.IN_REVIEW,
    CampaignStatus.APPROVED,
    CampaignStatus.ACTIVE,
    CampaignStatus.PAUSED,
)


def activity_log(*, campaign: CareCampaign, actor, action: str, note: str = "") -> None:
    CampaignActivity.objects.create(
        campaign=campaign,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_role=getattr(actor, "role", "") or "" if getattr(actor, "pk", None) else "",
        action=action,
        note=note,
    )


def _ensure_editable(campaign: CareCampaign) -> None:
    if campaign.status not in EDITABLE_STATUSES:
        raise ValidationError(_("A finished campaign can no longer be changed."))


def _after_edit(campaign: CareCampaign, *, user, before: dict, note: str = "") -> bool:
    """Log an edit; return the campaign to draft if it changed what was submitted or
    approved. Returns whether it went back to draft."""
    if campaign_snapshot(campaign) == before:
        return False
    activity_log(campaign=campaign, actor=user, action=ActivityAction.EDITED, note=note)
    if campaign.status not in LOCKED_STATUSES:
        return False
    previous = campaign.get_status_display()
    campaign.status = CampaignStatus.DRAFT
    campaign.save(update_fields=["status", "updated_at"])
    activity_log(
        campaign=campaign,
        actor=user,
        action=ActivityAction.RETURNED_TO_DRAFT,
        note=_("Was “%(status)s”; it needs to be submitted and approved again.")
        % {"status": previous},
    )
    return True


def _validate_schedule(campaign: CareCampaign) -> None:
    errors: dict[str, list[str]] = {}

    def need(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    kind = campaign.kind
    if kind == CampaignKind.HOLIDAY:
        if not campaign.holiday_source:
            need("holiday_source", _("Choose which day the greeting is for."))
        elif campaign.holiday_source == HolidaySource.FESTIVAL and not campaign.festival:
            need("festival", _("Choose a festival."))
        elif campaign.holiday_source == HolidaySource.COMPANY_DAY and not campaign.company_day_id:
            need("company_day", _("Choose a company day."))
    elif kind == CampaignKind.ONE_OFF and not campaign.send_at:
        need("send_at", _("Give the date and time to send."))
    elif kind == CampaignKind.RECURRING:
        if not campaign.recurrence:
            need("recurrence", _("Choose how often it repeats."))
        if not campaign.starts_on:
            need("starts_on", _("A recurring campaign needs a first date."))
        if campaign.recurrence == Recurrence.RRULE:
            if not campaign.rrule.strip():
                need("rrule", _("Choose how often the campaign repeats."))
            else:
                try:
                    parse_rrule(campaign.rrule, campaign.starts_on or dt.date.today())
                except ValueError as exc:
                    need("rrule", str(exc))
    elif kind == CampaignKind.TRIGGER and not campaign.trigger:
        need("trigger", _("Choose the event that triggers the touch."))
    if campaign.goal_metric and campaign.goal_target is not None:
        for field in ("goal_baseline", "goal_target"):
            value = getattr(campaign, field)
            if value is not None and not Decimal("0") <= value <= Decimal("100"):
                need(field, _("A percentage between 0 and 100."))
    if errors:
        raise ValidationError(errors)


def _normalise_schedule(campaign: CareCampaign) -> None:
    used = SCHEDULE_FIELDS.get(campaign.kind, ())
    for field, default in SCHEDULE_DEFAULTS.items():
        if field not in used:
            setattr(campaign, field, default)
    if campaign.kind == CampaignKind.HOLIDAY:
        if campaign.holiday_source != HolidaySource.FESTIVAL:
            campaign.festival = ""
        if campaign.holiday_source != HolidaySource.COMPANY_DAY:
            campaign.company_day = None
    if campaign.kind == CampaignKind.RECURRING and campaign.recurrence != Recurrence.RRULE:
        campaign.rrule = ""


def _check_scope(
    *,
    user: User,
    department: Department | None,
    segments: Iterable,
    company_day: CompanyDay | None,
) -> None:
    from segmentation.models import Segment

    if not user.is_admin_role and (department is None or department.pk != user.department_id):
        raise PermissionDenied(_("Campaigns can only be filed under your own department."))
    segment_ids = {segment.pk for segment in segments}
    if segment_ids:
        visible = set(
            visible_to(user, Segment.objects.filter(pk__in=segment_ids)).values_list(
                "pk", flat=True
            )
        )
        if visible != segment_ids:
            raise PermissionDenied(_("You may only use segments you can see."))
    if (
        company_day is not None
        and not visible_to(user, CompanyDay.objects.filter(pk=company_day.pk)).exists()
    ):
        raise PermissionDenied(_("You may only use company days you can see."))


def _apply_relations(
    campaign: CareCampaign,
    *,
    include_segments: Iterable | None,
    exclude_segments: Iterable | None,
    review_departments: Iterable | None,
) -> None:
    if include_segments is not None:
        campaign.include_segments.set(include_segments)
    if exclude_segments is not None:
        campaign.exclude_segments.set(exclude_segments)
    if review_departments is not None:
        campaign.review_departments.set(review_departments)


@transaction.atomic
def campaign_create(
    *,
    user: User,
    fields: dict,
    include_segments: Iterable = (),
    exclude_segments: Iterable = (),
    review_departments: Iterable = (),
) -> CareCampaign:
    """A new draft. Staff file it under their own department; the owner defaults to them."""
    include_segments, exclude_segments = list(include_segments), list(exclude_segments)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    campaign = CareCampaign(**fields, created_by=user)
    if not fields.get("care_kind"):
        campaign.care_kind = DEFAULT_CARE_KIND.get(campaign.kind, CareKind.PROMOTION)
    if not fields.get("owner"):
        campaign.owner = user
    if "department" not in fields and not user.is_admin_role:
        campaign.department = user.department
    _check_scope(
        user=user,
        department=campaign.department,
        segments=include_segments + exclude_segments,
        company_day=campaign.company_day,
    )
    _normalise_schedule(campaign)
    campaign.full_clean(exclude=["approved_version"])
    _validate_schedule(campaign)
    campaign.save()
    _apply_relations(
        campaign,
        include_segments=include_segments,
        exclude_segments=exclude_segments,
        review_departments=review_departments,
    )
    activity_log(campaign=campaign, actor=user, action=ActivityAction.CREATED)
    return campaign


@transaction.atomic
def campaign_update(
    *,
    campaign: CareCampaign,
    user: User,
    fields: dict,
    include_segments: Iterable | None = None,
    exclude_segments: Iterable | None = None,
    review_departments: Iterable | None = None,
) -> CareCampaign:
    """Change settings, audience or schedule. A change to a campaign in review or approved
    returns it to draft."""
    campaign = CareCampaign.objects.select_for_update().get(pk=campaign.pk)
    _ensure_editable(campaign)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    before = campaign_snapshot(campaign)
    for name, value in fields.items():
        setattr(campaign, name, value)
    include_list = list(include_segments) if include_segments is not None else []
    exclude_list = list(exclude_segments) if exclude_segments is not None else []
    _check_scope(
        user=user,
        department=campaign.department,
        segments=include_list + exclude_list,
        company_day=campaign.company_day,
    )
    _normalise_schedule(campaign)
    campaign.full_clean(exclude=["approved_version"])
    _validate_schedule(campaign)
    campaign.save()
    _apply_relations(
        campaign,
        include_segments=include_segments,
        exclude_segments=exclude_segments,
        review_departments=review_departments,
    )
    _after_edit(campaign, user=user, before=before)
    return campaign


@transaction.atomic
def campaign_content_set(
    *,
    campaign: CareCampaign,
    user: User,
    channel: str,
    subject: str = "",
    body: str = "",
    html_body: str = "",
) -> CampaignContent:
    """Write one channel's content (email HTML is sanitised on the way in). Problems that
    block submission are reported by ``campaigns.content.check_content``, not here, so a
    draft can be saved half-written."""
    campaign = CareCampaign.objects.select_for_update().get(pk=campaign.pk)
    _ensure_editable(campaign)
    channel = TouchChannel(channel)
    before = campaign_snapshot(campaign)
    cleaned = clean_content(channel=channel, subject=subject, body=body, html_body=html_body)
    content = CampaignContent.objects.filter(campaign=campaign, channel=channel).first()
    if content is None:
        position = CampaignContent.objects.filter(campaign=campaign).count()
        content = CampaignContent(campaign=campaign, channel=channel, position=position)
    for name, value in cleaned.items():
        setattr(content, name, value)
    content.full_clean()
    content.save()
    _after_edit(
        campaign,
        user=user,
        before=before,
        note=_("%(channel)s content") % {"channel": channel.label},
    )
    return content


@transaction.atomic
def campaign_content_remove(*, campaign: CareCampaign, user: User, channel: str) -> None:
    campaign = CareCampaign.objects.select_for_update().get(pk=campaign.pk)
    _ensure_editable(campaign)
    before = campaign_snapshot(campaign)
    CampaignContent.objects.filter(campaign=campaign, channel=channel).delete()
    for position, content in enumerate(CampaignContent.objects.filter(campaign=campaign)):
        if content.position != position:
            content.position = position
            content.save(update_fields=["position"])
    _after_edit(campaign, user=user, before=before)


@transaction.atomic
def campaign_content_move(*, campaign: CareCampaign, user: User, channel: str, up: bool) -> None:
    """Move a channel up or down: with the "preferred" strategy the order decides the
    fallback channel."""
    campaign = CareCampaign.objects.select_for_update().get(pk=campaign.pk)
    _ensure_editable(campaign)
    before = campaign_snapshot(campaign)
    contents = list(CampaignContent.objects.filter(campaign=campaign))
    index = next((i for i, c in enumerate(contents) if c.channel == channel), None)
    if index is None:
        return
    other = index - 1 if up else index + 1
    if not 0 <= other < len(contents):
        return
    contents[index], contents[other] = contents[other], contents[index]
    for position, content in enumerate(contents):
        if content.position != position:
            content.position = position
            content.save(update_fields=["position"])
    _after_edit(campaign, user=user, before=before)


@transaction.atomic
def coupon_batch_set(
    *,
    campaign: CareCampaign,
    user: User,
    name: str,
    value: Decimal,
    min_spend: Decimal = Decimal("0"),
    valid_days: int = 30,
    expires_on: dt.date | None = None,
) -> CouponBatch:
    """Set the coupon a campaign hands out. Changing its terms is a content change."""
    campaign = CareCampaign.objects.select_for_update().get(pk=campaign.pk)
    _ensure_editable(campaign)
    before = campaign_snapshot(campaign)
    batch = CouponBatch.objects.filter(campaign=campaign).first() or CouponBatch(campaign=campaign)
    batch.name = name
    batch.value = value
    batch.min_spend = min_spend if min_spend is not None else Decimal("0")
    batch.valid_days = valid_days
    batch.expires_on = expires_on
    batch.full_clean()
    batch.save()
    _after_edit(campaign, user=user, before=before, note=_("Coupon terms"))
    return batch


@transaction.atomic
def coupon_batch_remove(*, campaign: CareCampaign, user: User) -> None:
    campaign = CareCampaign.objects.select_for_update().get(pk=campaign.pk)
    _ensure_editable(campaign)
    batch = CouponBatch.objects.filter(campaign=campaign).first()
    if batch is None:
        return
    if batch.coupons.exists():
        raise ValidationError(_("Coupons of this batch were already issued; it cannot be removed."))
    before = campaign_snapshot(campaign)
    batch.delete()
    _after_edit(campaign, user=user, before=before, note=_("Coupon removed"))
