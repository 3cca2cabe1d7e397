"""The dashboard's figures, kept a few minutes in Django's cache (Redis in production):
the managers who open the page at 9:00 share one computation per scope, period and
language instead of each running every aggregate. While one request computes, the
others with the same key wait for its result rather than starting their own.

A period that is over keeps its figures for an hour (only late imports change them); a
running one five minutes. Changing the programme targets starts a new generation of
keys, so nobody reads a figure measured against the old targets.

Computing them is a few seconds of PostgreSQL for a whole company of a million customers
and ten million orders (the twelve-month trend reads half the orders); the cache is what
keeps the page fast.
"""

import dataclasses
import time
import uuid

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language

from dashboard.figures import DashboardFigures
from dashboard.periods import Period
from dashboard.scope import DashboardScope
from dashboard.selectors.figures import dashboard_figures
from dashboard.selectors.goals import dashboard_goals

CACHE_SECONDS = 5 * 60
CLOSED_PERIOD_SECONDS = 60 * 60
# "Refresh" within this long of the last computation reads it: a reader hammering the
# link cannot keep the database busy.
REFRESH_AFTER_SECONDS = 60
LOCK_SECONDS = 60
WAIT_SECONDS = 20.0
POLL_SECONDS = 0.1
GENERATION_KEY = "dashboard:generation"


def _generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        generation = cache.get(GENERATION_KEY, 1)
    return generation


def new_generation() -> None:
    """Forget every cached dashboard (the targets changed)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, timeout=None)


def cache_key(scope: DashboardScope, period: Period) -> str:
    return (
        f"dashboard:{_generation()}:{scope.cache_key}:{period.kind}:"
        f"{period.start.isoformat()}:{period.end.isoformat()}:{get_language() or ''}"
    )


def _fresh(figures: DashboardFigures) -> bool:
    age = timezone.now() - (figures.computed_at or timezone.now())
    return age.total_seconds() < REFRESH_AFTER_SECONDS


def _timeout(period: Period) -> int:
    return CLOSED_PERIOD_SECONDS if period.bounds()[1] <= timezone.now() else CACHE_SECONDS


def _stored(figures: DashboardFigures) -> DashboardFigures:
    """What goes into the cache: no user object, the reader's scope is put back."""
    return dataclasses.replace(figures, scope=None)


def cached_dashboard_figures(
    scope: DashboardScope, period: Period, *, refresh: bool = False
) -> DashboardFigures:
    """The figures of :func:`dashboard_figures`, from the cache when another reader of
    the same scope computed them recently. ``refresh`` computes them again (the page's
    "refresh" link) unless they are less than a minute old."""
    key = cache_key(scope, period)
    found = cache.get(key)
    if found is not None and (not refresh or _fresh(found)):
        return dataclasses.replace(found, scope=scope)
    lock = f"{key}:computing"
    token = uuid.uuid4().hex
    if not refresh and not cache.add(lock, token, timeout=LOCK_SECONDS):
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            found = cache.get(key)
            if found is not None:
                return dataclasses.replace(found, scope=scope)
            if cache.get(lock) is None:
                break
    try:
        figures = dashboard_figures(scope, period)
        cache.set(key, _stored(figures), timeout=_timeout(period))
    finally:
        if cache.get(lock) == token:
            cache.delete(lock)
    return figures


def cached_dashboard_goals(scope: DashboardScope) -> list:
    """The goals card of :func:`dashboard_goals`, shared for a few minutes like the
    figures: its actuals read the same history."""
    key = f"dashboard-goals:{_generation()}:{scope.cache_key}:{get_language() or ''}"
    goals = cache.get(key)
    if goals is None:
        goals = dashboard_goals(scope)
        cache.set(key, goals, timeout=CACHE_SECONDS)
    return goals


def store_dashboard_figures(scope: DashboardScope, period: Period, *, timeout: int) -> None:
    """Compute and keep the figures for ``timeout`` seconds whatever is cached now: the
    warming task's write, so the first reader of the morning finds them ready."""
    cache.set(cache_key(scope, period), _stored(dashboard_figures(scope, period)), timeout)
