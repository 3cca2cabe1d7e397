"""What every page a customer opens without logging in has in common: it speaks the
product's language (or the one the visitor switched to), and whatever goes wrong, the
visitor sees a phone-sized page in that language with a way forward — never Django's
debug page or an English error, even with ``DEBUG`` on (``make run``).

Apps register the URL prefixes of such pages (``register_public_prefix``) so the error
views below know a customer, not a member of staff, is looking.
"""

import functools
import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from carecrm.core.registry import public_prefixes

logger = logging.getLogger("django.request")

NO_STORE = "no-store, private"


def customer_language_code(request: HttpRequest) -> str:
    """The product's language unless the visitor chose another with the switch — not
    whatever the browser happens to prefer: the message they hold is in that language."""
    language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _is_public_path(path: str) -> bool:
    return any(path.startswith(prefix) for prefix in public_prefixes)


def language_switch_target(request: HttpRequest) -> str:
    """Where the language switch was sent from: its ``next`` field, when safe."""
    try:
        target = request.POST.get("next", "") if request.method == "POST" else ""
    except Exception:  # an unreadable body is answered as a plain failure
        return ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else ""


def is_public_request(request: HttpRequest) -> bool:
    """A customer's page, or the language switch pressed on one."""
    if _is_public_path(request.path):
        return True
    if request.path == reverse("set_language"):
        return _is_public_path(language_switch_target(request))
    return False


def no_store(response: HttpResponse) -> HttpResponse:
    """Token-bearing pages are nobody's to cache or index."""
    response["Cache-Control"] = NO_STORE
    response["X-Robots-Tag"] = "noindex"
    return response


def render_public_error(
    request: HttpRequest,
    *,
    status: int,
    title: str,
    text: str,
    retry_url: str = "",
    next_url: str = "",
    next_label: str = "",
) -> HttpResponse:
    """The customer-facing error page, in the customer's language. Falls back to a bare
    page when even rendering fails (a database that is down, say)."""
    with translation.override(customer_language_code(request)):
        context = {
            "status": status,
            "title": title,
            "text": text,
            "retry_url": retry_url,
            "next_url": next_url,
            "next_label": next_label,
        }
        try:
            response = render(request, "public/error.html", context, status=status)
        except Exception:
            logger.exception("Rendering the public error page failed")
            response = HttpResponse(
                f"<!doctype html><meta charset=utf-8>"
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{title}</title><h1>{title}</h1><p>{text}</p>",
                status=status,
            )
    return no_store(response)


def public_page(view):
    """Wrap a customer page: the customer's language, no caching, and an unexpected error
    answered by the friendly 500 page (logged as Django logs a 500) instead of the debug
    page."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        language = customer_language_code(request)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            try:
                return view(request, *args, **kwargs)
            except Http404:
                from carecrm.core.errors import public_not_found

                return public_not_found(request)
            except Exception:
                logger.exception("Internal Server Error: %s", request.path)
                from carecrm.core.errors import public_server_error

                return public_server_error(request)

    return wrapped
