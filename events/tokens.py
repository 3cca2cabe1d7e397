"""The guest's personal RSVP link: ``/e/<token>/``, where the token is the guest's id and
an HMAC of (guest, event, customer) in the style of ``delivery.tokens`` — short enough for
an SMS, impossible to guess, and useless for another guest or event (a token names one
guest row, and the signature breaks if that row belonged to anything else)."""

import hmac

from django.utils.crypto import salted_hmac

from delivery.tokens import ALPHABET, b62decode, b62encode, public_url

SIGNATURE_BYTES = 6
ID_WIDTH, SIGNATURE_WIDTH = 5, 9
_SALT = "carecrm.events.rsvp"


def _signature(guest_id: int, event_id: int, customer_id: int) -> str:
    digest = salted_hmac(_SALT, f"{guest_id}:{event_id}:{customer_id}").digest()
    signature = b62encode(int.from_bytes(digest[:SIGNATURE_BYTES], "big"))
    return signature.rjust(SIGNATURE_WIDTH, ALPHABET[0])


def guest_token(guest) -> str:
    head = b62encode(guest.pk).rjust(ID_WIDTH, ALPHABET[0])
    return f"{head}-{_signature(guest.pk, guest.event_id, guest.customer_id)}"


def read_guest_token(token: str) -> int | None:
    """The guest id a token names, unverified: the caller checks it with
    :func:`token_matches` against the row it loads."""
    head, sep, signature = (token or "").partition("-")
    if not sep or not head or len(head) > 12 or len(signature) != SIGNATURE_WIDTH:
        return None
    try:
        return b62decode(head)
    except ValueError:
        return None


def token_matches(token: str, guest) -> bool:
    _head, _sep, signature = (token or "").partition("-")
    expected = _signature(guest.pk, guest.event_id, guest.customer_id)
    return hmac.compare_digest(signature, expected)


def rsvp_path(guest) -> str:
    from django.urls import reverse

    return reverse("events_public:rsvp", args=[guest_token(guest)])


def rsvp_url(guest) -> str:
    """The absolute link a message carries (``SITE_URL``)."""
    return public_url(rsvp_path(guest))
