"""Feedback items (care programme §7): created from low survey scores and negative
comments, complaints, SMS replies that complain, or by hand; owned, answered and resolved
within deadlines by severity, escalated to the department's managers when a deadline is
missed, and checked back with the customer after resolution."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from carecrm.accounts.models import Role, User
from carecrm.core.dispatch import task_enqueue
from carecrm.core.scoping import visible_to
from customers.models import Customer, Interaction
from feedback.keywords import is_negative, suggest_category
from feedback.models import (
    FeedbackItem,
    FollowUpOutcome,
    ItemActivity,
    ItemSource,
    ItemStatus,
    QuestionKind,
    Response,
    Severity,
    Topic,
)
from feedback.selectors.items import breach_level, deadline_hours, items_to_escalate, low_scores
from segmentation.services.managers import department_managers

FOLLOW_UP_DAYS = 3
# segmentation's churn rules, low survey scores among them (segmentation/tasks.py)
EVALUATE_ALERTS = "segmentation.evaluate_risk_alerts"
TRANSITIONS = {
    ItemStatus.NEW: {ItemStatus.IN_PROGRESS, ItemStatus.RESOLVED},
    ItemStatus.IN_PROGRESS: {ItemStatus.RESOLVED},
    ItemStatus.RESOLVED: {ItemStatus.CLOSED, ItemStatus.IN_PROGRESS},
    ItemStatus.CLOSED: {ItemStatus.IN_PROGRESS},
}


def _log(item: FeedbackItem, action: str, user=None, note: str = "") -> None:
    ItemActivity.objects.create(item=item, action=action, actor=user, note=note)


def default_owner(*, customer: Customer | None, department_id: int) -> User | None:
    """The customer's relationship manager, else the first manager of the department."""
    if customer is not None and customer.relationship_manager_id:
        manager = customer.relationship_manager
        if manager.is_active:
            return manager
    return department_managers([department_id]).get(department_id)


def item_create(
    *,
    title: str,
    department_id: int,
    source: str,
    customer: Customer | None = None,
    description: str = "",
    category: str = "",
    severity: str = Severity.MEDIUM,
    owner: User | None = None,
    response: Response | None = None,
    interaction: Interaction | None = None,
    user=None,
    now: dt.datetime | None = None,
) -> FeedbackItem:
    """Create an item with its deadlines by severity and a suggested category (used when
    no category is given)."""
    now = now or timezone.now()
    suggested = suggest_category(f"{title}\n{description}")
    respond_h, resolve_h = deadline_hours(severity)
    item = FeedbackItem(
        title=title[:200],
        description=description[:5000],
        customer=customer,
        department_id=department_id,
        source=source,
        response=response,
        interaction=interaction,
        category=category or suggested or Topic.OTHER,
        suggested_category=suggested,
        severity=severity,
        owner=owner or default_owner(customer=customer, department_id=department_id),
        respond_by=now + dt.timedelta(hours=respond_h),
        resolve_by=now + dt.timedelta(hours=resolve_h),
        created_by=user,
    )
    item.full_clean(exclude=["response", "interaction"])
    item.save()
    _log(item, "created", user)
    return item


def item_create_by_hand(*, user, fields: dict) -> FeedbackItem:
    customer = fields.get("customer")
    if (
        customer is not None
        and not visible_to(user, Customer.objects.filter(pk=customer.pk)).exists()
    ):
        raise ValidationError({"customer": _("You cannot file an item for this customer.")})
    department_id = customer.department_id if customer else user.department_id
    if department_id is None:
        raise ValidationError({"customer": _("Choose a customer: you belong to no department.")})
    owner = fields.get("owner")
    if owner is not None and owner.department_id != department_id and not owner.is_admin_role:
        raise ValidationError({"owner": _("The owner must belong to the customer's department.")})
    with transaction.atomic():
        return item_create(
            title=fields["title"],
            description=fields.get("description", ""),
            customer=customer,
            department_id=department_id,
            source=ItemSource.MANUAL,
            category=fields.get("category") or "",
            severity=fields.get("severity") or Severity.MEDIUM,
            owner=owner,
            user=user,
        )


def _check_can_change(item: FeedbackItem, user) -> None:
    if user is None:
        return
    if (
        not user.has_perm("feedback.change_feedbackitem")
        or not visible_to(user, FeedbackItem.objects.filter(pk=item.pk)).exists()
    ):
        raise PermissionDenied(_("You cannot change this feedback item."))


def _move(item: FeedbackItem, target: str) -> None:
    if target not in TRANSITIONS.get(item.status, set()):
        raise ValidationError(
            _("A %(from)s item cannot become %(to)s.")
            % {"from": item.get_status_display(), "to": ItemStatus(target).label}
        )
    item.status = target


