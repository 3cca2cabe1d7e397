"""``GET /api/v1/dashboard/``: the page's figures as JSON for the caller's scope, with a
400 naming what is wrong with the period or the department."""

import pytest
from django.core.cache import cache

from dashboard.tests.world import build_world

pytestmark = pytest.mark.django_db
NOVEMBER = {"period": "month", "on": "2026-11-01"}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db):
    return build_world()


def get(api_client_for, user, **params):
    return api_client_for(user).get("/api/v1/dashboard/", params, HTTP_ACCEPT_LANGUAGE="en")


def kpis(data) -> dict:
    return {row["key"]: (row["value"], row["previous"]) for row in data["kpis"]}


def test_staff_read_their_scopes_figures(api_client_for, world):
    response = get(api_client_for, world.staff, **NOVEMBER)
    assert response.status_code == 200
    data = response.json()
    assert data["scope"] == "My department and my customers"
    assert data["department"] is None
    assert data["period"] == {
        "kind": "month",
        "start": "2026-11-01",
        "last_day": "2026-11-30",
        "label": "November 2026",
    }
    assert data["previous"]["start"] == "2026-10-01"
    figures = kpis(data)
    # November is over: spend and CSAT as on the page, VIPs at 1 Dec are today's
    assert figures["spend"] == ("2760.00", "850.00")
    assert figures["satisfaction"] == ("80.0", "50.0")
    assert figures["vip_count"] == ("3", "4")
    vip = next(row for row in data["kpis"] if row["key"] == "vip_growth")
    assert vip["target"] == "5.0" and vip["unit"] == "percent" and vip["higher_is_better"]
    levels = next(b for b in data["breakdowns"] if b["key"] == "vip_level")
    assert levels["total"] == 6
    assert {row["code"]: row["count"] for row in levels["rows"]}["silver"] == 2
    assert [c["name"] for c in data["campaigns"]] == ["双十一答谢", "华南回访"]
    assert data["campaigns"][0]["sms_parts"] == 3
    assert len(data["series"]) == 12
    assert data["series"][-1] == {
        "month": "2026-11-01",
        "spend": "2760.00",
        "orders": 3,
        "buyers": 3,
        "vips": 3,
    }


def test_managers_read_their_department(api_client_for, world):
    data = get(api_client_for, world.manager, **NOVEMBER).json()
    assert data["department"] == world.east.pk
    assert kpis(data)["spend"] == ("1960.00", "850.00")
    assert "华南回访" not in str(data)


def test_admins_pick_a_department(api_client_for, world):
    data = get(api_client_for, world.admin, department=world.south.pk, **NOVEMBER).json()
    assert data["scope"] == "华南销售部"
    assert kpis(data)["spend"] == ("5800.00", "3000.00")
    everything = get(api_client_for, world.admin, **NOVEMBER).json()
    assert kpis(everything)["spend"] == ("7760.00", "3850.00")
    # staff cannot widen or move their scope with it
    staff = get(api_client_for, world.staff, department=world.south.pk, **NOVEMBER).json()
    assert kpis(staff)["spend"] == ("2760.00", "850.00")


OUTSIDE = "is outside the dates the dashboard covers (1970-01-01 to 2999-12-31)."
BAD_INPUT = [
    (
        {"period": "weekly"},
        "period",
        "Unknown period “weekly”: use month, quarter, year or custom.",
    ),
    ({"on": "2026-02-30"}, "period", "“2026-02-30” is not a date (YYYY-MM-DD)."),
    (
        {"period": "custom", "from": "2026-11-01"},
        "period",
        "A custom period needs a first and a last day.",
    ),
    (
        {"period": "custom", "from": "2026-11-02", "to": "2026-11-01"},
        "period",
        "The period ends before it starts.",
    ),
    ({"on": "9999-12-31"}, "period", f"9999-12-31 {OUTSIDE}"),
    ({"department": "east"}, "department", "“east” is not a department id."),
    ({"department": "99999999"}, "department", "There is no department with the id 99999999."),
    ({"department": str(2**70)}, "department", f"“{2**70}” is not a department id."),
]


@pytest.mark.parametrize(("params", "field", "message"), BAD_INPUT)
def test_bad_input_is_a_400_that_says_why(api_client_for, world, params, field, message):
    response = get(api_client_for, world.admin, **params)
    assert response.status_code == 400
    assert response.json() == {field: [message]}


def test_signing_in_is_needed(client, db):
    assert client.get("/api/v1/dashboard/").status_code == 403
