"""Error pages people see instead of Django's: a refused form (CSRF), a page that does not
exist, a refusal, a server error. A customer on a public page gets the phone-sized page
in their language with a way forward; staff get the app's page; ``DEBUG`` changes
neither for customers (``carecrm.core.public``).

Wired in ``settings.CSRF_FAILURE_VIEW`` and the ``handler*`` names of ``carecrm.urls``.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

from carecrm.core.public import is_public_request, language_switch_target, render_public_error


def _retry_url(request: HttpRequest) -> str:
    """Reloading the page the form was on gives a fresh form and token."""
    return language_switch_target(request) or request.get_full_path()


def public_not_found(request: HttpRequest) -> HttpResponse:
    return render_public_error(
        request,
        status=404,
        title=_("This link is not valid"),
        text=_(
            "The link may be incomplete or copied wrongly. Please open it again from the "
            "message you received, or reply to the message to tell us what you would like."
        ),
    )


def public_link_expired(request: HttpRequest, *, next_url: str = "", next_label: str = ""):
    """A customer's link past its lifetime (``delivery.tokens.LINK_LIFETIME``):
    410, in their language, with the way on if there is one."""
    return render_public_error(
        request,
        status=410,
        title=_("This link has expired"),
        text=_(
            "Links in our messages work for a limited time after the message was sent. "
            "Unsubscribing always works, from the link in any message we sent you."
        ),
        next_url=next_url,
        next_label=next_label,
    )


def public_server_error(request: HttpRequest) -> HttpResponse:
    return render_public_error(
        request,
        status=500,
        title=_("Something went wrong on our side"),
        text=_("Nothing you chose was lost. Please try again in a minute."),
        retry_url=request.get_full_path() if request.method == "GET" else request.path,
    )


def _is_api_request(request: HttpRequest) -> bool:
    """``/api/…`` is read by programs: its errors are JSON ``{"detail": …}`` like DRF's
    own, also for what Django answers before a view runs (a path no route matches)."""
    return request.path.startswith("/api/")


def _api_error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _staff_page(request: HttpRequest, status: int, title: str, text: str, retry: bool = False):
    context = {"status": status, "title": title, "text": text}
    if retry:
        context["retry_url"] = request.META.get("HTTP_REFERER", "") or request.path
    return render(request, "errors/staff.html", context, status=status)


@requires_csrf_token
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused because its security token did not check out: an old page, a
    blocked cookie, or a browser that sent no origin. Reloading the page fixes the first
    two; Django has already logged the reason."""
    if is_public_request(request):
        return render_public_error(
            request,
            status=403,
            title=_("Please try once more"),
            text=_(
                "Your choice was not saved: the page had been open too long, or your "
                "browser did not send what we need to be sure the request came from "
                "you. Reload the page and press the button again."
            ),
            retry_url=_retry_url(request),
        )
    return _staff_page(
        request,
        403,
        _("The form had expired"),
        _(
            "Nothing was saved: the page was open too long or you logged in again in "
            "another tab. Go back, reload the page and submit it again."
        ),
        retry=True,
    )


@requires_csrf_token
def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if _is_api_request(request):
        return _api_error(
            404,
            _(
                "Not found: no API endpoint has this path. Ids in paths are whole "
                "numbers, and every path ends with a slash."
            ),
        )
    if is_public_request(request):
        return public_not_found(request)
    return _staff_page(
        request,
        404,
        _("Page not found"),
        _("The page does not exist, or it is not in your part of the company."),
    )


@requires_csrf_token
def staff_forbidden(request: HttpRequest, text: str) -> HttpResponse:
    """A 403 that says why, for a refusal a user can understand (the rule they met)."""
    return _staff_page(request, 403, _("Not allowed"), text)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    if _is_api_request(request):
        return _api_error(403, _("You do not have permission to perform this action."))
    if is_public_request(request):
        return public_not_found(request)
    return _staff_page(
        request,
        403,
        _("Not allowed"),
        _("Your role does not allow this. Ask an administrator if you need it."),
    )


@requires_csrf_token
def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    if _is_api_request(request):
        return _api_error(400, _("The request could not be read."))
    if is_public_request(request):
        return public_not_found(request)
    return _staff_page(
        request,
        400,
        _("The request could not be read"),
        _("Go back and try again."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without context processors or the database: they may be what failed."""
    if _is_api_request(request):
        return _api_error(
            500, _("Something went wrong on our side; it has been logged. Please try again.")
        )
    if is_public_request(request):
        return public_server_error(request)
    try:
        body = get_template("errors/server_error.html").render({"status": 500})
    except Exception:
        body = "<h1>Server error (500)</h1>"
    return HttpResponse(body, status=500)
