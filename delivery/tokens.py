"""Short signed per-message tokens for links customers follow without logging in:
unsubscribe, preferences, open pixel, click redirect, SMS short link.

A token is the message id and an HMAC of it (keyed by ``SECRET_KEY`` and the purpose),
both base62 — short enough for an SMS, impossible to forge or to reuse for another
purpose or message. Both parts are padded with the zero digit to a fixed width, so every
token (ids below 62**5) has the same length and an SMS can be measured before its
message exists.
"""

import datetime as dt
import hashlib
import hmac
import re
import string
from functools import lru_cache

from django.conf import settings
from django.utils import timezone

ALPHABET = string.digits + string.ascii_letters
SIGNATURE_BYTES = 6
# 62**5 ≈ 916 million message ids; 62**9 > 2**48, so a 6-byte signature always fits in 9.
ID_WIDTH, SIGNATURE_WIDTH = 5, 9
TOKEN_LENGTH = ID_WIDTH + 1 + SIGNATURE_WIDTH


class Purpose:
    UNSUBSCRIBE = "unsubscribe"
    PREFERENCES = "preferences"
    OPEN = "open"
    CLICK = "click"
    SHORT_LINK = "short"


# How long a link works after its message was sent (or queued, if never sent). The time
# comes from the message row, not the token, so an SMS stays as short. Unsubscribe links
# (and RFC 8058 one-click POSTs) never expire: PIPL art. 15, withdrawing consent must
# stay easy. An expired preferences link leads on to the unsubscribe page, which reaches
# the preferences too.
LINK_LIFETIME = {
    Purpose.OPEN: dt.timedelta(days=180),
    Purpose.CLICK: dt.timedelta(days=180),
    Purpose.SHORT_LINK: dt.timedelta(days=180),
    Purpose.PREFERENCES: dt.timedelta(days=180),
}


def link_expired(message, purpose: str, *, now: dt.datetime | None = None) -> bool:
    """Whether a valid token of ``purpose`` for ``message`` has outlived its lifetime."""
    lifetime = LINK_LIFETIME.get(purpose)
    if lifetime is None:
        return False
    since = message.sent_at or message.created_at
    return since is not None and since + lifetime < (now or timezone.now())


def b62encode(number: int) -> str:
    if number < 0:
        raise ValueError("negative")
    digits = []
    while True:
        number, rest = divmod(number, 62)
        digits.append(ALPHABET[rest])
        if not number:
            return "".join(reversed(digits))


def b62decode(text: str) -> int:
    number = 0
    for char in text:
        index = ALPHABET.find(char)
        if index < 0:
            raise ValueError(f"not base62: {text!r}")
        number = number * 62 + index
    return number


@lru_cache(maxsize=64)
def _key(purpose: str, secret: str) -> bytes:
    """``salted_hmac``'s derived key, computed once per purpose instead of per token."""
    return hashlib.sha1(f"carecrm.delivery.{purpose}".encode() + secret.encode()).digest()  # noqa: S324


def _signature(message_id: int, purpose: str) -> str:
    # The same digest as salted_hmac(f"carecrm.delivery.{purpose}", str(message_id)).
    digest = hmac.digest(_key(purpose, settings.SECRET_KEY), str(message_id).encode(), "sha1")
    signature = b62encode(int.from_bytes(digest[:SIGNATURE_BYTES], "big"))
    return signature.rjust(SIGNATURE_WIDTH, ALPHABET[0])


def message_token(message_id: int, purpose: str) -> str:
    return f"{b62encode(message_id).rjust(ID_WIDTH, ALPHABET[0])}-{_signature(message_id, purpose)}"


def read_token(token: str, purpose: str) -> int | None:
    """The message id a token was made for, or None when it is not a valid token for
    this purpose. Tokens sent before they were padded to a fixed width are still read:
    the signature is padded the same way before it is compared."""
    head, sep, signature = (token or "").partition("-")
    if not sep or not head or not signature or len(head) > 12 or len(signature) > 12:
        return None
    signature = signature.rjust(SIGNATURE_WIDTH, ALPHABET[0])
    try:
        message_id = b62decode(head)
    except ValueError:
        return None
    if not hmac.compare_digest(signature, _signature(message_id, purpose)):
        return None
    return message_id


def public_url(path: str) -> str:
    """An absolute URL on the public site (``SITE_URL``), for links inside messages."""
    return settings.SITE_URL.rstrip("/") + path


# A customer's links inside a message text, as staff see it (``redact_links``): whoever
# holds one can unsubscribe the customer, change their preferences or fake a click.
_SIGNED_ID = r"[0-9A-Za-z]{1,12}-[0-9A-Za-z]{1,12}"
_HOST = r"(?:https?://[^\s/\"'<>]+)?"
LINK_PATTERNS = (
    (re.compile(_HOST + r"/m/u/" + _SIGNED_ID + r"/?"), "unsubscribe"),
    (re.compile(_HOST + r"/m/p/" + _SIGNED_ID + r"/?"), "preferences"),
    (re.compile(_HOST + r"/m/c/" + _SIGNED_ID + r"/\d+/?"), "tracked"),
    (re.compile(_HOST + r"/s/" + _SIGNED_ID + r"/\d+"), "short"),
    (re.compile(_HOST + r"/m/o/" + _SIGNED_ID + r"\.gif"), "pixel"),
)


def redact_links(text: str, labels: dict[str, str]) -> str:
    """``text`` with every signed customer link replaced by ``labels[kind]`` (e.g.
    "[unsubscribe link]"); the stored text is unchanged."""
    if not text:
        return text
    for pattern, kind in LINK_PATTERNS:
        text = pattern.sub(labels[kind], text)
    return text
