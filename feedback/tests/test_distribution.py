"""Sending surveys through delivery: invitations with the personal link, one reminder,
the quarterly VIP survey and its coverage, and the triggered surveys."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from customers.models import InteractionKind, InteractionOutcome
from customers.services.interactions import interaction_resolve
from customers.tests.factories import CustomerFactory, InteractionFactory, OrderFactory
from delivery.models import FrequencyCap, OutboxMessage, QuietHours
from delivery.selectors.suppression import local_zone
from delivery.services.sending import messages_send
from delivery.tests.senders import consent
from events.models import EventStatus
from events.tests.factories import EventFactory, GuestFactory
from feedback.models import (
    QuestionKind,
    Survey,
    SurveyInvitation,
    SurveyKind,
    SurveyStatus,
    SurveyTrigger,
)
from feedback.selectors.surveys import survey_coverage
from feedback.services.distribution import (
    purchases_due,
    reminders_due,
    survey_remind,
    vip_quarterly_run,
)
from feedback.services.responses import response_submit
from feedback.sources import SURVEY_INVITATION, SURVEY_REMINDER
from feedback.tests.factories import QuestionFactory, SurveyFactory, SurveyInvitationFactory
from segmentation.tests.factories import SegmentFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _open_delivery(settings):
    settings.LANGUAGE_CODE = "en"
    FrequencyCap.objects.all().delete()
    QuietHours.objects.all().delete()


def survey_with_question(department, **fields):
    survey = SurveyFactory(department=department, **fields)
    QuestionFactory(survey=survey, kind=QuestionKind.RATING)
    return survey


def test_inviting_the_segment_sends_each_customer_their_own_link_once(
    department_a, department_b, staff_a
):
    survey = survey_with_question(department_a, title_en="Service check")
    segment = SegmentFactory(department=department_a)  # no conditions: the whole department
    survey.target_segments.add(segment)
    one = CustomerFactory(department=department_a)
    two = CustomerFactory(department=department_a)
    consent(one, "sms")
    consent(two, "sms")
    CustomerFactory(department=department_b)  # another department's customer
    client = Client()
    client.force_login(staff_a)
    assert client.post(f"/feedback/surveys/{survey.pk}/invite/").status_code == 302
    assert client.post(f"/feedback/surveys/{survey.pk}/invite/").status_code == 302  # again
    assert SurveyInvitation.objects.filter(survey=survey).count() == 2
    assert OutboxMessage.objects.filter(source__kind=SURVEY_INVITATION).count() == 2
    assert messages_send(seconds=10).sent == 2
    bodies = {m.customer_id: m.body for m in OutboxMessage.objects.all()}
    assert "Service check" in bodies[one.pk] and "/s/" in bodies[one.pk]
    assert bodies[one.pk] != bodies[two.pk]


def test_one_reminder_per_invitation_and_only_to_those_who_have_not_answered(department_a):
    survey = survey_with_question(department_a)
    quiet = SurveyInvitationFactory(survey=survey)
    answered = SurveyInvitationFactory(survey=survey)
    for invitation in (quiet, answered):
        consent(invitation.customer, "sms")
    question = survey.questions.get()
    response_submit(invitation=answered, answers={question.pk: 5}, source="online")
    assert survey_remind(survey=survey) == 1
    assert survey_remind(survey=survey) == 0
    quiet.refresh_from_db()
    assert quiet.reminded_at is not None
    reminders = OutboxMessage.objects.filter(source__kind=SURVEY_REMINDER)
    assert list(reminders.values_list("customer_id", flat=True)) == [quiet.customer_id]
    assert reminders_due()["reminded"] == 0


def test_the_quarterly_vip_survey_opens_and_invites_every_vip_and_coverage_counts(
    department_a, department_b
):
    vips = [CustomerFactory(department=department_a, vip_level=v) for v in ("gold", "silver")]
    CustomerFactory(department=department_a, vip_level="normal")
    CustomerFactory(department=department_b, vip_level="diamond")
    assert vip_quarterly_run(day=dt.date(2026, 12, 2)) == {"surveys": 0, "invited": 0}
    first_day = timezone.localtime(timezone.now(), local_zone()).date().replace(day=1)
    first_day = first_day.replace(month=(first_day.month - 1) // 3 * 3 + 1)
    result = vip_quarterly_run(day=first_day)
    assert result == {"surveys": 2, "invited": 3}
    assert vip_quarterly_run(day=first_day)["invited"] == 0  # idempotent
    survey = Survey.objects.get(department=department_a, kind=SurveyKind.VIP_QUARTERLY)
    assert survey.status == SurveyStatus.OPEN and survey.questions.count() == 5
    invited = set(SurveyInvitation.objects.filter(survey=survey).values_list("customer", flat=True))
    assert invited == {c.pk for c in vips}
    invitation = SurveyInvitation.objects.get(survey=survey, customer=vips[0])
    answers = {q.pk: 5 for q in survey.questions.exclude(kind="text")}
    response_submit(invitation=invitation, answers=answers, source="online")
    coverage = survey_coverage(survey)
    assert (coverage.invited, coverage.answered, coverage.percent) == (2, 1, 50)
    assert not coverage.goal_met


def test_a_resolved_complaint_invites_the_customer_to_the_after_service_survey(
    department_a, staff_a
):
    survey = survey_with_question(department_a, trigger=SurveyTrigger.COMPLAINT_RESOLVED)
    customer = CustomerFactory(department=department_a)
    complaint = InteractionFactory(
        customer=customer, kind=InteractionKind.COMPLAINT, outcome=InteractionOutcome.OPEN
    )
    assert not SurveyInvitation.objects.exists()
    interaction_resolve(interaction=complaint, user=staff_a, resolution="已退款")
    invitation = SurveyInvitation.objects.get()
    assert (invitation.survey, invitation.customer) == (survey, customer)
    other = InteractionFactory(customer=customer, kind=InteractionKind.COMPLAINT)
    interaction_resolve(interaction=other, user=staff_a)
    assert SurveyInvitation.objects.count() == 1  # once per customer and survey


def test_an_event_held_invites_those_who_came(department_a):
    event = EventFactory(department=department_a, status=EventStatus.OPEN)
    survey = survey_with_question(department_a, trigger=SurveyTrigger.EVENT_HELD, event=event)
    came = GuestFactory(event=event, checked_in_at=timezone.now())
    GuestFactory(event=event)  # did not come
    event.status = EventStatus.HELD
    event.save()
    assert list(SurveyInvitation.objects.values_list("survey", "customer")) == [
        (survey.pk, came.customer_id)
    ]


def test_events_marked_held_in_bulk_are_caught_by_the_hourly_pass(department_a):
    from events.services.events import events_mark_held
    from feedback.services.distribution import held_events_due

    event = EventFactory(department=department_a, status=EventStatus.OPEN)
    survey = survey_with_question(department_a, trigger=SurveyTrigger.EVENT_HELD)
    came = GuestFactory(event=event, checked_in_at=timezone.now())
    events_mark_held(now=event.ends_at + dt.timedelta(minutes=1))
    assert held_events_due(now=event.ends_at + dt.timedelta(hours=1)) == {"invited": 1}
    assert held_events_due(now=event.ends_at + dt.timedelta(hours=2)) == {"invited": 0}
    assert survey.invitations.get().customer_id == came.customer_id


def test_customers_are_invited_the_set_number_of_days_after_a_purchase(department_a):
    survey = survey_with_question(
        department_a, trigger=SurveyTrigger.AFTER_PURCHASE, trigger_delay_days=7
    )
    today = timezone.localtime(timezone.now(), local_zone()).date()
    week_ago = timezone.now() - dt.timedelta(days=7)
    buyer = CustomerFactory(department=department_a)
    OrderFactory(customer=buyer, ordered_at=week_ago)
    OrderFactory(customer=CustomerFactory(department=department_a))  # 10 days ago
    assert purchases_due(day=today)["invited"] == 1
    OrderFactory(customer=buyer, ordered_at=week_ago)
    assert purchases_due(day=today)["invited"] == 0
    assert list(SurveyInvitation.objects.values_list("customer", flat=True)) == [buyer.pk]
    assert survey.invitations.count() == 1


def test_staff_enter_answers_from_a_phone_call(department_a, staff_a):
    survey = survey_with_question(department_a)
    customer = CustomerFactory(department=department_a, mobile="+8613955556666")
    question = survey.questions.get()
    client = Client()
    client.force_login(staff_a)
    bad = client.post(
        f"/feedback/surveys/{survey.pk}/answers/",
        {"customer": "13955556666", "source": "phone", f"q{question.pk}": "9"},
    )
    assert bad.status_code == 400 and not survey.responses.exists()
    ok = client.post(
        f"/feedback/surveys/{survey.pk}/answers/",
        {"customer": "13955556666", "source": "phone", f"q{question.pk}": "3"},
    )
    assert ok.status_code == 302
    response = survey.responses.get()
    assert (response.customer, response.source, response.entered_by) == (
        customer,
        "phone",
        staff_a,
    )
    assert response.invitation.responded_at is not None
