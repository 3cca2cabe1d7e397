"""Message content: the placeholder whitelist, the substitution that fills it in, and the
per-channel checks (SMS length, signature and opt-out; email HTML sanitising; WeCom and
push limits).

User text is never run through a template engine. ``{name}`` and the other whitelisted
placeholders are replaced by plain string substitution; anything else — ``{{ ... }}``,
``{% ... %}``, ``{name.__class__}``, unknown names — stays exactly as typed.
"""

import html
import math
import re
from dataclasses import dataclass, field

import nh3
from django.utils.translation import gettext_lazy as _

from campaigns.models import TouchChannel
from carecrm.core.branding.selectors import current_brand
from delivery.compose import compose_text

# The fixed whitelist: placeholder → what it becomes (shown in the editor).
PLACEHOLDERS: dict[str, str] = {
    "name": _("Customer name"),
    "title": _("Form of address (先生/女士)"),
    "coupon_code": _("Coupon code"),
    "coupon_value": _("Coupon value, e.g. ¥20"),
    "coupon_min_spend": _("Coupon threshold, e.g. 满¥200可用 (empty without a threshold)"),
    "coupon_expires": _("Coupon valid until"),
    "manager_name": _("Relationship manager's name"),
    "manager_phone": _("Relationship manager's work phone"),
    "event_link": _("Event link"),
    "recommendation": _("Recommended product (customers who bought … also bought)"),
    "occasion": _("Occasion, e.g. 中秋节"),
    "date": _("Date of the occasion"),
}
PLACEHOLDER_PATTERN = re.compile(r"\{([a-z_]+)\}")
# Half of a character (a lone UTF-16 surrogate, as JSON "\\ud83d" decodes): no encoder,
# nh3 or database accepts it.
SURROGATE = re.compile("[\ud800-\udfff]")


def whole_characters(value: str) -> str:
    """The text with any lone surrogate replaced by U+FFFD, so it can be encoded."""
    return SURROGATE.sub("\ufffd", value) if SURROGATE.search(value) else value


# SMS (3GPP TS 23.038): GSM-7 messages hold 160 characters, 153 per part when split;
# anything else (Chinese) is UCS-2: 70, 67 per part. Characters of the extension table
# take two septets.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"
SMS_GSM_SINGLE, SMS_GSM_PART = 160, 153
SMS_UCS2_SINGLE, SMS_UCS2_PART = 70, 67
SMS_MAX_PARTS = 7  # Chinese SMS vendors accept long messages up to about 500 characters.
# docs/delivery.md: every SMS carries a 【签名】 signature and a simple opt-out.
SMS_SIGNATURE = re.compile(r"^【[^【】]{2,16}】|【[^【】]{2,16}】$")
SMS_OPT_OUT = re.compile(r"回\s*T\s*退订|退订回\s*T")

EMAIL_SUBJECT_MAX = 150
# WeCom text messages are limited to 2,048 bytes; titles of news cards to 128 bytes.
WECOM_TITLE_MAX, WECOM_BODY_MAX = 64, 600
# Push notifications are cut on the lock screen: keep the title and body short.
PUSH_TITLE_MAX, PUSH_BODY_MAX = 30, 120
SCRIPT_MAX = 2000

# Honorifics are part of the Chinese message text, not of the interface.
TITLES = {"male": "先生", "female": "女士"}

ALLOWED_EMAIL_TAGS = {
    "a", "b", "blockquote", "br", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "img",
    "li", "ol", "p", "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_EMAIL_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
}


def render_text(template: str, values: dict[str, str], *, escape_html: bool = False) -> str:
    """Replace whitelisted ``{placeholder}``s by their values; leave everything else as
    typed. With ``escape_html`` the values (not the template) are HTML-escaped."""

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            return match.group(0)
        value = whole_characters(str(values.get(name, "")))
        return html.escape(value) if escape_html else value

    return PLACEHOLDER_PATTERN.sub(replace, template)


def unknown_placeholders(template: str) -> list[str]:
    """``{word}``s that look like placeholders but are not on the whitelist."""
    found = {m.group(1) for m in PLACEHOLDER_PATTERN.finditer(template)}
    return sorted(found - set(PLACEHOLDERS))


