"""The figures are computed once per scope, period and language every few minutes: the
next reader of the same scope gets them without a query; another scope, period or
language computes its own; "refresh" and a change of the targets compute again; a reader
arriving while another computes waits for that result instead of computing twice."""

import datetime as dt
import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from carecrm.accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from dashboard.periods import Period
from dashboard.scope import DashboardScope
from dashboard.selectors import cache as figures_cache
from dashboard.selectors.cache import cache_key, cached_dashboard_figures
from dashboard.services.targets import targets_update

pytestmark = pytest.mark.django_db
MONTH = Period.month(dt.date(2026, 11, 1))


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def queries(scope, period=MONTH, **kwargs) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        figures = cached_dashboard_figures(scope, period, **kwargs)
    return len(captured.captured_queries), figures


def test_the_second_reader_of_a_scope_reads_the_cache(manager_a, department_a):
    CustomerFactory(department=department_a, vip_level="gold")
    first, figures = queries(DashboardScope.for_user(manager_a))
    assert first > 10
    colleague = UserFactory(username="manager_a2", role="manager", department=department_a)
    second, again = queries(DashboardScope.for_user(colleague))
    assert second == 0
    assert again.kpi("vip_count").value == figures.kpi("vip_count").value == 1
    assert again.scope.user == colleague  # the reader's own scope, not the first one's


def test_scopes_periods_and_languages_do_not_share(manager_a, staff_a, admin_user):
    queries(DashboardScope.for_user(manager_a))
    assert queries(DashboardScope.for_user(staff_a))[0] > 0  # staff: own customers too
    assert queries(DashboardScope.for_user(admin_user))[0] > 0
    assert queries(DashboardScope.for_user(manager_a), MONTH.previous())[0] > 0
    with translation.override("zh-hans"):
        assert queries(DashboardScope.for_user(manager_a))[0] > 0
        assert queries(DashboardScope.for_user(manager_a))[0] == 0


def test_refresh_computes_again(manager_a, department_a, monkeypatch):
    scope = DashboardScope.for_user(manager_a)
    queries(scope)
    CustomerFactory(department=department_a, vip_level="silver")
    assert queries(scope)[1].kpi("vip_count").value == 0  # cached
    # within a minute of the computation "refresh" reads it
    assert queries(scope, refresh=True)[0] == 0
    monkeypatch.setattr(figures_cache, "REFRESH_AFTER_SECONDS", 0)
    count, figures = queries(scope, refresh=True)
    assert count > 10
    assert figures.kpi("vip_count").value == 1
    assert queries(scope)[1].kpi("vip_count").value == 1


def test_new_targets_are_shown_at_once(manager_a, admin_user, django_capture_on_commit_callbacks):
    scope = DashboardScope.for_user(manager_a)
    assert queries(scope)[1].kpi("satisfaction").target == 90
    # the service forgets the cached figures when its transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        targets_update(values={"satisfaction_percent": 85}, user=admin_user)
    count, figures = queries(scope)
    assert count > 0
    assert figures.kpi("satisfaction").target == 85


def test_a_reader_waits_for_the_one_computing(manager_a, monkeypatch):
    scope = DashboardScope.for_user(manager_a)
    key = cache_key(scope, MONTH)
    computed = cached_dashboard_figures(scope, MONTH)
    cache.delete(key)
    cache.add(f"{key}:computing", "someone else", timeout=60)
    monkeypatch.setattr(figures_cache, "POLL_SECONDS", 0.02)
    threading.Timer(0.2, lambda: cache.set(key, figures_cache._stored(computed))).start()
    count, figures = queries(scope)
    assert count == 0  # it waited for the other reader's result instead of computing
    assert figures.kpi("vip_count").value == computed.kpi("vip_count").value


def test_a_reader_does_not_wait_forever(manager_a, monkeypatch):
    scope = DashboardScope.for_user(manager_a)
    cache.add(f"{cache_key(scope, MONTH)}:computing", "a crashed worker", timeout=60)
    monkeypatch.setattr(figures_cache, "WAIT_SECONDS", 0.1)
    monkeypatch.setattr(figures_cache, "POLL_SECONDS", 0.02)
    count, figures = queries(scope)
    assert count > 10
    assert figures.kpi("vip_count").value == 0
