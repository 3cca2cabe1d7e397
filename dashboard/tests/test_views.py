"""The dashboard page at ``/`` for each role, its period picker and department picker, what
it says about bad input (a message, never a 500), its empty states and links; the
admins' targets page with its validation and audit trail."""

import re
from decimal import Decimal

import pytest
from django.core.cache import cache

from carecrm.accounts.tests.factories import DepartmentFactory, UserFactory
from carecrm.core.models import AuditEntry
from dashboard.models import ProgrammeTargets
from dashboard.tests.world import build_world

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NOVEMBER = "?period=month&on=2026-11-01"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db):
    return build_world()


def page(client, user, query: str = "") -> str:
    client.force_login(user)
    response = client.get("/" + query, **EN)
    assert response.status_code == 200
    return response.content.decode()


def tile(body: str, key: str) -> str:
    """The value shown on a KPI tile."""
    match = re.search(
        rf'data-kpi="{key}".*?<div class="fs-4 fw-semibold kpi-value" data-value>([^<]*)</div>',
        body,
        re.S,
    )
    assert match, key
    return match.group(1).strip()


def problems(body: str) -> list[str]:
    block = re.search(r'id="period-problems">(.*?)</div>', body, re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1)) if block else []


@pytest.mark.parametrize(
    ("role", "department", "spend", "vips", "csat"),
    [
        # November 2026 is over (today is later): VIPs at 1 Dec = today's
        ("staff", None, "¥2,760.00", "3", "80.0 %"),
        ("manager", None, "¥1,960.00", "2", "75.0 %"),
        ("admin", None, "¥7,760.00", "5", "66.7 %"),
        ("admin", "south", "¥5,800.00", "2", "100.0 %"),
    ],
)
def test_each_role_sees_its_own_figures(client, world, role, department, spend, vips, csat):
    query = NOVEMBER + (f"&department={world.south.pk}" if department else "")
    body = page(client, getattr(world, role), query)
    assert tile(body, "spend") == spend
    assert tile(body, "vip_count") == vips
    assert tile(body, "satisfaction") == csat
    assert 'id="home-cards"' in body  # my work today
    assert 'id="dashboard-data" type="application/json"' in body
    assert "Welcome," in body


def test_staff_and_managers_never_see_another_departments_records(client, world):
    manager = page(client, world.manager, NOVEMBER)
    assert "双十一答谢" in manager  # East's campaign
    assert "华南回访" not in manager  # South's, to a customer staff manages
    assert "华南销售部" not in manager
    staff = page(client, world.staff, NOVEMBER)
    assert "华南回访" in staff  # staff owns it and manages its customer
    assert "My department and my customers" in staff


def test_a_department_in_the_address_is_only_for_admins(client, world):
    staff = page(client, world.staff, NOVEMBER + f"&department={world.south.pk}")
    assert tile(staff, "spend") == "¥2,760.00"
    assert 'id="period-department"' not in staff
    admin = page(client, world.admin, NOVEMBER + f"&department={world.south.pk}")
    assert f'<option value="{world.south.pk}" selected>' in admin
    assert 'id="dashboard-scope"><i class="bi bi-diagram-3"></i> 华南销售部' in admin
    # the tiles' lists keep the department
    assert f"/customers/?department={world.south.pk}&amp;vip_level=silver" in admin
    missing = page(client, world.admin, NOVEMBER + "&department=999999")
    assert problems(missing) == ["There is no department “999999”; showing all departments."]
    assert tile(missing, "spend") == "¥7,760.00"


