"""Approval (审批), care programme §3: draft → submitted → department reviews → a manager's final
approval, or changes requested. Only a manager may give the final approval and never an
author of the content; each required department (e.g. 市场部, 客服中心) must have approved
in the same round; the backup plan is required before submission. Approval freezes a
version that later submissions are diffed against."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.content import PLACEHOLDER_PATTERN, check_content
from campaigns.models import (
    ActivityAction,
    CampaignKind,
    CampaignReview,
    CampaignStatus,
    CampaignVersion,
    CareCampaign,
    CouponBatch,
    ReviewDecision,
    ReviewStage,
    VersionKind,
)
from campaigns.selectors.approval import (
    APPROVE_PERMISSION,
    REVIEW_PERMISSION,
    campaign_authors,
    can_approve,
    pending_review_departments,
)
from campaigns.selectors.sms_cost import campaign_sms_cost
from campaigns.selectors.versions import campaign_snapshot
from campaigns.services.campaigns import activity_log
from campaigns.services.notifications import review_decision_notify
from carecrm.accounts.models import Role, User


def submission_problems(campaign: CareCampaign) -> dict[str, list[str]]:
    """What has to be fixed before the campaign can be submitted (empty: nothing)."""
    problems: dict[str, list[str]] = {}

    def add(key: str, message) -> None:
        problems.setdefault(key, []).append(str(message))

    if not campaign.backup_plan.strip():
        add("backup_plan", _("Write the backup plan for complaints and unsubscribes."))
    contents = list(campaign.contents.all())
    if not contents:
        add("content", _("Add content for at least one channel."))
    has_batch = CouponBatch.objects.filter(campaign=campaign).exists()
    # An SMS is judged at its longest in the audience: the provider refuses it for the
    # customer with the longest name, not for an average one.
    cost = campaign_sms_cost(campaign)
    for content in contents:
        check = check_content(
            channel=content.channel,
            subject=content.subject,
            body=content.body,
            html_body=content.html_body,
            longest_values=cost.longest_values if cost else None,
        )
        for messages in check.errors.values():
            for message in messages:
                add(content.channel, message)
        used = {
            match.group(1)
            for text in (content.subject, content.body, content.html_body)
            for match in PLACEHOLDER_PATTERN.finditer(text)
        }
        if not has_batch and used & {"coupon_code", "coupon_value", "coupon_expires"}:
            add(content.channel, _("The text uses a coupon placeholder but no coupon is set up."))
        if "event_link" in used and not campaign.event_link:
            add(content.channel, _("The text uses {event_link} but the campaign has no link."))
    if (
        campaign.kind == CampaignKind.ONE_OFF
        and campaign.send_at
        and (campaign.send_at <= timezone.now())
    ):
        add("send_at", _("The send time has passed."))
    if campaign.goal_target is None:
        add("goal_target", _("Set a target for the goal."))
    return problems


def _lock(campaign: CareCampaign) -> CareCampaign:
    return CareCampaign.objects.select_for_update().get(pk=campaign.pk)


def _save_version(campaign: CareCampaign, *, kind: str, user) -> CampaignVersion:
    last = CampaignVersion.objects.filter(campaign=campaign).order_by("-number").first()
    return CampaignVersion.objects.create(
        campaign=campaign,
        number=(last.number + 1) if last else 1,
        kind=kind,
        review_round=campaign.review_round,
        snapshot=campaign_snapshot(campaign),
        created_by=user if getattr(user, "pk", None) else None,
    )


@transaction.atomic
def campaign_submit(*, campaign: CareCampaign, user: User) -> CareCampaign:
    """Send a draft for review (a new review round)."""
    campaign = _lock(campaign)
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.CHANGES_REQUESTED):
        raise ValidationError(_("Only a draft can be submitted."))
    problems = submission_problems(campaign)
    if problems:
        raise ValidationError(problems)
    campaign.review_round += 1
    campaign.status = CampaignStatus.IN_REVIEW
    campaign.submitted_at = timezone.now()
    campaign.submitted_by = user
    campaign.save()
    _save_version(campaign, kind=VersionKind.SUBMITTED, user=user)
    activity_log(campaign=campaign, actor=user, action=ActivityAction.SUBMITTED)
    return campaign


def _ensure_in_review(campaign: CareCampaign) -> None:
    if campaign.status != CampaignStatus.IN_REVIEW:
        raise ValidationError(_("This campaign is not waiting for review."))


def _ensure_not_author(campaign: CareCampaign, user: User) -> None:
    if user.pk in campaign_authors(campaign):
        raise PermissionDenied(
            _("You wrote or submitted this content; someone else must review it.")
        )


@transaction.atomic
def campaign_review(
    *, campaign: CareCampaign, user: User, decision: str, comment: str = ""
) -> CampaignReview:
    """A required department's review. Asking for changes ends the round."""
    campaign = _lock(campaign)
    _ensure_in_review(campaign)
    _ensure_not_author(campaign, user)
    if not user.has_perm(REVIEW_PERMISSION):
        raise PermissionDenied(_("You may not review campaigns."))
    if not any(d.pk == user.department_id for d in pending_review_departments(campaign)):
        raise PermissionDenied(_("Your department's review is not pending for this campaign."))
    decision = ReviewDecision(decision)
    if decision == ReviewDecision.CHANGES_REQUESTED and not comment.strip():
        raise ValidationError({"comment": _("Say what has to change.")})
    review = CampaignReview.objects.create(
        campaign=campaign,
        review_round=campaign.review_round,
        stage=ReviewStage.DEPARTMENT,
        department=user.department,
        reviewer=user,
        decision=decision,
        comment=comment.strip(),
    )
    if decision == ReviewDecision.CHANGES_REQUESTED:
        campaign.status = CampaignStatus.CHANGES_REQUESTED
        campaign.save(update_fields=["status", "updated_at"])
        activity_log(
            campaign=campaign, actor=user, action=ActivityAction.CHANGES_REQUESTED, note=comment
        )
        review_decision_notify(review)
    else:
        activity_log(
            campaign=campaign,
            actor=user,
            action=ActivityAction.REVIEWED,
            note=_("%(department)s approved. %(comment)s")
            % {"department": user.department, "comment": comment},
        )
    return review


