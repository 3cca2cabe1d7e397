"""A limit on searches per user (``settings.SEARCH_RATE_LIMIT``, e.g. ``120/minute``).

Masked contact data can only be matched whole, but a script could still try every
middle-four of a known number; the limit makes that take hours, not seconds. Pages and
API share one count per user, kept in the cache (Redis in production), so switching
from one to the other gains nothing.
"""

from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.throttling import SimpleRateThrottle

SEARCH_PARAMETERS = ("q", "search")


def is_search(request: HttpRequest) -> bool:
    return any(request.GET.get(name, "").strip() for name in SEARCH_PARAMETERS)


class SearchRateThrottle(SimpleRateThrottle):
    """Counts only requests that search; browsing and filtering stay under the API's
    general limit. Works on a DRF request and on a plain Django one."""

    scope = "search"

    def get_rate(self) -> str | None:
        # Read on every request (not once at import) so settings and tests can change it.
        return settings.SEARCH_RATE_LIMIT

    def get_cache_key(self, request, view) -> str | None:
        if not is_search(request) or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


def too_many_searches_message() -> str:
    return _("Too many searches in a short time. Please wait a minute and search again.")


def throttle_searches(view):
    """Page views: a search over the limit gets a 429 page (or, for htmx, the message in
    place of the results) instead of results."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        throttle = SearchRateThrottle()
        if throttle.allow_request(request, None):
            return view(request, *args, **kwargs)
        context = {
            "status": 429,
            "title": _("Too many searches"),
            "text": too_many_searches_message(),
        }
        if getattr(request, "htmx", False):
            return render(request, "errors/throttled_fragment.html", context, status=429)
        return render(request, "errors/staff.html", context, status=429)

    return wrapped