def test_the_period_picker(client, world):
    body = page(client, world.manager, "?period=quarter&on=2026-11-20")
    assert re.search(r'id="period-label">Q4 2026<', body)
    assert 'href="?period=quarter&amp;on=2026-07-01" id="period-previous"' in body
    assert 'href="?period=quarter&amp;on=2027-01-01" id="period-next"' in body
    assert "compared with Q3 2026" in body
    year = page(client, world.manager, "?period=year&on=2026-03-03")
    assert re.search(r'id="period-label">2026<', year)
    custom = page(client, world.manager, "?period=custom&from=2026-11-01&to=2026-11-15")
    assert problems(custom) == []
    # the 15 days before: 17–31 October
    assert 'href="?period=custom&amp;from=2026-10-17&amp;to=2026-10-31"' in custom
    assert '<option value="custom" selected>' in custom
    # an admin's department stays picked from period to period
    admin = page(client, world.admin, f"?period=month&on=2026-11-01&department={world.south.pk}")
    assert f'href="?department={world.south.pk}&amp;period=month&amp;on=2026-10-01"' in admin


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "?period=custom&from=2026-13-01&to=2026-11-15",
            "“2026-13-01” is not a date (YYYY-MM-DD).",
        ),
        ("?period=month&on=yesterday", "“yesterday” is not a date (YYYY-MM-DD)."),
        ("?period=weekly", "Unknown period “weekly”; showing this month."),
        ("?period=custom&from=2026-11-15&to=2026-11-01", "The period ends before it starts."),
        ("?period=custom&from=2026-11-15", "A custom period needs a first and a last day."),
        (
            "?period=month&on=0001-01-01",
            "0001-01-01 is outside the dates the dashboard covers (1970-01-01 to 2999-12-31).",
        ),
        (
            "?period=custom&from=2000-01-01&to=2026-01-01",
            "A custom period may cover at most ten years.",
        ),
    ],
)
def test_bad_input_shows_a_message_not_an_error(client, world, query, message):
    body = page(client, world.manager, query)
    assert message in problems(body)
    assert 'data-kpi="vip_count"' in body  # this month instead


def test_tiles_link_to_the_lists_behind_them(client, world):
    body = page(client, world.staff, NOVEMBER)
    assert re.search(
        r'data-kpi="alerts_overdue".*?href="/segments/alerts/\?scope=all&amp;status=open"',
        body,
        re.S,
    )
    assert re.search(
        r'data-kpi="vip_contact".*?href="/segments/coverage/\?month=2026-11"', body, re.S
    )
    assert re.search(r'data-kpi="touches_due".*?href="/campaigns/calendar/"', body, re.S)
    assert 'href="/customers/?value_tier=none"' in body  # customers not scored yet


def test_tiles_show_trend_and_target(client, world):
    body = page(client, world.manager, NOVEMBER)
    block = re.search(r'data-kpi="churn_rate".*?</div>\s*</div>\s*</div>', body, re.S).group(0)
    assert "Ceiling ≤ 10.0 %" in block
    sat = re.search(r'data-kpi="satisfaction".*?</div>\s*</div>\s*</div>', body, re.S).group(0)
    assert 'data-trend="better"' in sat and "+25.0 pts" in sat  # 50.0 % → 75.0 %
    assert "Target ≥ 90.0 %" in sat and "missed" in sat


def test_an_empty_department_says_what_to_do_first(client, db):
    department = DepartmentFactory(name="新部门", code="dash-new")
    manager = UserFactory(username="new_manager", role="manager", department=department)
    body = page(client, manager)
    steps = re.search(r'id="setup-steps">(.*?)</div>\s*</div>', body, re.S)
    assert steps
    text = steps.group(0)
    assert 'href="/customers/imports/new/"' in text
    assert "No customers yet: import them" in text
    assert 'href="/feedback/surveys/new/"' in text
    assert 'href="/campaigns/new/"' in text
    assert 'href="/events/new/"' in text
    assert "No care campaigns yet." in body


def test_refresh_recomputes(client, world):
    body = page(client, world.manager, NOVEMBER)
    assert 'id="dashboard-refresh"' in body
    assert "refresh=1" in body
    page(client, world.manager, NOVEMBER + "&refresh=1")


