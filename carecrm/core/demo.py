"""Demo sender brand: 悦享生活 with its signature, hotline and a logo drawn at seed time
(no binary file in the repository)."""

import io
import subprocess

from PIL import Image, ImageDraw, ImageFont

from carecrm.accounts.models import Role
from carecrm.core.branding.services import sender_brand_update

DEMO_COMPANY = "悦享生活"
DEMO_SIGNATURE = "悦享生活"
DEMO_CONTACT_LINE = "客服热线 400-820-8820（工作日 9:00–18:00）"
LOGO_SIDE = 128
LOGO_COLOUR = (214, 72, 94)


def _cjk_font_path() -> str | None:
    """A font that has 悦, as fontconfig finds one; None without fontconfig or font."""
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", ":lang=zh-cn"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return found or None


def demo_logo_png() -> bytes:
    """A rounded square in the brand's colour with 悦 on it (a white dot without a CJK
    font), as PNG."""
    image = Image.new("RGBA", (LOGO_SIDE, LOGO_SIDE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, LOGO_SIDE - 1, LOGO_SIDE - 1), radius=28, fill=LOGO_COLOUR)
    path = _cjk_font_path()
    font = None
    if path:
        try:
            font = ImageFont.truetype(path, 84)
        except OSError:
            font = None
    if font is not None and font.getmask("悦").getbbox():
        draw.text((LOGO_SIDE / 2, LOGO_SIDE / 2), "悦", font=font, fill="white", anchor="mm")
    else:
        draw.ellipse((40, 40, LOGO_SIDE - 41, LOGO_SIDE - 41), fill="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def seed_brand(*, rng, options: dict, stdout) -> None:
    """Registered with ``register_demo_seeder``; saving the one brand row again is
    harmless, so a re-run changes nothing."""
    admin = next((u for u in options.get("users", []) if u.role == Role.ADMIN), None)
    sender_brand_update(
        company_name=DEMO_COMPANY,
        sms_signature=DEMO_SIGNATURE,
        contact_line=DEMO_CONTACT_LINE,
        logo=demo_logo_png(),
        user=admin,
    )
    stdout.write(f"Sender brand: {DEMO_COMPANY} 【{DEMO_SIGNATURE}】")
