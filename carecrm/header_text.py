"""Text that reaches an email header: a customer's name (in the subject through ``{name}``)
and email address. A CR or LF there starts a new header, or makes Django refuse the whole
message, so control characters are refused where such text is written and replaced by a
space where a header is built.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# C0 controls (CR, LF, tab, NUL …) and DEL; everything else the email package encodes.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_RUNS = re.compile(r"[\x00-\x1f\x7f]+")


def header_safe(text: str) -> str:
    """``text`` with each run of control characters replaced by one space."""
    return CONTROL_RUNS.sub(" ", text) if CONTROL_CHARACTERS.search(text) else text


def control_character_in(text: str) -> str:
    """The first control character in ``text``, named for a user ("a line break"); "" if
    there is none."""
    found = CONTROL_CHARACTERS.search(text or "")
    if found is None:
        return ""
    character = found.group()
    if character in "\r\n":
        return _("a line break")
    if character == "\t":
        return _("a tab")
    return _("the control character %(code)s") % {"code": f"U+{ord(character):04X}"}


def refuse_control_characters(value: str) -> None:
    """Validator for names and email addresses: they end up in email headers."""
    character = control_character_in(value)
    if character:
        raise ValidationError(
            _("Contains %(character)s, which cannot be used in emails; remove it.")
            % {"character": character},
            code="control_character",
        )
