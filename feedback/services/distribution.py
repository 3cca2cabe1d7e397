"""Sending surveys: invitation rows first, then one ``messages_enqueue`` per channel so
delivery applies consent, unsubscribes, caps and quiet hours and sends each message once
(docs/delivery.md). Also the automatic sends: one reminder to customers who have not
answered, the quarterly VIP survey, and the triggered surveys (a complaint resolved, an
event held, a purchase some days ago)."""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, CustomerStatus, Order, VipLevel
from delivery.models import CareKind, Priority
from delivery.selectors.suppression import local_zone
from delivery.services.enqueue import DispatchResult, messages_enqueue
from events.selectors.guests import channel_audiences
from feedback.models import Survey, SurveyInvitation, SurveyKind, SurveyStatus, SurveyTrigger
from feedback.selectors.surveys import accepts_answers
from feedback.services.surveys import survey_create, survey_open
from feedback.sources import SURVEY_INVITATION, SURVEY_REMINDER, survey_source

REMIND_AFTER_DAYS = 3


@dataclass
class InviteResult:
    invited: int = 0
    messages: DispatchResult = field(default_factory=DispatchResult)


def _today() -> dt.date:
    return timezone.localtime(timezone.now(), local_zone()).date()


def survey_messages_enqueue(
    *, survey: Survey, kind: str, customers, occasion: dt.date | None = None
) -> DispatchResult:
    source = survey_source(survey, kind)
    now = timezone.now()
    total = DispatchResult()
    for channel, audience in channel_audiences(customers):
        total.add(
            messages_enqueue(
                source=source,
                occasion=occasion or _today(),
                channel=channel,
                audience=audience,
                care_kind=CareKind.SERVICE,
                priority=Priority.NORMAL,
                send_after=now,
                now=now,
            )
        )
    return total


def _require_sendable(survey: Survey) -> None:
    if not accepts_answers(survey):
        raise ValidationError(_("Invitations go out only while the survey is open."))


def customers_invite(*, survey: Survey, customers, reason: str = "", user=None) -> InviteResult:
    """Invite the active customers of ``customers`` (a queryset) of the survey's
    department who are not invited yet, and send them the invitation. Running it again
    invites only newcomers."""
    _require_sendable(survey)
    invited = SurveyInvitation.objects.filter(survey=survey, customer=OuterRef("pk"))
    new_ids = list(
        customers.filter(status=CustomerStatus.ACTIVE, department_id=survey.department_id)
        .filter(~Exists(invited))
        .order_by()
        .values_list("pk", flat=True)
        .distinct()
    )
    SurveyInvitation.objects.bulk_create(
        [SurveyInvitation(survey=survey, customer_id=pk, reason=reason[:200]) for pk in new_ids],
        ignore_conflicts=True,
    )
    result = InviteResult(invited=len(new_ids))
    if new_ids:
        result.messages = survey_messages_enqueue(
            survey=survey, kind=SURVEY_INVITATION, customers=Customer.objects.filter(pk__in=new_ids)
        )
    return result


def segment_customers_invite(*, survey: Survey, user=None) -> InviteResult:
    """Everyone of the survey's target segments (members read set-based)."""
    from segmentation.selectors import segment_customers

    segments = list(survey.target_segments.all())
    if not segments:
        raise ValidationError(_("Choose at least one target segment first."))
    members = Q(pk__in=[])
    for segment in segments:
        members |= Q(pk__in=segment_customers(segment).values("pk"))
    return customers_invite(
        survey=survey, customers=Customer.objects.filter(members), reason=_("Target segment")
    )


