"""Survey results on a dataset built by hand: response rate, CSAT, NPS, breakdowns by the
responding customer, the quarterly trend, scope, and the exports agreeing with the page.

The dataset (survey in department A; rating question R 1–5, NPS question N 0–10):

=====  ===========  ======  ======  ======  ==========  ===  ===  ============
resp   invitation   tier    VIP     region  manager     R    N    submitted
=====  ===========  ======  ======  ======  ==========  ===  ===  ============
r1     c1           high    gold    华东     manager_a   5    10   2026-08-10
r2     c2           low     normal  华北     —           4    7    2026-08-12
r3     c3           high    gold    华东     manager_a   2    3    2026-10-10
r4     anonymous    —       —       —       —           1    9    2026-10-12
=====  ===========  ======  ======  ======  ==========  ===  ===  ============

plus c4 invited and not answering.

Response rate = 3 answered / 4 invitations = 75.0 %.
CSAT = ratings 4–5 (5, 4) = 2 of 4 ratings = 50.0 %.
NPS = promoters (10, 9) 2 − detractors (3) 1 = 1, over 4 answers = 25.0.
By value tier (r4 is anonymous and left out): high (r1, r3): CSAT 1/2 = 50.0 %,
NPS (1 − 1)/2 = 0.0; low (r2): CSAT 1/1 = 100.0 %, NPS (0 − 0)/1 = 0.0.
Trend: 2026 Q3 (r1, r2): CSAT 2/2 = 100.0 %, NPS (1 − 0)/2 = 50.0;
2026 Q4 (r3, r4): CSAT 0/2 = 0.0 %, NPS (1 − 1)/2 = 0.0; change −100.0 and −50.0 points.
"""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from customers.tests.factories import CustomerFactory
from feedback.models import QuestionKind, Response
from feedback.selectors.results import Scores, scores, survey_answers, survey_results
from feedback.tests.factories import (
    AnswerFactory,
    ChoiceFactory,
    QuestionFactory,
    SurveyFactory,
    SurveyInvitationFactory,
)

pytestmark = pytest.mark.django_db


def at(year, month, day):
    return timezone.make_aware(dt.datetime(year, month, day, 12, 0))


def respond(survey, questions, customer, values, when, invited=True, text=""):
    invitation = SurveyInvitationFactory(survey=survey, customer=customer) if invited else None
    response = Response.objects.create(
        survey=survey, customer=customer, invitation=invitation, submitted_at=when
    )
    rating, nps, comment = questions
    AnswerFactory(response=response, question=rating, score=values[0])
    AnswerFactory(response=response, question=nps, score=values[1])
    if text:
        AnswerFactory(response=response, question=comment, score=None, text=text)
    return response


@pytest.fixture
def world(department_a, manager_a):
    survey = SurveyFactory(department=department_a, title="季度满意度")
    rating = QuestionFactory(survey=survey, kind=QuestionKind.RATING)
    nps = QuestionFactory(survey=survey, kind=QuestionKind.NPS, text="推荐意愿")
    comment = QuestionFactory(survey=survey, kind=QuestionKind.TEXT, text="意见", required=False)
    questions = (rating, nps, comment)

    def customer(tier, vip, region, manager):
        return CustomerFactory(
            department=department_a,
            value_tier=tier,
            vip_level=vip,
            region=region,
            relationship_manager=manager,
        )

    c1 = customer("high", "gold", "华东", manager_a)
    c2 = customer("low", "normal", "华北", None)
    c3 = customer("high", "gold", "华东", manager_a)
    respond(survey, questions, c1, (5, 10), at(2026, 8, 10), text='=HYPERLINK("x")')
    respond(survey, questions, c2, (4, 7), at(2026, 8, 12))
    respond(survey, questions, c3, (2, 3), at(2026, 10, 10))
    respond(survey, questions, None, (1, 9), at(2026, 10, 12), invited=False)
    SurveyInvitationFactory(survey=survey, customer=CustomerFactory(department=department_a))
    return survey


