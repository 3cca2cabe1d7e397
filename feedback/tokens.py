"""The customer's personal survey link: ``/q/<token>/``, the invitation's id and an HMAC
of (invitation, survey, customer) in the style of ``events.tokens`` — short enough for an
SMS, impossible to guess, and useless for another customer or survey."""

import hmac

from django.utils.crypto import salted_hmac

from delivery.tokens import ALPHABET, b62decode, b62encode, public_url

SIGNATURE_BYTES = 6
ID_WIDTH, SIGNATURE_WIDTH = 5, 9
_SALT = "carecrm.feedback.survey"


def _signature(invitation_id: int, survey_id: int, customer_id: int) -> str:
    digest = salted_hmac(_SALT, f"{invitation_id}:{survey_id}:{customer_id}").digest()
    signature = b62encode(int.from_bytes(digest[:SIGNATURE_BYTES], "big"))
    return signature.rjust(SIGNATURE_WIDTH, ALPHABET[0])


def invitation_token(invitation) -> str:
    head = b62encode(invitation.pk).rjust(ID_WIDTH, ALPHABET[0])
    return f"{head}-{_signature(invitation.pk, invitation.survey_id, invitation.customer_id)}"


def read_invitation_token(token: str) -> int | None:
    """The invitation id a token names, unverified (see :func:`token_matches`)."""
    head, sep, signature = (token or "").partition("-")
    if not sep or not head or len(head) > 12 or len(signature) != SIGNATURE_WIDTH:
        return None
    try:
        return b62decode(head)
    except ValueError:
        return None


def token_matches(token: str, invitation) -> bool:
    _head, _sep, signature = (token or "").partition("-")
    expected = _signature(invitation.pk, invitation.survey_id, invitation.customer_id)
    return hmac.compare_digest(signature, expected)


def survey_path(invitation) -> str:
    from django.urls import reverse

    return reverse("feedback_public:answer", args=[invitation_token(invitation)])


def survey_url(invitation) -> str:
    """The absolute link a message carries (``SITE_URL``)."""
    return public_url(survey_path(invitation))