def sanitise_html(value: str) -> str:
    """The email HTML that may be sent: no scripts, styles, event handlers or foreign
    attributes; links only to http(s) and mailto."""
    return nh3.clean(
        whole_characters(value),
        tags=ALLOWED_EMAIL_TAGS,
        attributes=ALLOWED_EMAIL_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def html_to_text(value: str) -> str:
    """A plain-text part from HTML: tags dropped, block ends become line breaks."""
    value = re.sub(r"(?i)<br\s*/?>|</(p|div|h[1-4]|li|tr)>", "\n", whole_characters(value))
    text = html.unescape(nh3.clean(value, tags=set()))
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@dataclass(frozen=True)
class SmsCount:
    characters: int
    encoding: str  # "GSM-7" or "UCS-2"
    parts: int
    per_part: int

    @property
    def remaining_in_part(self) -> int:
        return self.parts * self.per_part - self.characters if self.parts else self.per_part


def sms_count(text: str) -> SmsCount:
    """Length and number of parts as the carriers bill them."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        characters = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        single, part, encoding = SMS_GSM_SINGLE, SMS_GSM_PART, "GSM-7"
    else:
        # emoji take two UCS-2 units; a lone surrogate one
        characters = len(text.encode("utf-16-le", "surrogatepass")) // 2
        single, part, encoding = SMS_UCS2_SINGLE, SMS_UCS2_PART, "UCS-2"
    if characters == 0:
        return SmsCount(0, encoding, 0, single)
    if characters <= single:
        return SmsCount(characters, encoding, 1, single)
    return SmsCount(characters, encoding, math.ceil(characters / part), part)


# Tokens have a fixed width (``delivery.tokens``), so any message id measures
# the same as the one the outbox row will get.
REPRESENTATIVE_MESSAGE_ID = 1


@dataclass(frozen=True)
class SmsAsSent:
    """An SMS as the provider gets it: short tracked links, the unsubscribe link."""

    text: str
    count: SmsCount
    unsubscribe_adds: int  # characters the appended unsubscribe link costs


def sms_as_sent(body: str, values: dict[str, str]) -> SmsAsSent:
    """Measure an SMS the way it is billed: the placeholders filled in, then the very
    ``compose_text`` the sender runs. Every length shown to staff comes from here."""
    rendered = render_text(body, values)
    text = compose_text(REPRESENTATIVE_MESSAGE_ID, channel="sms", subject="", body=rendered).body
    # Push shortens the links the same way but carries no unsubscribe text.
    links_only = compose_text(REPRESENTATIVE_MESSAGE_ID, channel="push", subject="", body=rendered)
    count = sms_count(text)
    return SmsAsSent(
        text=text,
        count=count,
        unsubscribe_adds=count.characters - sms_count(links_only.body.rstrip()).characters,
    )


@dataclass
class ContentCheck:
    """Problems that block submission (``errors``) and hints (``warnings``). ``sms`` is
    the SMS as sent with the given values; ``sms_longest`` the length the checks judge
    (the longest message in the audience when one was measured)."""

    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    sms: SmsCount | None = None
    sms_longest: SmsCount | None = None

    def add(self, field_name: str, message) -> None:
        self.errors.setdefault(field_name, []).append(str(message))

    @property
    def ok(self) -> bool:
        return not self.errors


# Representative values, to measure an SMS before it is personalised.
SAMPLE_VALUES = {
    "name": "欧阳晓明",
    "title": "先生",
    "coupon_code": "K7M2Q9X4TB",
    "coupon_value": "¥20",
    "coupon_min_spend": "满¥200可用",
    "coupon_expires": "2027-12-31",
    "manager_name": "王经理",
    "manager_phone": "021-61234567",
    "event_link": "https://e.example.cn/a1",
    "recommendation": "陶瓷马克杯",
    "occasion": "中秋节",
    "date": "2027-09-15",
}


def check_content(
    *,
    channel: str,
    subject: str = "",
    body: str = "",
    html_body: str = "",
    values=None,
    longest_values=None,
) -> ContentCheck:
    """Check one channel's content; ``values`` (a real customer's) are used to measure an
    SMS, otherwise representative sample values. An SMS's length is judged as sent, on
    ``longest_values`` (the longest placeholder values of its audience) when given."""
    check = ContentCheck()
    values = values or SAMPLE_VALUES
    for name, text in (("subject", subject), ("body", body), ("html_body", html_body)):
        if SURROGATE.search(text):
            check.add(
                name,
                _("The text holds a broken character (half of an emoji?); type it again."),
            )
        unknown = unknown_placeholders(text)
        if unknown:
            check.add(
                name,
                _("Unknown placeholders stay as typed: %(names)s")
                % {"names": ", ".join(f"{{{name}}}" for name in unknown)},
            )
    if channel == TouchChannel.SMS:
        _check_sms(check, body, values, longest_values or values)
    elif channel == TouchChannel.EMAIL:
        _check_email(check, subject, body, html_body)
    elif channel == TouchChannel.WECOM:
        _check_limits(check, subject, body, WECOM_TITLE_MAX, WECOM_BODY_MAX, values)
    elif channel == TouchChannel.PUSH:
        _check_limits(check, subject, body, PUSH_TITLE_MAX, PUSH_BODY_MAX, values)
    else:
        if not body.strip():
            check.add("body", _("Write the call or visit script."))
        elif len(body) > SCRIPT_MAX:
            check.add("body", _("At most %(max)d characters.") % {"max": SCRIPT_MAX})
    return check


def _check_sms(check: ContentCheck, body: str, values: dict, longest_values: dict) -> None:
    if not body.strip():
        check.add("body", _("Write the SMS text."))
        return
    text = render_text(body, values).strip()
    signature = current_brand().signature_tag
    if signature:
        if not (text.startswith(signature) or text.endswith(signature)):
            check.add(
                "body",
                _("An SMS must start or end with the company's signature %(signature)s.")
                % {"signature": signature},
            )
    elif not SMS_SIGNATURE.search(text):
        check.add("body", _("An SMS must start or end with the signature, e.g. 【悦享生活】."))
    if not SMS_OPT_OUT.search(text):
        check.add("body", _("An SMS must tell how to opt out: add “回T退订”."))
    check.sms = sms_as_sent(body, values).count
    check.sms_longest = sms_as_sent(body, longest_values).count
    parts = check.sms_longest.parts
    if parts > SMS_MAX_PARTS:
        check.add(
            "body",
            _("Too long: %(parts)d parts; at most %(max)d.")
            % {"parts": parts, "max": SMS_MAX_PARTS},
        )
    elif parts > 1:
        check.warnings.append(
            str(_("This SMS is sent (and billed) as %(parts)d parts.") % {"parts": parts})
        )


def _check_email(check: ContentCheck, subject: str, body: str, html_body: str) -> None:
    if not subject.strip():
        check.add("subject", _("An email needs a subject."))
    elif len(subject) > EMAIL_SUBJECT_MAX:
        check.add("subject", _("At most %(max)d characters.") % {"max": EMAIL_SUBJECT_MAX})
    if not html_body.strip() and not body.strip():
        check.add("html_body", _("Write the email (HTML or plain text)."))
    if html_body.strip() and sanitise_html(html_body) != html_body:
        check.warnings.append(str(_("Unsafe HTML (scripts, styles, event handlers) is removed.")))


def _check_limits(
    check: ContentCheck, title: str, body: str, title_max: int, body_max: int, values: dict
) -> None:
    if not title.strip():
        check.add("subject", _("Write a title."))
    elif len(render_text(title, values)) > title_max:
        check.add(
            "subject", _("The title may have at most %(max)d characters.") % {"max": title_max}
        )
    if not body.strip():
        check.add("body", _("Write the message."))
    elif len(render_text(body, values)) > body_max:
        check.add("body", _("The message may have at most %(max)d characters.") % {"max": body_max})


def clean_content(*, channel: str, subject: str, body: str, html_body: str) -> dict[str, str]:
    """The content as stored: email HTML sanitised, a missing plain-text part derived
    from it; other channels keep no HTML."""
    subject, body = subject.strip(), body.strip()
    if channel == TouchChannel.EMAIL:
        html_body = sanitise_html(html_body.strip()) if html_body.strip() else ""
        if not body and html_body:
            body = html_to_text(html_body)
    else:
        html_body = ""
    if channel in (TouchChannel.SMS, TouchChannel.PHONE, TouchChannel.VISIT):
        subject = ""
    return {"subject": subject, "body": body, "html_body": html_body}


@dataclass(frozen=True)
class RenderedMessage:
    channel: str
    subject: str
    body: str
    html_body: str


def render_message(*, channel: str, subject: str, body: str, html_body: str, values: dict):
    """One customer's message. HTML gets escaped values and is sanitised again."""
    return RenderedMessage(
        channel=channel,
        subject=render_text(subject, values),
        body=render_text(body, values),
        html_body=sanitise_html(render_text(html_body, values, escape_html=True))
        if html_body
        else "",
    )