def running_status(campaign: CareCampaign, today) -> str:
    """Where an approved campaign stands on a date: not started, running or over."""
    if campaign.kind == CampaignKind.ONE_OFF:
        if campaign.send_at is None:
            return CampaignStatus.APPROVED
        day = timezone.localtime(campaign.send_at).date()
        if day > today:
            return CampaignStatus.APPROVED
        return CampaignStatus.ACTIVE if day == today else CampaignStatus.FINISHED
    if campaign.starts_on and campaign.starts_on > today:
        return CampaignStatus.APPROVED
    if campaign.ends_on and campaign.ends_on < today:
        return CampaignStatus.FINISHED
    return CampaignStatus.ACTIVE


@transaction.atomic
def campaign_approve(*, campaign: CareCampaign, user: User, comment: str = "") -> CareCampaign:
    """The final approval. From now on its touches are due."""
    campaign = _lock(campaign)
    _ensure_in_review(campaign)
    if user.role not in (Role.MANAGER, Role.ADMIN) or not user.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied(_("Only a manager may approve a campaign."))
    _ensure_not_author(campaign, user)
    if user.role == Role.MANAGER and campaign.department_id != user.department_id:
        raise PermissionDenied(_("Only a manager of the campaign's department may approve it."))
    pending = [d for d in pending_review_departments(campaign) if d.pk != user.department_id]
    if pending:
        raise ValidationError(
            _("Still waiting for the review of: %(departments)s")
            % {"departments": "、".join(str(d) for d in pending)}
        )
    review = CampaignReview.objects.create(
        campaign=campaign,
        review_round=campaign.review_round,
        stage=ReviewStage.FINAL,
        department=user.department,
        reviewer=user,
        decision=ReviewDecision.APPROVED,
        comment=comment.strip(),
    )
    campaign.approved_at = timezone.now()
    campaign.approved_by = user
    campaign.status = running_status(campaign, timezone.localdate())
    if campaign.status == CampaignStatus.FINISHED:
        raise ValidationError(_("Its schedule is over; change the dates before approving."))
    campaign.approved_version = _save_version(campaign, kind=VersionKind.APPROVED, user=user)
    campaign.save()
    activity_log(campaign=campaign, actor=user, action=ActivityAction.APPROVED, note=comment)
    review_decision_notify(review)
    return campaign