def customer_invite(*, survey: Survey, customer: Customer, user=None) -> SurveyInvitation:
    if customer.department_id != survey.department_id:
        raise ValidationError(_("Only customers of the survey's department can be invited."))
    if SurveyInvitation.objects.filter(survey=survey, customer=customer).exists():
        raise ValidationError(_("This customer is already invited."))
    customers_invite(
        survey=survey, customers=Customer.objects.filter(pk=customer.pk), reason=_("By hand")
    )
    invitation = SurveyInvitation.objects.filter(survey=survey, customer=customer).first()
    if invitation is None:
        raise ValidationError(_("Only active customers can be invited."))
    return invitation


def survey_remind(*, survey: Survey, user=None, older_than_days: int = 0) -> int:
    """Remind invited customers who have not answered; once per invitation
    (``reminded_at``). Returns how many were reminded."""
    _require_sendable(survey)
    now = timezone.now()
    due = SurveyInvitation.objects.filter(
        survey=survey,
        responded_at__isnull=True,
        reminded_at__isnull=True,
        invited_at__lte=now - dt.timedelta(days=older_than_days),
    )
    ids = list(due.values_list("customer_id", flat=True))
    if not ids:
        return 0
    SurveyInvitation.objects.filter(survey=survey, customer_id__in=ids).update(reminded_at=now)
    survey_messages_enqueue(
        survey=survey, kind=SURVEY_REMINDER, customers=Customer.objects.filter(pk__in=ids)
    )
    return len(ids)


def reminders_due(*, now: dt.datetime | None = None) -> dict:
    """The beat task: one reminder, after ``REMIND_AFTER_DAYS``, in every open survey."""
    reminded = 0
    for survey in Survey.objects.filter(status=SurveyStatus.OPEN):
        if accepts_answers(survey, now):
            reminded += survey_remind(survey=survey, older_than_days=REMIND_AFTER_DAYS)
    return {"reminded": reminded}


# --- the quarterly VIP survey ------------------------------------------------------------


