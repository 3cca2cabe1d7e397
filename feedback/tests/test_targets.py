"""The targets page's figures computed by hand on a fixed day, 2026-11-15, and its scope.

Department A (department B's records must never count for A):

Items handled in 2026-11: i1 resolved 11-03 (counts), i2 resolved 10-28 and closed 11-20
(counts: closed in the month), i3 resolved 10-30 still resolved (no), i4 in progress (no)
→ 2. B's item resolved 11-05 counts only for B and for "all departments" (→ 3).
Satisfaction, last complete quarter 2026 Q3: ratings 5, 4, 4, 2 and v3's 5 on 09-20
→ 4 of 5 = 80.0 %. Quarter before, 2026 Q2: ratings 5, 1 → 1 of 2 = 50.0 %;
change = 80.0 − 50.0 = +30.0 percentage points.
VIP coverage in 2026 Q4: VIP customers v1 gold, v2 silver, v3 diamond (n1 normal is not
VIP); v1 answered a quarterly VIP survey on 11-02 (counts), v2 answered another kind of
survey (no), v3 answered the VIP survey on 09-20, last quarter (no) → 1 of 3 = 33.3 %.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from feedback.models import ItemStatus, QuestionKind, Response, SurveyKind
from feedback.selectors.targets import targets
from feedback.tests.factories import (
    AnswerFactory,
    FeedbackItemFactory,
    QuestionFactory,
    SurveyFactory,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 15)


def at(month, day, year=2026):
    return timezone.make_aware(dt.datetime(year, month, day, 10, 0))


def rate(survey, score, when, customer=None):
    question = survey.questions.first() or QuestionFactory(survey=survey, kind=QuestionKind.RATING)
    response = Response.objects.create(survey=survey, customer=customer, submitted_at=when)
    AnswerFactory(response=response, question=question, score=score)
    return response


@pytest.fixture
def world(department_a, department_b):
    resolved, closed = ItemStatus.RESOLVED, ItemStatus.CLOSED
    FeedbackItemFactory(department=department_a, status=resolved, resolved_at=at(11, 3))
    FeedbackItemFactory(
        department=department_a, status=closed, resolved_at=at(10, 28), closed_at=at(11, 20)
    )
    FeedbackItemFactory(department=department_a, status=resolved, resolved_at=at(10, 30))
    FeedbackItemFactory(department=department_a, status=ItemStatus.IN_PROGRESS)
    FeedbackItemFactory(department=department_b, status=resolved, resolved_at=at(11, 5))

    general = SurveyFactory(department=department_a)
    for score, when in [(5, at(7, 2)), (4, at(8, 1)), (4, at(9, 3)), (2, at(9, 30))]:
        rate(general, score, when)
    for score, when in [(5, at(4, 2)), (1, at(6, 1))]:
        rate(general, score, when)
    other = SurveyFactory(department=department_b)
    for score in (1, 1, 1):
        rate(other, score, at(8, 8))

    vip = SurveyFactory(department=department_a, kind=SurveyKind.VIP_QUARTERLY)
    v1 = CustomerFactory(department=department_a, vip_level="gold")
    v2 = CustomerFactory(department=department_a, vip_level="silver")
    v3 = CustomerFactory(department=department_a, vip_level="diamond")
    n1 = CustomerFactory(department=department_a, vip_level="normal")
    rate(vip, 5, at(11, 2), v1)
    rate(general, 5, at(11, 3), v2)
    rate(vip, 5, at(9, 20), v3)
    rate(vip, 5, at(11, 4), n1)
    CustomerFactory(department=department_b, vip_level="gold")
    return department_a, department_b


def test_the_figures_equal_the_hand_computation(world):
    department_a, _b = world
    figures = targets(department_a, today=TODAY)
    assert figures.handled == 2
    assert figures.last_quarter.label == "2026 Q3" and figures.quarter_before.label == "2026 Q2"
    assert figures.satisfaction == Decimal("80.0") and figures.before == Decimal("50.0")
    assert figures.change == Decimal("30.0")
    assert (figures.vip_answered, figures.vip_total) == (1, 3)
    assert figures.vip_coverage == Decimal("33.3")
    assert figures.figures() == {
        "handled": "2",
        "satisfaction": "80.0 %",
        "change": "+30.0",
        "vip_coverage": "33.3 %",
    }
    assert figures.met == {
        "handled": False,
        "satisfaction": False,
        "change": True,
        "vip_coverage": False,
    }


def test_every_department_together(world):
    figures = targets(None, today=TODAY)
    assert figures.handled == 3
    # Q3 ratings of both departments: 5, 4, 4, 2, 5 (v3), 1, 1, 1 → 4 of 8 = 50.0 %
    assert figures.satisfaction == Decimal("50.0")
    assert (figures.vip_answered, figures.vip_total) == (1, 4)


def test_no_data_shows_dashes(department_a):
    figures = targets(department_a, today=TODAY).figures()
    assert figures == {"handled": "0", "satisfaction": "—", "change": "—", "vip_coverage": "—"}


def _figures(body: str) -> dict:
    import re

    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', body))


def test_staff_see_only_their_departments_figures(department_a, department_b, staff_b):
    now = timezone.now()
    FeedbackItemFactory(department=department_a, status=ItemStatus.RESOLVED, resolved_at=now)
    client = Client()
    client.force_login(staff_b)
    page = client.get(f"/feedback/targets/?department={department_a.pk}")
    assert page.status_code == 200
    body = page.content.decode()
    assert _figures(body)["handled"] == "0"
    assert 'id="department-picker"' not in body
    listing = client.get(f"/feedback/targets/handled/?department={department_a.pk}")
    assert "等待时间过长" not in listing.content.decode()


def test_admins_pick_a_department_and_each_figure_links_to_its_list(
    department_a, department_b, admin_client_user
):
    now = timezone.now()
    FeedbackItemFactory(
        department=department_b, title="华南投诉", status=ItemStatus.CLOSED, closed_at=now
    )
    all_page = admin_client_user.get("/feedback/targets/").content.decode()
    assert _figures(all_page)["handled"] == "1" and 'id="department-picker"' in all_page
    page = admin_client_user.get(f"/feedback/targets/?department={department_a.pk}")
    body = page.content.decode()
    assert _figures(body)["handled"] == "0"
    for name in ("handled", "satisfaction", "vip-coverage"):
        assert f'href="/feedback/targets/{name}/?department={department_a.pk}"' in body
    listing = admin_client_user.get(f"/feedback/targets/handled/?department={department_b.pk}")
    assert "华南投诉" in listing.content.decode()
    vip = admin_client_user.get("/feedback/targets/vip-coverage/")
    assert vip.status_code == 200
    assert admin_client_user.get("/feedback/targets/satisfaction/").status_code == 200
