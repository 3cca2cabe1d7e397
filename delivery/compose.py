"""From a rendered campaign message to what the provider gets: tracked links, the open
pixel, the unsubscribe footer and headers, each signed for this one message.

Links are collected into ``links`` on the message; a click URL names only the message
and the link's index, so the redirect can lead nowhere but to a link the message held
(no open redirects).
"""

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from carecrm.core.branding.selectors import Brand
from carecrm.header_text import header_safe
from delivery.tokens import Purpose, message_token, public_url

URL_PATTERN = re.compile(r"https?://[^\s<>\"'，。、）)】]+", re.IGNORECASE)
HREF_PATTERN = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(https?://[^"']+)\2""", re.IGNORECASE)


@dataclass
class ComposedMessage:
    subject: str
    body: str
    html_body: str = ""
    links: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    unsubscribe_url: str = ""
    preferences_url: str = ""


TOKEN_SLOT, INDEX_SLOT = "TOKENSLOT", 987654321


@lru_cache(maxsize=16)
def _pattern(name: str, with_index: bool) -> str:
    """The path with slots for token and index: reversed once, not per message."""
    args = [TOKEN_SLOT, INDEX_SLOT] if with_index else [TOKEN_SLOT]
    return reverse(name, args=args)


def _url(name: str, purpose: str, message_id: int, index: int | None = None) -> str:
    path = _pattern(name, index is not None).replace(TOKEN_SLOT, message_token(message_id, purpose))
    if index is not None:
        path = path.replace(str(INDEX_SLOT), str(int(index)))
    return public_url(path)


def unsubscribe_url(message_id: int) -> str:
    return _url("delivery:unsubscribe", Purpose.UNSUBSCRIBE, message_id)


def preferences_url(message_id: int) -> str:
    return _url("delivery:preferences", Purpose.PREFERENCES, message_id)


def click_url(message_id: int, index: int) -> str:
    return _url("delivery:click", Purpose.CLICK, message_id, index)


def short_url(message_id: int, index: int) -> str:
    return _url("delivery:short", Purpose.SHORT_LINK, message_id, index)


def open_pixel_url(message_id: int) -> str:
    return _url("delivery:open", Purpose.OPEN, message_id)


def _collect(links: list[str], url: str) -> int:
    if url not in links:
        links.append(url)
    return links.index(url)


def compose_email(
    message_id: int, *, subject: str, body: str, html_body: str, brand: Brand
) -> ComposedMessage:
    """HTML with tracked links, an open pixel and a footer naming the company (with its
    contact line) and the unsubscribe links; a text part with the same footer; RFC 8058
    one-click headers. ``brand`` is read once per batch by the caller. Control characters
    in the subject (a line break in a customer's name) become a space: the customer is
    still reached, and no header can be forged."""
    links: list[str] = []
    unsubscribe, preferences = unsubscribe_url(message_id), preferences_url(message_id)
    with translation.override(settings.LANGUAGE_CODE):
        sender = _(
            "You receive this email from %(company)s because you agreed to care messages."
        ) % {"company": brand.company_name}
        footer_lines = [sender, brand.contact_line] if brand.contact_line else [sender]
        footer_text = "\n".join([*footer_lines, _("Unsubscribe: %(url)s") % {"url": unsubscribe}])
        links_html = _(
            '<a href="%(unsubscribe)s">Unsubscribe</a> · '
            '<a href="%(preferences)s">Choose what you receive</a>'
        ) % {"unsubscribe": html.escape(unsubscribe), "preferences": html.escape(preferences)}
        footer_html = "<br>".join([*(html.escape(line) for line in footer_lines), links_html])
    if not html_body:
        html_body = "<p>" + html.escape(body).replace("\n", "<br>") + "</p>"

    def track(match: re.Match) -> str:
        index = _collect(links, html.unescape(match.group(3)))
        return f"{match.group(1)}{match.group(2)}{click_url(message_id, index)}{match.group(2)}"

    tracked = HREF_PATTERN.sub(track, html_body)
    pixel = f'<img src="{open_pixel_url(message_id)}" width="1" height="1" alt="">'
    tracked_html = (
        f'{tracked}\n<hr>\n<p style="font-size:12px;color:#666">{footer_html}</p>\n{pixel}'
    )
    return ComposedMessage(
        subject=header_safe(subject),
        body=f"{body.rstrip()}\n\n--\n{footer_text}\n",
        html_body=tracked_html,
        links=links,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        unsubscribe_url=unsubscribe,
        preferences_url=preferences,
    )


def compose_text(message_id: int, *, channel: str, subject: str, body: str) -> ComposedMessage:
    """SMS, WeCom and push: links become short tracked links and the unsubscribe link is
    appended (SMS and WeCom) or carried in the payload (push)."""
    links: list[str] = []

    def shorten(match: re.Match) -> str:
        return short_url(message_id, _collect(links, match.group(0)))

    text = URL_PATTERN.sub(shorten, body)
    unsubscribe = unsubscribe_url(message_id)
    if channel != "push":
        with translation.override(settings.LANGUAGE_CODE):
            text = f"{text.rstrip()} " + _("Unsubscribe: %(url)s") % {"url": unsubscribe}
    return ComposedMessage(
        subject=subject,
        body=text,
        links=links,
        unsubscribe_url=unsubscribe,
        preferences_url=preferences_url(message_id),
    )
