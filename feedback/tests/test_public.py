"""The customer's survey page: one link, one customer, one survey; answers checked, a
second submission edits; a closed survey refuses with a clear page."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from feedback.models import Answer, QuestionKind, Response, SurveyStatus
from feedback.signals import response_saved
from feedback.tests.factories import (
    ChoiceFactory,
    QuestionFactory,
    SurveyFactory,
    SurveyInvitationFactory,
)
from feedback.tokens import invitation_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world(department_a):
    survey = SurveyFactory(department=department_a, title="满意度", title_en="Satisfaction")
    rating = QuestionFactory(survey=survey, kind=QuestionKind.RATING, position=0)
    nps = QuestionFactory(survey=survey, kind=QuestionKind.NPS, position=1, text_en="Recommend?")
    single = QuestionFactory(survey=survey, kind=QuestionKind.SINGLE, position=2)
    good, bad = ChoiceFactory(question=single), ChoiceFactory(question=single)
    comment = QuestionFactory(
        survey=survey, kind=QuestionKind.TEXT, position=3, required=False, text_en="Comment"
    )
    invitation = SurveyInvitationFactory(survey=survey)
    return {
        "survey": survey,
        "rating": rating,
        "nps": nps,
        "single": single,
        "good": good,
        "bad": bad,
        "comment": comment,
        "invitation": invitation,
        "url": f"/q/{invitation_token(invitation)}/",
    }


def answers(w, **override):
    data = {
        f"q{w['rating'].pk}": "4",
        f"q{w['nps'].pk}": "9",
        f"q{w['single'].pk}": str(w["good"].pk),
        f"q{w['comment'].pk}": "很好",
    }
    data.update(override)
    return data


def test_the_page_opens_without_login_in_english_with_the_questions(world):
    page = Client().get(world["url"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Satisfaction" in html and "Recommend?" in html
    assert page["Cache-Control"] == "no-store, private"


def test_answers_are_saved_once_and_a_second_submission_edits(world):
    received = []

    def listener(sender, response, created, **kwargs):
        received.append(created)

    response_saved.connect(listener)
    try:
        client = Client()
        assert client.post(world["url"], answers(world)).status_code == 302
        again = client.post(world["url"], answers(world, **{f"q{world['rating'].pk}": "2"}))
        assert again.status_code == 302
    finally:
        response_saved.disconnect(listener)
    response = Response.objects.get()
    assert response.customer == world["invitation"].customer
    assert response.answers.get(question=world["rating"]).score == 2
    assert list(response.answers.get(question=world["single"]).choices.all()) == [world["good"]]
    assert received == [True, False]
    world["invitation"].refresh_from_db()
    assert world["invitation"].responded_at is not None
    page = client.get(world["url"] + "?saved=1").content.decode()
    assert 'value="2" checked' in page and "很好" in page  # saved answers shown


def test_a_tampered_or_foreign_token_is_a_clear_404(world, department_a):
    token = invitation_token(world["invitation"])
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert Client().get(f"/q/{tampered}/").status_code == 404
    other = SurveyInvitationFactory(survey=SurveyFactory(department=department_a))
    # another invitation's id with this one's signature
    foreign = invitation_token(other).split("-")[0] + "-" + token.split("-")[1]
    page = Client().get(f"/q/{foreign}/")
    assert page.status_code == 404 and "This link is not valid" in page.content.decode()
    assert Client().post(f"/q/{foreign}/", answers(world)).status_code == 404
    assert not Response.objects.exists()


def test_a_closed_survey_refuses_answers_with_a_clear_page(world):
    survey = world["survey"]
    survey.status = SurveyStatus.CLOSED
    survey.save()
    page = Client().post(world["url"], answers(world))
    assert page.status_code == 409
    assert "no longer takes answers" in page.content.decode()
    assert not Response.objects.exists()


def test_a_survey_past_its_closing_time_refuses_even_before_the_beat_closes_it(world):
    survey = world["survey"]
    survey.opens_at = timezone.now() - dt.timedelta(days=3)
    survey.closes_at = timezone.now() - dt.timedelta(minutes=1)
    survey.save()
    assert Client().post(world["url"], answers(world)).status_code == 409


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rating": ""}, "Please answer this question."),
        ({"rating": "6"}, "Choose a score from 1 to 5."),
        ({"nps": "11"}, "Choose a score from 0 to 10."),
        ({"nps": "-1"}, "Choose a score from 0 to 10."),
        ({"rating": "abc"}, "Choose a score from 1 to 5."),
        ({"comment": "长" * 2001}, "At most 2000 characters"),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_stored(world, change, message):
    data = answers(world, **{f"q{world[k].pk}": v for k, v in change.items()})
    page = Client().post(world["url"], data)
    assert page.status_code == 400
    html = page.content.decode()
    assert message in html and 'id="survey-errors"' in html
    assert not Response.objects.exists()


def test_another_surveys_question_or_choice_is_refused(world, department_a):
    other = QuestionFactory(survey=SurveyFactory(department=department_a))
    page = Client().post(world["url"], {**answers(world), f"q{other.pk}": "5"})
    assert page.status_code == 400
    assert "not in this survey" in page.content.decode()
    foreign_choice = ChoiceFactory()
    page = Client().post(
        world["url"], answers(world, **{f"q{world['single'].pk}": str(foreign_choice.pk)})
    )
    assert page.status_code == 400 and "Choose one of the answers offered." in page.content.decode()
    two = [str(world["good"].pk), str(world["bad"].pk)]
    page = Client().post(world["url"], answers(world, **{f"q{world['single'].pk}": two}))
    assert page.status_code == 400 and "Choose only one answer." in page.content.decode()
    assert not Response.objects.exists()


def test_html_in_a_comment_is_stored_as_text_and_shown_escaped(world):
    script = "<script>alert(1)</script>"
    client = Client()
    assert (
        client.post(world["url"], answers(world, **{f"q{world['comment'].pk}": script})).status_code
        == 302
    )
    assert Answer.objects.get(question=world["comment"]).text == script
    html = client.get(world["url"]).content.decode()
    assert script not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_an_anonymous_survey_keeps_the_answers_not_the_person(world):
    survey = world["survey"]
    survey.anonymous = True
    survey.save()
    assert Client().post(world["url"], answers(world)).status_code == 302
    assert Response.objects.get().customer is None


def test_the_page_speaks_chinese_by_default_and_english_after_the_switch(world, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client = Client()
    html = client.get(world["url"]).content.decode()
    assert "满意度" in html and world["rating"].text in html and "Recommend?" not in html
    assert 'id="language-form"' in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(world["url"]).content.decode()
    assert "Satisfaction" in html and "Recommend?" in html