@transaction.atomic
def campaign_request_changes(*, campaign: CareCampaign, user: User, comment: str) -> CampaignReview:
    """A manager sends the submission back with what has to change."""
    campaign = _lock(campaign)
    _ensure_in_review(campaign)
    if not can_approve(campaign, user):
        raise PermissionDenied(_("Only an approving manager may send a campaign back."))
    if not comment.strip():
        raise ValidationError({"comment": _("Say what has to change.")})
    review = CampaignReview.objects.create(
        campaign=campaign,
        review_round=campaign.review_round,
        stage=ReviewStage.FINAL,
        department=user.department,
        reviewer=user,
        decision=ReviewDecision.CHANGES_REQUESTED,
        comment=comment.strip(),
    )
    campaign.status = CampaignStatus.CHANGES_REQUESTED
    campaign.save(update_fields=["status", "updated_at"])
    activity_log(
        campaign=campaign, actor=user, action=ActivityAction.CHANGES_REQUESTED, note=comment
    )
    review_decision_notify(review)
    return review


@transaction.atomic
def campaign_pause(*, campaign: CareCampaign, user: User, reason: str = "") -> CareCampaign:
    """Stop all touches now (e.g. the backup plan after complaints); resuming needs no new
    approval because nothing changed."""
    campaign = _lock(campaign)
    if campaign.status not in (CampaignStatus.APPROVED, CampaignStatus.ACTIVE):
        raise ValidationError(_("Only an approved or active campaign can be paused."))
    campaign.status = CampaignStatus.PAUSED
    campaign.save(update_fields=["status", "updated_at"])
    activity_log(campaign=campaign, actor=user, action=ActivityAction.PAUSED, note=reason)
    return campaign


# Roles whose pause only the same roles may lift: a manager stops a campaign after
# complaints, and staff must not undo that decision.
PAUSE_HOLDING_ROLES = (Role.MANAGER, Role.ADMIN)


@transaction.atomic
def campaign_resume(*, campaign: CareCampaign, user: User) -> CareCampaign:
    """Lift a pause. A pause made by a manager or an administrator is lifted only by one
    of them (the role recorded with the pause, not the pauser's role today)."""
    campaign = _lock(campaign)
    if campaign.status != CampaignStatus.PAUSED:
        raise ValidationError(_("Only a paused campaign can be resumed."))
    pause = campaign.activities.filter(action=ActivityAction.PAUSED).order_by("-at", "-id").first()
    if (
        pause is not None
        and pause.actor_role in PAUSE_HOLDING_ROLES
        and user.role not in PAUSE_HOLDING_ROLES
    ):
        raise PermissionDenied(
            _(
                "A manager or an administrator paused this campaign; only a manager or an "
                "administrator can resume it."
            )
        )
    campaign.status = running_status(campaign, timezone.localdate())
    campaign.save(update_fields=["status", "updated_at"])
    activity_log(campaign=campaign, actor=user, action=ActivityAction.RESUMED)
    return campaign


@transaction.atomic
def campaign_finish(*, campaign: CareCampaign, user: User, reason: str = "") -> CareCampaign:
    campaign = _lock(campaign)
    if campaign.status == CampaignStatus.FINISHED:
        return campaign
    campaign.status = CampaignStatus.FINISHED
    campaign.save(update_fields=["status", "updated_at"])
    activity_log(campaign=campaign, actor=user, action=ActivityAction.FINISHED, note=reason)
    return campaign


@transaction.atomic
def campaigns_roll_status(*, today) -> dict[str, int]:
    """Start approved campaigns whose first day has come and finish those whose schedule
    is over (a daily task; running it twice changes nothing)."""
    started = finished = 0
    candidates = CareCampaign.objects.select_for_update().filter(
        status__in=(CampaignStatus.APPROVED, CampaignStatus.ACTIVE)
    )
    for campaign in candidates:
        status = running_status(campaign, today)
        if status == campaign.status:
            continue
        campaign.status = status
        campaign.save(update_fields=["status", "updated_at"])
        action = (
            ActivityAction.ACTIVATED if status == CampaignStatus.ACTIVE else ActivityAction.FINISHED
        )
        activity_log(campaign=campaign, actor=None, action=action)
        if status == CampaignStatus.ACTIVE:
            started += 1
        else:
            finished += 1
    return {"started": started, "finished": finished}
