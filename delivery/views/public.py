"""Pages customers reach from a message, without logging in: unsubscribe (also the RFC 8058
one-click POST a mail client sends), preferences, the open pixel, and the click and SMS
short-link redirects.

Each URL carries a signed per-message token for one purpose (``delivery.tokens``);
a bad token answers 404 (the pixel: the same GIF, recording nothing). The pages name the
customer masked, since anyone holding a forwarded message can open them.
"""

import base64

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from carecrm.core.errors import public_link_expired, public_not_found
from carecrm.core.public import NO_STORE, no_store, public_page
from delivery.forms_preferences import PreferencesForm, UnsubscribeChoice, UnsubscribeForm
from delivery.models import DeliveryChannel, OutboxMessage, UnsubscribeSource
from delivery.selectors.preferences import (
    mask_name,
    masked_address,
    message_for_token,
    preference_state,
    recipient,
)
from delivery.services.preferences import (
    message_clicked,
    message_opened,
    preferences_set,
    unsubscribe,
)
from delivery.tokens import Purpose, link_expired, message_token, read_token

TRANSPARENT_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _message(token: str, purpose: str) -> OutboxMessage | None:
    return message_for_token(read_token(token, purpose))


def _context(message: OutboxMessage, **extra) -> dict:
    """The company is named from ``brand`` (``carecrm.core.context_processors.brand``),
    which error, RSVP and survey pages get too."""
    customer = recipient(message)
    return {
        "message": message,
        "masked_name": mask_name(customer.name),
        "masked_address": masked_address(message),
        "channel_label": DeliveryChannel(message.channel).label,
        "care_kind_label": message.get_care_kind_display(),
        **extra,
    }


def _is_one_click(request: HttpRequest) -> bool:
    """RFC 8058: a mail client's POST with the body ``List-Unsubscribe=One-Click``."""
    try:
        return request.POST.get("List-Unsubscribe") == "One-Click"
    except MultiPartParserError:
        return False


@csrf_exempt  # RFC 8058 one-click POSTs come from mail providers, without a CSRF token
@require_http_methods(["GET", "POST"])
@public_page
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    message = _message(token, Purpose.UNSUBSCRIBE)
    if message is None:
        return public_not_found(request)
    if request.method == "POST" and _is_one_click(request):
        unsubscribe(
            customer=recipient(message),
            channel=message.channel,
            source=UnsubscribeSource.ONE_CLICK,
            message=message,
            request=request,
        )
        return _done(request, message, UnsubscribeChoice.CHANNEL)
    return _unsubscribe_page(request, message)


@csrf_protect
def _unsubscribe_page(request: HttpRequest, message: OutboxMessage) -> HttpResponse:
    form = UnsubscribeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        choice = form.cleaned_data["choice"]
        scope = {
            UnsubscribeChoice.CHANNEL: {"channel": message.channel},
            UnsubscribeChoice.KIND: {"care_kind": message.care_kind},
            UnsubscribeChoice.ALL: {},
        }[choice]
        unsubscribe(
            customer=recipient(message),
            source=UnsubscribeSource.LINK,
            message=message,
            request=request,
            **scope,
        )
        return _done(request, message, choice)
    return no_store(
        render(
            request,
            "delivery/public/unsubscribe.html",
            _context(message, form=form, preferences_url=_preferences_path(message)),
        )
    )


def _done(request: HttpRequest, message: OutboxMessage, choice: str) -> HttpResponse:
    return no_store(
        render(
            request,
            "delivery/public/unsubscribed.html",
            _context(message, choice=choice, preferences_url=_preferences_path(message)),
        )
    )


def _preferences_path(message: OutboxMessage) -> str:
    """The preferences link of the unsubscribe page; once the message's preferences link
    has expired, through the unsubscribe token, which never expires (PIPL art. 15)."""
    if link_expired(message, Purpose.PREFERENCES):
        return reverse(
            "delivery:unsubscribe-preferences",
            args=[message_token(message.pk, Purpose.UNSUBSCRIBE)],
        )
    return reverse("delivery:preferences", args=[message_token(message.pk, Purpose.PREFERENCES)])


def _unsubscribe_path(message: OutboxMessage) -> str:
    return reverse("delivery:unsubscribe", args=[message_token(message.pk, Purpose.UNSUBSCRIBE)])


@require_http_methods(["GET", "POST"])
@public_page
def preferences_view(request: HttpRequest, token: str) -> HttpResponse:
    message = _message(token, Purpose.PREFERENCES)
    if message is None:
        return public_not_found(request)
    if link_expired(message, Purpose.PREFERENCES):
        return public_link_expired(
            request,
            next_url=_unsubscribe_path(message),
            next_label=_("Unsubscribe or choose what you receive"),
        )
    return _preferences_page(request, message)


@require_http_methods(["GET", "POST"])
@public_page
def unsubscribe_preferences_view(request: HttpRequest, token: str) -> HttpResponse:
    """The preferences, from the unsubscribe page of a message of any age."""
    message = _message(token, Purpose.UNSUBSCRIBE)
    if message is None:
        return public_not_found(request)
    return _preferences_page(request, message)


def _preferences_page(request: HttpRequest, message: OutboxMessage) -> HttpResponse:
    customer = recipient(message)
    form = PreferencesForm(
        request.POST if request.method == "POST" else None, state=preference_state(customer)
    )
    if form.is_valid():
        preferences_set(
            customer=customer,
            source=UnsubscribeSource.PREFERENCE_PAGE,
            message=message,
            request=request,
            **form.choices(),
        )
        return redirect(f"{request.path}?saved=1")
    return no_store(
        render(
            request,
            "delivery/public/preferences.html",
            _context(message, form=form, saved=request.GET.get("saved") == "1"),
        )
    )


@require_GET
def open_pixel_view(request: HttpRequest, token: str) -> HttpResponse:
    message = _message(token, Purpose.OPEN)
    if message is not None and not link_expired(message, Purpose.OPEN):
        message_opened(message)
    response = HttpResponse(TRANSPARENT_GIF, content_type="image/gif")
    response["Cache-Control"] = NO_STORE
    return response


def _follow(request: HttpRequest, token: str, index: int, purpose: str) -> HttpResponse:
    """Redirect only to a link the message itself held (no open redirect)."""
    message = _message(token, purpose)
    if message is not None and link_expired(message, purpose):
        return public_link_expired(request)
    links = message.links if message is not None and isinstance(message.links, list) else []
    if not 0 <= index < len(links) or not str(links[index]).lower().startswith(
        ("http://", "https://")
    ):
        return public_not_found(request)
    response = HttpResponseRedirect(message_clicked(message, index))
    response["Cache-Control"] = NO_STORE
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
@public_page
def click_view(request: HttpRequest, token: str, index: int) -> HttpResponse:
    return _follow(request, token, index, Purpose.CLICK)


@require_GET
@public_page
def short_link_view(request: HttpRequest, token: str, index: int) -> HttpResponse:
    return _follow(request, token, index, Purpose.SHORT_LINK)


@public_page
def unknown_link_view(request: HttpRequest, rest: str = "") -> HttpResponse:
    """A cut-off or mistyped link under a customer prefix: the customer's 404 page, even
    with ``DEBUG`` on (Django would show its URL list)."""
    return public_not_found(request)