def test_rate_csat_and_nps_equal_the_hand_computation(world):
    results = survey_results(world)
    assert (results.invitations, results.answered_invitations, results.responses) == (4, 3, 4)
    assert results.response_rate == Decimal("75.0")
    assert results.scores.csat == Decimal("50.0")
    assert results.scores.nps == Decimal("25.0")
    assert (results.scores.promoters, results.scores.detractors) == (2, 1)


def test_no_answers_show_a_dash_and_never_divide_by_zero(department_a):
    survey = SurveyFactory(department=department_a)
    QuestionFactory(survey=survey, kind=QuestionKind.RATING)
    results = survey_results(survey)
    assert results.response_rate is None and results.scores.csat is None
    assert results.scores.nps is None
    assert [text for _label, text in results.figures()][3:] == ["—", "—", "—"]
    assert results.trend == [] and all(not b.rows for b in results.breakdowns)


def test_nps_counts_passives_in_the_whole_only():
    # 9, 10 promoters; 7, 8 passive; 0 and 6 detractors: (2 − 2) / 6 = 0; one more 10:
    # (3 − 2) / 7 × 100 = 14.285… → 14.3
    assert Scores(nps_answers=6, promoters=2, detractors=2).nps == Decimal("0.0")
    assert Scores(nps_answers=7, promoters=3, detractors=2).nps == Decimal("14.3")
    assert Scores(nps_answers=1, promoters=0, detractors=1).nps == Decimal("-100.0")


def _rows(results, key):
    breakdown = next(b for b in results.breakdowns if b.key == key)
    return {
        row.label: (row.scores.responses, row.scores.csat, row.scores.nps) for row in breakdown.rows
    }


def test_breakdowns_group_by_the_customer_and_leave_anonymous_out(world, manager_a):
    results = survey_results(world)
    assert _rows(results, "value_tier") == {
        "High value": (2, Decimal("50.0"), Decimal("0.0")),
        "Low value": (1, Decimal("100.0"), Decimal("0.0")),
    }
    assert _rows(results, "region") == {
        "华东": (2, Decimal("50.0"), Decimal("0.0")),
        "华北": (1, Decimal("100.0"), Decimal("0.0")),
    }
    managers = _rows(results, "relationship_manager")
    assert sum(n for n, _c, _n in managers.values()) == 3
    assert managers[str(manager_a)][0] == 2
    # the survey's own event: every response counts, anonymous included
    assert _rows(results, "event") == {"None": (4, Decimal("50.0"), Decimal("25.0"))}


def test_the_trend_per_quarter_and_its_change_in_points(world):
    rows = survey_results(world).trend
    assert [(r.quarter, r.scores.csat, r.scores.nps) for r in rows] == [
        ("2026 Q3", Decimal("100.0"), Decimal("50.0")),
        ("2026 Q4", Decimal("0.0"), Decimal("0.0")),
    ]
    assert (rows[0].csat_change, rows[1].csat_change) == (None, Decimal("-100.0"))
    assert rows[1].nps_change == Decimal("-50.0") and rows[1].nps_change_text == "-50.0"