@transaction.atomic
def item_take(*, item: FeedbackItem, user) -> FeedbackItem:
    """Become the owner and start working on the item."""
    _check_can_change(item, user)
    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    if item.status not in (ItemStatus.NEW, ItemStatus.IN_PROGRESS):
        raise ValidationError(_("Only an open item can be taken; reopen it first."))
    item.status = ItemStatus.IN_PROGRESS
    item.owner = user
    item.save(update_fields=["status", "owner", "updated_at"])
    _log(item, "taken", user)
    return item


@transaction.atomic
def item_respond(*, item: FeedbackItem, user, note: str = "", now=None) -> FeedbackItem:
    """Record the first response to the customer (stops the response clock)."""
    _check_can_change(item, user)
    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    if item.responded_at is not None:
        raise ValidationError(_("The first response is already recorded."))
    if item.status not in (ItemStatus.NEW, ItemStatus.IN_PROGRESS):
        raise ValidationError(_("Only an open item can be answered."))
    if item.status == ItemStatus.NEW:
        _move(item, ItemStatus.IN_PROGRESS)
    item.responded_at = now or timezone.now()
    item.save(update_fields=["status", "responded_at", "updated_at"])
    _log(item, "responded", user, note.strip())
    return item


@transaction.atomic
def item_resolve(*, item: FeedbackItem, user, note: str, now=None) -> FeedbackItem:
    """Resolve with a note (required); the check back with the customer is due 3 days on."""
    _check_can_change(item, user)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"resolution_note": _("Say how the item was resolved.")})
    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    _move(item, ItemStatus.RESOLVED)
    now = now or timezone.now()
    item.resolved_at = now
    item.responded_at = item.responded_at or now
    item.resolution_note = note
    item.follow_up_due_on = timezone.localdate(now) + dt.timedelta(days=FOLLOW_UP_DAYS)
    item.follow_up_at = None
    item.follow_up_outcome = ""
    item.follow_up_note = ""
    item.save()
    _log(item, "resolved", user, note)
    return item


@transaction.atomic
def item_close(*, item: FeedbackItem, user, now=None) -> FeedbackItem:
    _check_can_change(item, user)
    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    _move(item, ItemStatus.CLOSED)
    item.closed_at = now or timezone.now()
    item.save(update_fields=["status", "closed_at", "updated_at"])
    _log(item, "closed", user)
    return item


def _reopen(item: FeedbackItem, user, note: str, now: dt.datetime) -> None:
    _move(item, ItemStatus.IN_PROGRESS)
    _respond_h, resolve_h = deadline_hours(item.severity)
    item.resolved_at = None
    item.closed_at = None
    item.resolve_by = now + dt.timedelta(hours=resolve_h)
    item.escalation_level = min(item.escalation_level, 1)
    _log(item, "reopened", user, note)


@transaction.atomic
def item_reopen(*, item: FeedbackItem, user, note: str = "", now=None) -> FeedbackItem:
    """Back to in progress with a fresh resolution deadline."""
    _check_can_change(item, user)
    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    _reopen(item, user, note.strip(), now or timezone.now())
    item.save()
    return item


@transaction.atomic
def item_follow_up(*, item: FeedbackItem, user, outcome: str, note: str = "", now=None):
    """Record the check back with the customer after resolution: satisfied closes the
    item, not satisfied reopens it, unreachable leaves it resolved."""
    _check_can_change(item, user)
    if outcome not in FollowUpOutcome.values:
        raise ValidationError({"follow_up_outcome": _("Choose what the customer said.")})
    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    if item.status != ItemStatus.RESOLVED:
        raise ValidationError(_("Check back with the customer once the item is resolved."))
    now = now or timezone.now()
    note = (note or "").strip()
    item.follow_up_at = now
    item.follow_up_outcome = outcome
    item.follow_up_note = note
    _log(item, f"follow_up_{outcome}", user, note)
    if outcome == FollowUpOutcome.SATISFIED:
        _move(item, ItemStatus.CLOSED)
        item.closed_at = now
    elif outcome == FollowUpOutcome.NOT_SATISFIED:
        _reopen(item, user, note, now)
    item.save()
    return item


# Items created automatically -------------------------------------------------------------


def _safe_create(**kwargs) -> FeedbackItem | None:
    """One item per response/interaction: a second delivery of the same signal is a no-op."""
    try:
        with transaction.atomic():
            return item_create(**kwargs)
    except IntegrityError:
        return None


