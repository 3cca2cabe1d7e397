"""The whole path in Debian's Chromium at phone size, against a live server: staff invite
the target segment, the delivery engine really sends the SMS to the local gateway
stand-in, the customer opens the link from that SMS, answers (rating, NPS, a choice, a
comment) and sends; the answers are stored, and coming back shows them for editing."""

import re
from urllib.parse import urlsplit

import pytest
from django.db import connections
from django.test import Client

from carecrm.core.testing import PHONE, chromium
from customers.tests.factories import CustomerFactory
from delivery.models import FrequencyCap, QuietHours
from delivery.services.sending import messages_send
from delivery.standin import GatewayStandIn
from delivery.tests.senders import consent
from feedback.models import QuestionKind, Response
from feedback.tests.factories import ChoiceFactory, QuestionFactory, SurveyFactory
from segmentation.tests.factories import SegmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gateway(settings):
    with GatewayStandIn() as standin:
        settings.DELIVERY_CHANNELS = {
            **settings.DELIVERY_CHANNELS,
            "sms": {
                "BACKEND": "http",
                "URL": standin.url + "/sms",
                "TOKEN": standin.token,
                "RATE": 0,
                "BATCH": 20,
            },
        }
        yield standin


def link(text: str, path_prefix: str) -> str:
    for url in re.findall(r"https?://[^\s<>\"]+", text):
        if urlsplit(url).path.startswith(path_prefix):
            return url
    raise AssertionError(f"no {path_prefix} link in {text!r}")


def test_a_customer_answers_the_survey_from_the_sms_on_a_phone(
    settings, live_server, gateway, department_a, staff_a, monkeypatch
):
    settings.SITE_URL = live_server.url
    settings.LANGUAGE_CODE = "en"
    FrequencyCap.objects.all().delete()
    QuietHours.objects.all().delete()
    survey = SurveyFactory(department=department_a, title="服务调查", title_en="Service check")
    rating = QuestionFactory(survey=survey, kind=QuestionKind.RATING, text_en="Our service?")
    nps = QuestionFactory(survey=survey, kind=QuestionKind.NPS, text_en="Recommend us?")
    choice_question = QuestionFactory(survey=survey, kind=QuestionKind.SINGLE, text_en="Visit?")
    ChoiceFactory(question=choice_question, text_en="First time")
    again = ChoiceFactory(question=choice_question, text_en="Came again")
    comment = QuestionFactory(
        survey=survey, kind=QuestionKind.TEXT, required=False, text_en="Anything else?"
    )
    survey.target_segments.add(SegmentFactory(department=department_a))
    customer = CustomerFactory(department=department_a, name="李四", mobile="+8613912340000")
    consent(customer, "sms")

    staff = Client()
    staff.force_login(staff_a)
    assert staff.post(f"/feedback/surveys/{survey.pk}/invite/").status_code == 302
    assert messages_send(seconds=10).sent == 1
    (sms,) = gateway.delivered.values()
    assert sms["to"] == "+8613912340000" and "Service check" in sms["text"]
    sms_link = link(sms["text"], "/s/")

    with chromium(monkeypatch) as browser:
        page = browser.new_context(locale="en-US", **PHONE).new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.goto(sms_link)
        page.wait_for_selector("#survey-form")
        assert urlsplit(page.url).path.startswith("/q/")
        assert "Service check" in page.inner_text("#survey-card")
        # sending with a required question left empty: a clear message, nothing lost
        page.click(f"label[for=q{rating.pk}-4]")
        page.click("#survey-submit")
        page.wait_for_selector("#survey-errors")
        assert "Please answer this question." in page.inner_text(f"#question-{nps.pk}")
        assert page.is_checked(f"#q{rating.pk}-4")
        page.click(f"label[for=q{nps.pk}-9]")
        page.check(f"#q{choice_question.pk}-c{again.pk}")
        page.fill(f"#q{comment.pk}-text", "Friendly staff <b>really</b>")
        page.click("#survey-submit")
        page.wait_for_selector("#survey-saved")
        assert page.is_checked(f"#q{nps.pk}-9")
        assert problems == []
    connections.close_all()

    response = Response.objects.get(survey=survey)
    assert response.customer == customer and response.source == "online"
    stored = {a.question_id: a for a in response.answers.all()}
    assert stored[rating.pk].score == 4 and stored[nps.pk].score == 9
    assert list(stored[choice_question.pk].choices.all()) == [again]
    assert stored[comment.pk].text == "Friendly staff <b>really</b>"

    # The answer shows on the survey's results and on the customer's timeline.
    results = staff.get(f"/feedback/surveys/{survey.pk}/results/").content.decode()
    assert re.search(r'data-figure="responses">\s*1\s*<', results)
    assert re.search(r'data-figure="csat">\s*100(\.0)? %\s*<', results)
    assert "Friendly staff &lt;b&gt;really&lt;/b&gt;" in results
    timeline = staff.get(f"/customers/{customer.pk}/").content.decode()
    assert "Answered the survey: 服务调查" in timeline


def test_answers_refused_after_the_cookie_was_lost_offer_a_way_forward(
    settings, live_server, department_a, monkeypatch
):
    """Cookies cleared between opening and sending: the customer's own page, and sending
    again works (the CSRF check of the public pages, in a real browser)."""
    from feedback.tests.factories import SurveyInvitationFactory
    from feedback.tokens import invitation_token

    settings.LANGUAGE_CODE = "en"
    survey = SurveyFactory(department=department_a)
    rating = QuestionFactory(survey=survey, kind=QuestionKind.RATING)
    invitation = SurveyInvitationFactory(survey=survey)
    with chromium(monkeypatch) as browser:
        page = browser.new_context(locale="en-US", **PHONE).new_page()
        page.goto(f"{live_server.url}/q/{invitation_token(invitation)}/")
        page.context.clear_cookies()
        page.click(f"label[for=q{rating.pk}-5]")
        page.click("#survey-submit")
        page.wait_for_selector("#public-error")
        assert "CSRF" not in page.content()
        assert not Response.objects.exists()
        page.click("#retry")
        page.click(f"label[for=q{rating.pk}-5]")
        page.click("#survey-submit")
        page.wait_for_selector("#survey-saved")
    connections.close_all()
    assert Response.objects.get().answers.get().score == 5