def quarter_bounds(day: dt.date) -> tuple[dt.date, dt.date, int]:
    """First day of the quarter, first day of the next, and its number."""
    quarter = (day.month - 1) // 3 + 1
    start = dt.date(day.year, 3 * quarter - 2, 1)
    end = dt.date(day.year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return start, end, quarter


def vip_customers(department):
    return Customer.objects.filter(department=department, status=CustomerStatus.ACTIVE).exclude(
        vip_level__in=["", VipLevel.NORMAL]
    )


def vip_survey_for_quarter(*, department, day: dt.date | None = None) -> tuple[Survey, bool]:
    """The department's VIP survey of ``day``'s quarter, made from the template and
    opened the first time. Returns (survey, created)."""
    day = day or _today()
    start, end, quarter = quarter_bounds(day)
    zone = local_zone()
    opens = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    closes = dt.datetime.combine(end, dt.time.min, tzinfo=zone)
    existing = Survey.objects.filter(
        department=department,
        kind=SurveyKind.VIP_QUARTERLY,
        opens_at__gte=opens,
        opens_at__lt=closes,
    ).first()
    if existing:
        return existing, False
    survey = survey_create(
        user=None,
        department=department,
        from_template=True,
        data={
            "kind": SurveyKind.VIP_QUARTERLY,
            "title": f"VIP客户满意度调查 {start.year}年第{quarter}季度",
            "title_en": f"VIP satisfaction survey Q{quarter} {start.year}",
            "opens_at": opens,
            "closes_at": closes,
        },
    )
    survey_open(survey=survey)
    return survey, True


def vip_quarterly_run(*, day: dt.date | None = None, force: bool = False) -> dict:
    """The beat task, daily: on the first day of a quarter (or ``force``), per department
    with VIPs, the quarter's survey opened and every VIP invited. Idempotent."""
    from carecrm.accounts.models import Department

    day = day or _today()
    if not force and (day.day != 1 or day.month not in (1, 4, 7, 10)):
        return {"surveys": 0, "invited": 0}
    surveys = invited = 0
    for department in Department.objects.all():
        vips = vip_customers(department)
        if not vips.exists():
            continue
        survey, _created = vip_survey_for_quarter(department=department, day=day)
        if not accepts_answers(survey):
            continue
        surveys += 1
        invited += customers_invite(survey=survey, customers=vips, reason=_("VIP customer")).invited
    return {"surveys": surveys, "invited": invited}


# --- triggered surveys -------------------------------------------------------------------


def trigger_surveys(*, trigger: str, department_id: int, event=None) -> list[Survey]:
    """The open surveys of ``trigger`` in the department (for an event: the ones about it,
    else the ones about no event in particular)."""
    surveys = Survey.objects.filter(
        status=SurveyStatus.OPEN, trigger=trigger, department_id=department_id
    )
    if event is not None:
        own = [s for s in surveys.filter(event=event) if accepts_answers(s)]
        if own:
            return own
        surveys = surveys.filter(event__isnull=True)
    return [survey for survey in surveys if accepts_answers(survey)]


def complaint_resolved(*, interaction) -> int:
    """Invite the customer whose complaint was resolved to the after-service survey."""
    customer = interaction.customer
    invited = 0
    for survey in trigger_surveys(
        trigger=SurveyTrigger.COMPLAINT_RESOLVED, department_id=customer.department_id
    ):
        invited += customers_invite(
            survey=survey,
            customers=Customer.objects.filter(pk=customer.pk),
            reason=_("Complaint resolved"),
        ).invited
    return invited


def event_held(*, event) -> int:
    """Invite the guests who came (checked in) to the after-event survey."""
    from events.models import Guest

    attendees = Customer.objects.filter(
        pk__in=Guest.objects.filter(event=event, checked_in_at__isnull=False).values("customer_id")
    )
    invited = 0
    for survey in trigger_surveys(
        trigger=SurveyTrigger.EVENT_HELD, department_id=event.department_id, event=event
    ):
        invited += customers_invite(
            survey=survey,
            customers=attendees,
            reason=_("Came to %(event)s") % {"event": event.title},
        ).invited
    return invited


def purchases_due(*, day: dt.date | None = None) -> dict:
    """The beat task, daily: customers whose order was placed ``trigger_delay_days`` ago
    (local day) are invited to the open after-purchase survey; once per survey."""
    day = day or _today()
    zone = local_zone()
    invited = 0
    for survey in Survey.objects.filter(
        status=SurveyStatus.OPEN, trigger=SurveyTrigger.AFTER_PURCHASE
    ):
        if not accepts_answers(survey):
            continue
        ordered_on = day - dt.timedelta(days=survey.trigger_delay_days)
        start = dt.datetime.combine(ordered_on, dt.time.min, tzinfo=zone)
        buyers = Customer.objects.filter(
            pk__in=Order.objects.filter(
                ordered_at__gte=start, ordered_at__lt=start + dt.timedelta(days=1), amount__gt=0
            ).values("customer_id")
        )
        invited += customers_invite(
            survey=survey,
            customers=buyers,
            reason=_("Purchase on %(day)s") % {"day": ordered_on.isoformat()},
        ).invited
    return {"day": day.isoformat(), "invited": invited}


HELD_EVENT_WINDOW_DAYS = 14


def held_events_due(*, now: dt.datetime | None = None) -> dict:
    """The beat task, hourly: events marked held in bulk (``events_mark_held`` updates
    rows without a save signal) and guests checked in late still get the after-event
    survey. Only events that ended in the last two weeks; idempotent."""
    from events.models import Event, EventStatus

    now = now or timezone.now()
    events = Event.objects.filter(
        status__in=(EventStatus.HELD, EventStatus.REVIEWED),
        ends_at__gte=now - dt.timedelta(days=HELD_EVENT_WINDOW_DAYS),
        department__surveys__status=SurveyStatus.OPEN,
        department__surveys__trigger=SurveyTrigger.EVENT_HELD,
    ).distinct()
    invited = sum(event_held(event=event) for event in events)
    return {"invited": invited}
