"""Survey results on other apps' pages: the event review (a section, the satisfaction and
feedback-rate goals), the campaign page (a panel through the core registry) and the
customer's timeline.

Event world: guests g1, g2, g3 checked in, g4 invited only. Answers to the survey linked
to the event (rating 1–5): g1 5, g2 1, g4's customer 4, an anonymous response 2.
Satisfaction = CSAT = ratings 4–5 (5, 4) = 2 of 4 = 50.0 %.
Feedback rate = attendees who responded (g1, g2) / attendees (3) = 66.7 %.
"""

from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.tests.factories import CampaignFactory
from carecrm.core.registry import panels_for
from events.models import GoalMetric
from events.tests.factories import EventFactory, EventGoalFactory, GuestFactory
from feedback.models import QuestionKind, Response
from feedback.selectors.results import event_feedback_rate, event_satisfaction
from feedback.tests.factories import (
    AnswerFactory,
    FeedbackItemFactory,
    QuestionFactory,
    SurveyFactory,
)

pytestmark = pytest.mark.django_db


def answer(survey, question, customer, score):
    response = Response.objects.create(
        survey=survey, customer=customer, submitted_at=timezone.now()
    )
    AnswerFactory(response=response, question=question, score=score)


@pytest.fixture
def event_world(department_a, manager_a):
    event = EventFactory(department=department_a, owner=manager_a)
    now = timezone.now()
    g1, g2, g3 = (GuestFactory(event=event, checked_in_at=now) for _ in range(3))
    g4 = GuestFactory(event=event)
    survey = SurveyFactory(department=department_a, event=event, title="活动后调查")
    question = QuestionFactory(survey=survey, kind=QuestionKind.RATING)
    answer(survey, question, g1.customer, 5)
    answer(survey, question, g2.customer, 1)
    answer(survey, question, g4.customer, 4)
    answer(survey, question, None, 2)
    assert g3.checked_in_at
    return event


def test_event_satisfaction_and_feedback_rate_equal_the_hand_computation(event_world):
    assert event_satisfaction(event_world) == Decimal("50.0")
    assert event_feedback_rate(event_world) == Decimal("66.7")


def test_an_event_without_a_survey_is_not_measured(department_a):
    event = EventFactory(department=department_a)
    assert event_satisfaction(event) is None and event_feedback_rate(event) is None


def test_the_review_shows_the_survey_section_and_the_goals_actuals(event_world, manager_a_client):
    EventGoalFactory(event=event_world, metric=GoalMetric.SATISFACTION, target=90)
    EventGoalFactory(event=event_world, metric=GoalMetric.FEEDBACK_RATE, target=50)
    body = manager_a_client.get(f"/events/{event_world.pk}/review/").content.decode()
    assert 'id="review-section-survey"' in body and "Post-event survey" in body
    satisfaction = body.split('data-goal="satisfaction"')[1].split("</tr>")[0]
    assert "50.0" in satisfaction
    rate = body.split('data-goal="feedback_rate"')[1].split("</tr>")[0]
    assert "66.7" in rate


def test_another_departments_reader_gets_no_section(event_world, staff_b):
    from events.registry import review_sections

    sections = [fn(event_world, staff_b) for fn in review_sections]
    assert all(s is None or s.key != "survey" for s in sections)


def test_the_campaign_page_shows_the_survey_panel(department_a, manager_a, manager_a_client):
    campaign = CampaignFactory(department=department_a, created_by=manager_a, owner=manager_a)
    assert panels_for("campaign", campaign, manager_a) == []
    survey = SurveyFactory(department=department_a, campaign=campaign, title="活动满意度")
    rating = QuestionFactory(survey=survey, kind=QuestionKind.RATING)
    nps = QuestionFactory(survey=survey, kind=QuestionKind.NPS)
    answer(survey, rating, None, 5)
    answer(survey, nps, None, 10)
    answer(survey, nps, None, 0)
    body = manager_a_client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'id="panel-survey-results"' in body
    panel = body.split('id="panel-survey-results"')[1].split("card-footer")[0]
    # CSAT 1 of 1 = 100.0 %; NPS (1 − 1) / 2 = 0.0
    assert "100.0 %" in panel and "0.0" in panel
    assert f"/feedback/surveys/{survey.pk}/results/" in body


def test_the_customer_page_timeline_shows_answers_and_items(department_a, manager_a_client):
    survey = SurveyFactory(department=department_a, title="服务回访")
    question = QuestionFactory(survey=survey, kind=QuestionKind.RATING)
    item = FeedbackItemFactory(department=department_a, title="送货太慢")
    answer(survey, question, item.customer, 4)
    body = manager_a_client.get(f"/customers/{item.customer.pk}/").content.decode()
    assert "服务回访" in body and "送货太慢" in body