def test_only_admins_see_the_targets_link(client, world):
    assert 'id="targets-link"' not in page(client, world.manager)
    assert 'id="targets-link"' in page(client, world.admin)


# --- the targets page --------------------------------------------------------------------

VALID = {
    "satisfaction_percent": "92.5",
    "nps": "40",
    "vip_repurchase_percent": "75",
    "vip_growth_percent": "8",
    "vip_contact_percent": "95",
    "churn_percent": "12",
    "referrals_per_vip": "3",
}


def test_staff_and_managers_may_not_change_the_targets(client, staff_a, manager_a):
    for user in (staff_a, manager_a):
        client.force_login(user)
        assert client.get("/dashboard/settings/").status_code == 403
        assert client.post("/dashboard/settings/", VALID).status_code == 403
    assert ProgrammeTargets.current().satisfaction_percent == Decimal("90.0")


def test_an_admin_changes_the_targets_and_it_is_audited(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/dashboard/settings/", **EN).status_code == 200
    response = client.post("/dashboard/settings/", VALID, **EN)
    assert response.status_code == 302
    targets = ProgrammeTargets.current()
    assert targets.satisfaction_percent == Decimal("92.5")
    assert targets.nps == Decimal("40")
    assert targets.updated_by == admin_user
    entry = AuditEntry.objects.get(object_type="dashboard.programmetargets")
    assert entry.actor == admin_user
    assert entry.detail["satisfaction_percent"] == ["90.0", "92.5"]
    assert entry.detail["churn_percent"] == ["10.0", "12"]
    body = client.get("/", **EN).content.decode()
    assert "Target ≥ 92.5 %" in body


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("satisfaction_percent", "150", "Ensure this value is less than or equal to 100"),
        ("nps", "-101", "Ensure this value is greater than or equal to -100"),
        (
            "vip_growth_percent",
            "5000",
            "A growth target above 1000 percent a year is not realistic.",
        ),
        ("referrals_per_vip", "1000", "At most 100 referrals per VIP a year."),
        ("churn_percent", "ten", "Enter a number."),
        ("vip_contact_percent", "99.55", "Ensure that there are no more than 1 decimal place."),
        ("vip_repurchase_percent", "", "This field is required."),
    ],
)
def test_bad_targets_are_refused_with_a_reason(client, admin_user, field, value, message):
    client.force_login(admin_user)
    response = client.post("/dashboard/settings/", {**VALID, field: value}, **EN)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert ProgrammeTargets.current().satisfaction_percent == Decimal("90.0")
    assert not AuditEntry.objects.filter(object_type="dashboard.programmetargets").exists()


def test_the_nps_may_be_negative(client, admin_user):
    client.force_login(admin_user)
    client.post("/dashboard/settings/", {**VALID, "nps": "-20"})
    assert ProgrammeTargets.current().nps == Decimal("-20")


def test_the_home_page_is_the_dashboard_and_first_in_the_navigation(client, world):
    body = page(client, world.manager)
    first = re.search(
        r'<ul class="navbar-nav me-auto">\s*<li class="nav-item[^"]*">(.*?)</li>', body, re.S
    )
    assert 'href="/" data-nav="dashboard"' in first.group(1)


def test_my_work_today_follows_the_page(client, world):
    body = page(client, world.staff)
    strip = re.search(r'<div class="row g-2" id="home-cards"(.*?)</section>', body, re.S).group(0)
    assert 'hx-get="/dashboard/work/" hx-trigger="load"' in strip
    assert "My open risk alerts" in strip and 'href="/segments/alerts/"' in strip
    assert "…" in strip  # the counts come next
    client.force_login(world.staff)
    work = client.get("/dashboard/work/", **EN).content.decode()
    assert "hx-get" not in work and "…" not in work
    # A1 (e1) and A2 (e3) are East's but nobody's; A4 is assigned to staff
    alerts = re.search(r"My open risk alerts</div>\s*<div[^>]*>([^<]*)</div>", work).group(1)
    assert alerts == "1"
