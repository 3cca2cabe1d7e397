"""Password rules beyond Django's: a walk along the keyboard or the alphabet
(``qwertyuiopas``) is refused although it is long and in no list of common passwords."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WALKS = (
    "qwertyuiopasdfghjklzxcvbnm",  # row after row
    "qwertyuiop[]\\",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "`1234567890-=",
    "qazwsxedcrfvtgbyhnujmikolp",  # down the columns
    "abcdefghijklmnopqrstuvwxyz",
)
MIN_DISTINCT = 5


WALK_RUN = 4  # a run of this many keys in a row counts as walking


def _walked(password: str) -> int:
    """How many characters of ``password`` lie in runs of at least ``WALK_RUN`` along a
    keyboard row, a column zig-zag, the alphabet or the digits, forwards or backwards
    (taken greedily from the left: ``ytrewqasdfgh`` is two runs of six)."""
    walks = [*WALKS, *(walk[::-1] for walk in WALKS)]
    covered, start = 0, 0
    while start < len(password):
        length = 1
        for end in range(len(password), start + 1, -1):
            if any(password[start:end] in walk for walk in walks):
                length = end - start
                break
        if length >= WALK_RUN:
            covered += length
        start += length
    return covered


class KeyboardPatternValidator:
    def validate(self, password: str, user=None) -> None:
        lowered = password.lower()
        if len(set(lowered)) < MIN_DISTINCT:
            raise ValidationError(
                _("This password uses too few different characters."), code="password_repetitive"
            )
        if _walked(lowered) >= len(lowered) - 2:
            raise ValidationError(
                _("This password is a walk along the keyboard or the alphabet."),
                code="password_keyboard_walk",
            )

    def get_help_text(self) -> str:
        return _(
            "Your password can't be a row of keys (like qwertyuiop) or use only a few "
            "different characters."
        )
