"""Mobile phone numbers: the one place that decides what a valid customer mobile is.

Imports, forms, the API, verification and merges all normalise through here, so the same
number written as ``138 1234 5678``, ``+86-138-1234-5678`` or ``8613812345678`` is one key.
"""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from phonenumbers.phonemetadata import PhoneMetadata

DEFAULT_PHONE_REGION = "CN"
# phonenumbers' own pattern for Chinese mobiles: a fast path for the common case that
# gives the same answer as the full parse below (imports normalise 100,000s of numbers).
_CN_MOBILE = re.compile(PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern)
_PUNCTUATION = re.compile(r"[\s\-()]")


def normalise_mobile(value: str, *, region: str = DEFAULT_PHONE_REGION) -> str:
    """A mobile number as E.164 (``+8613812345678``); blank stays blank.

    Numbers without a country code are read as Chinese. Raises ``ValidationError`` for
    anything that is not a valid mobile (or mobile-capable) number.
    """
    value = (value or "").strip()
    if not value:
        return ""
    compact = _PUNCTUATION.sub("", value)
    for prefix in ("+86", "0086", "86"):
        if compact.startswith(prefix) and len(compact) == len(prefix) + 11:
            compact = compact[len(prefix) :]
            break
    if region == "CN" and len(compact) == 11 and _CN_MOBILE.fullmatch(compact):
        return "+86" + compact
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("“%(value)s” is not a phone number."), code="invalid_phone", params={"value": value}
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a valid mobile phone number."),
            code="invalid_phone",
            params={"value": value},
        )
    mobile_types = {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
    if phonenumbers.number_type(number) not in mobile_types:
        raise ValidationError(
            _("“%(value)s” is a landline number; enter a mobile phone number."),
            code="not_mobile",
            params={"value": value},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
