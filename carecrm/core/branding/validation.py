"""The rules a brand must follow, shared by the admin form and the service."""

import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

SIGNATURE_MIN, SIGNATURE_MAX = 2, 16
# Carriers add the 【】 themselves; any bracket typed here would be doubled or refused.
SIGNATURE_FORBIDDEN = set("【】[]〖〗〔〕")

LOGO_MAX_BYTES = 256 * 1024
LOGO_MAX_SIDE = 1024
# Raster formats only: an SVG can carry scripts and would run on our own origin.
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


def sms_signature_clean(value: str) -> str:
    """The signature without surrounding spaces; empty means "no signature"."""
    signature = value.strip()
    if value and not signature:
        raise ValidationError(
            _("The signature cannot be only spaces. Leave it empty or type the name."),
            code="blank",
        )
    if not signature:
        return ""
    if SIGNATURE_FORBIDDEN & set(signature):
        raise ValidationError(
            _("Type the signature without brackets: 悦享生活, not 【悦享生活】."),
            code="brackets",
        )
    if not SIGNATURE_MIN <= len(signature) <= SIGNATURE_MAX:
        raise ValidationError(
            _("The signature needs %(min)d to %(max)d characters; this one has %(count)d.")
            % {"min": SIGNATURE_MIN, "max": SIGNATURE_MAX, "count": len(signature)},
            code="length",
        )
    return signature


def logo_size_check(size: int) -> None:
    if size > LOGO_MAX_BYTES:
        raise ValidationError(
            _("The logo may be at most %(max)d KB; this file has %(size)d KB.")
            % {"max": LOGO_MAX_BYTES // 1024, "size": -(-size // 1024)},
            code="too_large",
        )


def _looks_like_svg(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return head.startswith(b"<?xml") or b"<svg" in head


def logo_content_type(data: bytes) -> str:
    """The logo's content type, after opening it with Pillow: a PNG, JPEG or WebP of at
    most 256 KB and 1024×1024 pixels, whose pixels actually decode."""
    logo_size_check(len(data))
    if _looks_like_svg(data):
        raise ValidationError(
            _("SVG logos are not accepted (they can carry scripts). Upload a PNG, JPEG or WebP."),
            code="svg",
        )
    not_a_picture = ValidationError(
        _("This file cannot be opened as a picture. Upload a PNG, JPEG or WebP logo."),
        code="not_image",
    )
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format, (width, height) = image.format, image.size
            if image_format not in LOGO_FORMATS:
                raise ValidationError(
                    _("%(format)s pictures are not accepted. Upload a PNG, JPEG or WebP logo.")
                    % {"format": image_format},
                    code="format",
                )
            if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
                raise ValidationError(
                    _(
                        "The logo may be at most %(max)d×%(max)d pixels; "
                        "this one is %(width)d×%(height)d."
                    )
                    % {"max": LOGO_MAX_SIDE, "width": width, "height": height},
                    code="too_big",
                )
            image.load()  # decodes the pixels: a truncated or forged file fails here
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_a_picture from None
    return LOGO_FORMATS[image_format]