def item_from_response(response: Response) -> FeedbackItem | None:
    """An item for a low score (CSAT ≤ 2, NPS ≤ 6) or a negative free-text comment; the
    customer is left out for an anonymous survey. Low scores also re-run the churn alerts
    so the customer's manager hears of it now, not at the nightly run."""
    if FeedbackItem.objects.filter(response=response).exists():
        return None
    survey = response.survey
    lows = low_scores(response)
    comments = [
        text.strip()
        for text in response.answers.filter(question__kind=QuestionKind.TEXT)
        .exclude(text="")
        .values_list("text", flat=True)
    ]
    negative = [text for text in comments if is_negative(text)]
    if not lows and not negative:
        return None
    customer = None if survey.anonymous else response.customer
    with translation.override(settings.LANGUAGE_CODE):
        if lows:
            title = _("Low score in “%(survey)s”") % {"survey": survey.title}
        else:
            title = _("Negative comment in “%(survey)s”") % {"survey": survey.title}
        lines = [
            _("%(kind)s: %(score)s") % {"kind": QuestionKind(kind).label, "score": score}
            for kind, score in lows
        ] + comments
    very_low = any(
        (kind == QuestionKind.RATING and score <= 1) or (kind == QuestionKind.NPS and score <= 3)
        for kind, score in lows
    )
    item = _safe_create(
        title=title,
        description="\n".join(lines),
        customer=customer,
        department_id=customer.department_id if customer else survey.department_id,
        source=ItemSource.SURVEY,
        severity=Severity.HIGH if very_low else Severity.MEDIUM,
        response=response,
    )
    if lows and customer is not None:
        # The churn rules run in a worker, not in the customer's request: a low score
        # raises the alert within moments, whatever the number of customers.
        task_enqueue(EVALUATE_ALERTS)
    return item


def item_from_complaint(interaction: Interaction) -> FeedbackItem | None:
    customer = interaction.customer
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Complaint from %(customer)s") % {"customer": customer.name}
    return _safe_create(
        title=title,
        description=interaction.summary,
        customer=customer,
        department_id=customer.department_id,
        source=ItemSource.COMPLAINT,
        severity=Severity.HIGH,
        interaction=interaction,
        user=interaction.staff,
    )


def item_from_reply(interaction: Interaction) -> FeedbackItem | None:
    """Only replies with negative keywords become items: "好的" and "谢谢" would bury the
    real complaints."""
    if not is_negative(interaction.summary):
        return None
    customer = interaction.customer
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Unhappy reply from %(customer)s") % {"customer": customer.name}
    return _safe_create(
        title=title,
        description=interaction.summary,
        customer=customer,
        department_id=customer.department_id,
        source=ItemSource.REPLY,
        severity=Severity.MEDIUM,
        interaction=interaction,
    )


# Escalation ------------------------------------------------------------------------------


def _managers_of(department_id: int) -> list[User]:
    return list(
        User.objects.filter(department_id=department_id, is_active=True, groups__name=Role.MANAGER)
        .exclude(email="")
        .order_by("pk")
    )


def _escalation_email(item: FeedbackItem, level: int, recipients: list[str]) -> None:
    url = settings.SITE_URL.rstrip("/") + reverse("feedback:item", args=[item.pk])
    with translation.override(settings.LANGUAGE_CODE):
        missed = (
            _("no first response by %(at)s")
            if item.responded_at is None and level == 1
            else _("not resolved by %(at)s")
        ) % {
            "at": timezone.localtime(item.respond_by if level == 1 else item.resolve_by).strftime(
                "%Y-%m-%d %H:%M"
            )
        }
        subject = _("Feedback item escalated (level %(level)s): %(title)s") % {
            "level": level,
            "title": item.title,
        }
        body = _(
            "The feedback item “%(title)s” (%(severity)s) missed its deadline: %(missed)s.\n"
            "Owner: %(owner)s\n%(url)s"
        ) % {
            "title": item.title,
            "severity": item.get_severity_display(),
            "missed": missed,
            "owner": item.owner or _("nobody"),
            "url": url,
        }
    send_mail(subject, body, None, recipients)


def items_escalate(*, now: dt.datetime | None = None) -> int:
    """Raise each item that missed a deadline to the level of deadlines missed and email
    the department's managers once per level. Safe to rerun; a failed email rolls the
    level back so the next run tries again."""
    now = now or timezone.now()
    escalated = 0
    for pk in list(items_to_escalate(now).values_list("pk", flat=True)):
        with transaction.atomic():
            item = (
                FeedbackItem.objects.select_for_update(of=("self",))
                .select_related("owner")
                .get(pk=pk)
            )
            level = breach_level(item, now)
            if level <= item.escalation_level:
                continue
            item.escalation_level = level
            item.escalated_at = now
            item.save(update_fields=["escalation_level", "escalated_at", "updated_at"])
            recipients = [user.email for user in _managers_of(item.department_id)]
            _log(item, "escalated", None, ", ".join(recipients))
            if recipients:
                _escalation_email(item, level, recipients)
            escalated += 1
    return escalated


@transaction.atomic
def item_accept_category(*, item: FeedbackItem, user) -> FeedbackItem:
    """Take the category suggested from the item's words."""
    _check_can_change(item, user)
    if not item.suggested_category:
        raise ValidationError(_("There is no suggested category to accept."))
    item.category = item.suggested_category
    item.save(update_fields=["category", "updated_at"])
    _log(item, "category", user, item.get_category_display())
    return item
