"""Keep the dashboards most people open already computed.

At a million customers one scope's figures take seconds of PostgreSQL, so the first
reader after the cache expired would wait that long. Beat runs :func:`dashboards_warm`
every ten minutes: this month's figures for every department (a manager's scope, and an
admin's with that department picked) and for all departments, in every UI language, kept
for three runs' time so a slow run never leaves a gap. Staff scopes (their department plus
their own customers elsewhere) and other periods are still computed on first read.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from carecrm.accounts.models import Department
from dashboard.periods import Period
from dashboard.scope import DashboardScope
from dashboard.selectors.cache import store_dashboard_figures

WARM_EVERY_SECONDS = 10 * 60
KEEP_SECONDS = 3 * WARM_EVERY_SECONDS
RUNNING_KEY = "dashboard:warming"


@dataclass(frozen=True)
class _Everyone:
    """Who the warming task reads as: every row, like an admin, without being a user."""

    pk = None
    department_id = None
    is_authenticated = True
    is_active = True
    is_admin_role = True
    is_manager_role = False


def dashboards_warm() -> dict:
    """Compute the shared dashboards now; a run still going makes this one a no-op."""
    if not cache.add(RUNNING_KEY, 1, timeout=WARM_EVERY_SECONDS):
        return {"skipped": "a warming run is still going"}
    try:
        period = Period.month(timezone.localdate())
        everyone = _Everyone()
        scopes = [DashboardScope(everyone)] + [
            DashboardScope(everyone, department) for department in Department.objects.all()
        ]
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                for scope in scopes:
                    store_dashboard_figures(scope, period, timeout=KEEP_SECONDS)
        return {"scopes": len(scopes), "languages": len(settings.LANGUAGES)}
    finally:
        cache.delete(RUNNING_KEY)
