"""Beat computes this month's department and company dashboards ahead: the manager who
opens the page first in the morning, and an admin looking at all departments, read them
without a query; a staff member's own scope is not warmed; a run already going is not
doubled."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from carecrm.accounts.models import Department
from dashboard.periods import Period
from dashboard.scope import DashboardScope
from dashboard.selectors.cache import cached_dashboard_figures
from dashboard.services.warming import RUNNING_KEY, dashboards_warm

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _read(scope, period) -> tuple[int, object]:
    """Queries spent on the figures: the reader's role is looked up before, as the page does."""
    assert scope.cache_key
    with CaptureQueriesContext(connection) as captured:
        figures = cached_dashboard_figures(scope, period)
    return len(captured.captured_queries), figures


def test_warmed_dashboards_are_read_without_a_query(manager_a, admin_user, staff_a):
    month = Period.month(timezone.localdate())
    done = dashboards_warm()
    assert done == {"scopes": Department.objects.count() + 1, "languages": 2}

    for language in ("zh-hans", "en"):
        with translation.override(language):
            for scope in (DashboardScope(manager_a), DashboardScope(admin_user)):
                count, figures = _read(scope, month)
                assert count == 0, (language, scope.cache_key)
                assert figures.period == month
            picked = DashboardScope.for_user(admin_user, manager_a.department_id)
            assert _read(picked, month)[0] == 0

    count, _figures = _read(DashboardScope(staff_a), month)
    assert count > 0
    last_month = Period.month(timezone.localdate() - dt.timedelta(days=31))
    assert _read(DashboardScope(manager_a), last_month)[0] > 0


def test_a_run_still_going_is_not_doubled(manager_a):
    cache.add(RUNNING_KEY, 1, timeout=60)
    assert "skipped" in dashboards_warm()
    assert _read(DashboardScope(manager_a), Period.month(timezone.localdate()))[0] > 0