def test_results_come_from_a_fixed_number_of_queries(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        survey_results(world)
    for _ in range(5):
        respond(
            world,
            tuple(world.questions.all()),
            CustomerFactory(department=world.department),
            (3, 5),
            at(2026, 11, 1),
        )
    with CaptureQueriesContext(connection) as after:
        survey_results(world)
    assert len(after) == len(before) <= 20


def test_choice_questions_are_counted_per_choice(world):
    question = QuestionFactory(survey=world, kind=QuestionKind.MULTIPLE, text="渠道")
    first, second = ChoiceFactory(question=question), ChoiceFactory(question=question)
    for response in world.responses.all()[:3]:
        answer = AnswerFactory(response=response, question=question, score=None)
        answer.choices.add(first)
    answer.choices.add(second)
    result = next(q for q in survey_results(world).questions if q.question == question)
    assert [n for _label, n in result.counts] == [3, 1]


def test_the_page_states_the_figures_and_formulas(world, manager_a_client):
    page = manager_a_client.get(f"/feedback/surveys/{world.pk}/results/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-figure="response_rate">75.0 %<' in body
    assert 'data-figure="csat">50.0 %<' in body
    assert 'data-figure="nps">25.0<' in body
    assert 'id="results-definitions"' in body and "Anonymous responses" in body
    assert body.count("js-result-chart") == 2
    assert "<script>" not in body and "style=" not in body


@pytest.mark.parametrize("suffix", ["", "export.csv", "export.xlsx"])
def test_another_departments_staff_get_404(world, staff_b, suffix):
    from django.test import Client

    client = Client()
    client.force_login(staff_b)
    assert client.get(f"/feedback/surveys/{world.pk}/results/{suffix}").status_code == 404


def test_the_overview_lists_only_the_users_departments_surveys(world, staff_b, department_b):
    from django.test import Client

    SurveyFactory(department=department_b, title="华南调查")
    client = Client()
    client.force_login(staff_b)
    body = client.get("/feedback/satisfaction/").content.decode()
    assert "华南调查" in body and "季度满意度" not in body
    assert 'data-figure="csat">—<' in body


def test_the_overview_shows_the_admins_chosen_department(world, admin_client_user, department_a):
    body = admin_client_user.get(f"/feedback/satisfaction/?department={department_a.pk}")
    text = body.content.decode()
    assert 'data-figure="csat">50.0 %<' in text and 'data-figure="nps">25.0<' in text
    row = text.split(f'data-survey="{world.pk}"')[1].split("</tr>")[0]
    assert ">4<" in row and "50.0 %" in row and ">25.0<" in row


def _page_figures(body: str) -> dict:
    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', body))


def test_the_csv_is_formula_safe_and_equals_the_page(world, manager_a_client):
    page = _page_figures(
        manager_a_client.get(f"/feedback/surveys/{world.pk}/results/").content.decode()
    )
    content = manager_a_client.get(f"/feedback/surveys/{world.pk}/results/export.csv")
    rows = list(csv.reader(io.StringIO(content.content.decode("utf-8-sig"))))
    figures = dict(row for row in rows[1:7])
    assert figures["Response rate"] == page["response_rate"] == "75.0 %"
    assert figures["CSAT"] == page["csat"] and figures["NPS"] == page["nps"]
    assert figures["Responses"] == page["responses"] == "4"
    texts = [row[-1] for row in rows if len(row) == 8]
    assert '\'=HYPERLINK("x")' in texts
    assert not any(cell.startswith("=") for row in rows for cell in row)


def test_the_workbook_is_formula_safe_and_equals_the_page(world, manager_a_client):
    content = manager_a_client.get(f"/feedback/surveys/{world.pk}/results/export.xlsx").content
    book = load_workbook(io.BytesIO(content))
    summary = {r[0]: r[1] for r in book.worksheets[0].iter_rows(values_only=True) if r}
    assert (summary["CSAT"], summary["NPS"], summary["Response rate"]) == (
        "50.0 %",
        "25.0",
        "75.0 %",
    )
    answers = list(book.worksheets[1].iter_rows(values_only=True))
    assert '\'=HYPERLINK("x")' in [row[7] for row in answers]
    anonymous = [row for row in answers[1:] if row[3] in (None, "")]
    assert len(anonymous) == 2  # r4's two answers name nobody


def test_answers_and_items_on_the_timeline_but_never_anonymous(world, manager_a):
    from carecrm.core.registry import timeline_providers

    customer = world.responses.exclude(customer=None).first().customer
    entries = [e for p in timeline_providers for e in p(customer, manager_a)]
    assert any(e.kind == "survey" and "季度满意度" in str(e.title) for e in entries)
    world.anonymous = True
    world.save()
    entries = [e for p in timeline_providers for e in p(customer, manager_a)]
    assert not any(e.kind == "survey" for e in entries)


def test_scores_of_an_empty_queryset(world):
    empty = scores(survey_answers(world).none())
    assert (empty.csat_text, empty.nps_text, empty.responses) == ("—", "—", 0)
