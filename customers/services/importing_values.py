"""One spreadsheet cell → the value CareCRM stores, or the reason it cannot be imported.

Every cleaner takes the raw cell (``str`` from CSV; ``int``/``float``/``datetime``/``bool``
from XLSX; ``None`` or ``""`` when empty) and returns the stored value, ``""``/``None`` for
an empty cell, or raises :class:`CellError`. A bad value is never dropped silently: the
caller rejects the whole row with the error's message. These run once per cell of files
with hundreds of thousands of rows, so the common shapes take a precompiled fast path.
"""

import datetime as dt
import re
import time
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from carecrm.header_text import control_character_in
from carecrm.phone import normalise_mobile
from customers.models import Channel, CustomerKind, Gender, Source

EXCEL_EPOCH = dt.date(1899, 12, 30)  # day 0 of Excel's 1900 date system (with its 1900 leap bug)


class CellError(ValueError):
    """A cell that cannot be imported; ``str(exc)`` is the reason shown to the user."""


# Cells neutralised against formula injection by an export (ours or others') carry a leading
# apostrophe before the formula character; reading them back yields the literal text.
_NEUTRALISED = re.compile(r"^'(?=[=+\-@\t\r])")


def cell_text(raw) -> str:
    """The cell as trimmed text; numbers as Excel shows them (13812345678, not 1.38e10)."""
    if raw.__class__ is str:
        text = raw.strip()
        if text and (text[0] == "'" or "\ufeff" in text):
            text = text.strip("\ufeff").strip()
            return _NEUTRALISED.sub("", text)
        return text
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "1" if raw else "0"
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, dt.datetime):
        return raw.isoformat(sep=" ")
    return str(raw).strip()


def _folded(raw) -> str:
    """Text with full-width characters folded (１３８ → 138, ＠ → @) — for codes, not names."""
    text = cell_text(raw)
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def clean_text(raw, *, max_length: int | None, label: str) -> str:
    text = cell_text(raw)
    if max_length is not None and len(text) > max_length:
        raise CellError(
            _("%(field)s is longer than %(max)d characters") % {"field": label, "max": max_length}
        )
    return text


def clean_place(raw, *, max_length: int, normalise: Callable[[str], str], label: str) -> str:
    """A province or city in its one official spelling ("上海" → "上海市")."""
    return clean_text(normalise(cell_text(raw)), max_length=max_length, label=label)


def _refuse_control_characters(text: str, *, label: str) -> None:
    character = control_character_in(text)
    if character:
        raise CellError(
            _("%(field)s contains %(character)s, which cannot be used in emails; remove it")
            % {"field": label, "character": character}
        )


def clean_header_text(raw, *, max_length: int | None, label: str) -> str:
    """Text that reaches an email header (the name, in subjects): no line breaks or other
    control characters — a quoted CSV cell or an Alt+Enter in Excel can hold them."""
    text = clean_text(raw, max_length=max_length, label=label)
    _refuse_control_characters(text, label=label)
    return text


# --- mobile phone ---------------------------------------------------------------------------

_PHONE_SHAPE = re.compile(r"\(?\+?\d[\d\s\-()]*")
_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")


def clean_mobile(raw) -> str:
    """Any way people write a mobile number → E.164 (+8613812345678), validated against
    ``phonenumbers`` metadata (default region CN). Text that is not a phone number —
    a formula, a note, a number Excel turned into 1.38E+10 — is an error, never parsed
    leniently into some digits."""
    text = _folded(raw)
    if not text:
        return ""
    if _SCIENTIFIC.fullmatch(text):
        raise CellError(
            _(
                "Mobile phone was shortened by Excel to scientific notation; "
                "format the column as text and export again"
            )
        )
    if not text.isascii() or not _PHONE_SHAPE.fullmatch(text):
        # (full-width digits were folded to ASCII above; other scripts' digits are not
        # what anyone dials in China, and re's \d would let them through)
        raise CellError(_("Mobile phone is not a phone number"))
    try:
        return normalise_mobile(text)
    except ValidationError as exc:
        if exc.code == "not_mobile":
            raise CellError(
                _("Mobile phone is a landline or service number, not a mobile number")
            ) from exc
        raise CellError(_("Mobile phone is not a valid number")) from exc


# --- email ----------------------------------------------------------------------------------

# A strict subset of what Django's validator accepts; anything else goes to the validator.
_COMMON_EMAIL = re.compile(
    r"[a-z0-9_%+\-]+(?:\.[a-z0-9_%+\-]+)*@(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)


def clean_email(raw) -> str:
    text = _folded(raw).lower()
    if not text:
        return ""
    if len(text) > 254:
        raise CellError(_("Email is longer than 254 characters"))
    if _COMMON_EMAIL.fullmatch(text):
        return text
    _refuse_control_characters(text, label=_("Email"))
    try:
        validate_email(text)
    except ValidationError as exc:
        raise CellError(_("Email is not a valid address")) from exc
    return text


# --- dates ----------------------------------------------------------------------------------

_TIME = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
_DATE_FORMATS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME),
    re.compile(
        r"(\d{4})年(\d{1,2})月(\d{1,2})日?" + r"(?:\s*(\d{1,2})[:时](\d{2})分?(?::(\d{2}))?)?"
    ),
    re.compile(r"(\d{4})(\d{2})(\d{2})(?:[ T]?(\d{2})(\d{2})(\d{2})?)?"),
)
_EXCEL_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")


def _date_parts(raw, *, label: str) -> tuple[dt.date | None, dt.time | None]:
    """(date, time of day or None); (None, None) for an empty cell."""
    if raw.__class__ is not str:
        if isinstance(raw, dt.datetime):
            return raw.date(), raw.time()
        if isinstance(raw, dt.date):
            return raw, None
    text = _folded(raw)
    if not text:
        return None, None
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return dt.date.fromisoformat(text), None
        except ValueError:
            pass  # e.g. 2023-02-30: the pattern below gives the precise reason
    if _EXCEL_SERIAL.fullmatch(text):
        serial = float(text)
        day = EXCEL_EPOCH + dt.timedelta(days=int(serial))
        seconds = round((serial - int(serial)) * 86400)
        clock = (dt.datetime.min + dt.timedelta(seconds=seconds)).time() if seconds else None
        return day, clock
    for pattern in _DATE_FORMATS:
        match = pattern.fullmatch(text)
        if match:
            year, month, day, hour, minute, second = match.groups()
            try:
                date = dt.date(int(year), int(month), int(day))
                clock = (
                    dt.time(int(hour), int(minute), int(second or 0)) if hour is not None else None
                )
            except ValueError as exc:
                raise CellError(
                    _("%(field)s “%(value)s” is not a real date") % {"field": label, "value": text}
                ) from exc
            return date, clock
    raise CellError(
        _("%(field)s “%(value)s” is not a date (use e.g. 2024-01-05, 2024/1/5 or 20240105)")
        % {"field": label, "value": text}
    )


def _today() -> dt.date:
    """Today in the project's time zone, looked up once a minute rather than per cell."""
    minute = int(time.monotonic() // 60)
    if _TODAY_CACHE.get("minute") != minute:
        _TODAY_CACHE.update(minute=minute, date=timezone.localdate())
    return _TODAY_CACHE["date"]


_TODAY_CACHE: dict = {}


def clean_past_date(raw, *, label: str) -> dt.date | None:
    """A calendar date between 1900 and today (birthdays, registration dates)."""
    date, _clock = _date_parts(raw, label=label)
    if date is None:
        return None
    if date.year < 1900:
        raise CellError(
            _("%(field)s %(value)s is before 1900") % {"field": label, "value": date.isoformat()}
        )
    if date > _today():
        raise CellError(
            _("%(field)s %(value)s is in the future") % {"field": label, "value": date.isoformat()}
        )
    return date


def clean_datetime(raw, *, label: str) -> dt.datetime | None:
    """A moment, read in the project's time zone when the cell has none (Asia/Shanghai)."""
    if isinstance(raw, str):
        text = _folded(raw)
        if "+" in text[10:] or text.endswith("Z"):
            try:
                return dt.datetime.fromisoformat(text)
            except ValueError:
                pass
    if isinstance(raw, dt.datetime) and timezone.is_aware(raw):
        return raw
    date, clock = _date_parts(raw, label=label)
    if date is None:
        return None
    if date.year < 1970 or date.year > 2100:
        raise CellError(
            _("%(field)s %(value)s is out of range") % {"field": label, "value": date.isoformat()}
        )
    moment = dt.datetime.combine(date, clock or dt.time(0, 0))
    return timezone.make_aware(moment, timezone.get_default_timezone())


# --- choices --------------------------------------------------------------------------------


def _words(mapping: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {word.lower(): value for value, words in mapping.items() for word in words}


_GENDERS = _words(
    {
        Gender.MALE: ("男", "男性", "先生", "m", "male", "man", "1"),
        Gender.FEMALE: ("女", "女性", "女士", "f", "female", "woman", "2"),
        Gender.UNKNOWN: ("未知", "保密", "不详", "unknown", "u", "0", "9", "-"),
    }
)
_SOURCES = _words(
    {
        Source.SALES: ("sales", "销售系统", "销售", "sales system", "pos", "门店"),
        Source.CRM: ("crm", "客户管理系统"),
        Source.SERVICE: ("service", "客服", "客户服务", "customer service", "服务"),
        Source.MARKETING_FORM: (
            "marketing_form",
            "marketing form",
            "营销表单",
            "市场表单",
            "报名表",
            "活动报名",
            "marketing sign-up form",
        ),
        Source.IMPORT: ("import", "导入"),
        Source.MANUAL: ("manual", "手工", "手工录入", "manual entry", "人工"),
    }
)
_KINDS = _words(
    {
        CustomerKind.PERSON: ("person", "个人", "个人客户", "个体", "individual", "consumer"),
        CustomerKind.COMPANY: ("company", "企业", "公司", "企业客户", "单位", "business", "b2b"),
    }
)
_CHANNELS = _words(
    {
        Channel.SMS: ("sms", "短信", "text"),
        Channel.EMAIL: ("email", "邮件", "邮箱", "电子邮件", "e-mail"),
        Channel.WECOM: ("wecom", "企业微信", "微信", "wechat"),
        Channel.PUSH: ("push", "app push", "推送", "app推送", "app"),
        Channel.PHONE: ("phone", "电话", "phone call", "call"),
    }
)
_YES_NO = _words(
    {
        "yes": (
            "是",
            "同意",
            "已同意",
            "允许",
            "接受",
            "订阅",
            "y",
            "yes",
            "true",
            "1",
            "opt-in",
            "optin",
            "opt in",
            "opted in",
            "√",
            "✓",
            "✔",
        ),
        "no": (
            "否",
            "不同意",
            "拒绝",
            "已拒绝",
            "不允许",
            "退订",
            "n",
            "no",
            "false",
            "0",
            "×",
            "✗",
            "opt-out",
            "optout",
            "opt out",
            "opted out",
        ),
    }
)


def _choice(raw, table: dict[str, str], *, label: str, allowed: Callable[[], str]) -> str | None:
    text = _folded(raw)
    if not text:
        return None
    try:
        return table[text.lower()]
    except KeyError:
        raise CellError(
            _("%(field)s “%(value)s” is not one of: %(allowed)s")
            % {"field": label, "value": text, "allowed": allowed()}
        ) from None


def _labels(choices) -> Callable[[], str]:
    return lambda: ", ".join(str(choice.label) for choice in choices)


def clean_gender(raw, *, label: str) -> str:
    return _choice(raw, _GENDERS, label=label, allowed=lambda: "男/女/M/F/male/female") or ""


def clean_source(raw, *, label: str) -> str:
    return _choice(raw, _SOURCES, label=label, allowed=_labels(Source)) or ""


def clean_kind(raw, *, label: str) -> str:
    return _choice(raw, _KINDS, label=label, allowed=lambda: "个人/企业/person/company") or ""


def clean_channel(raw, *, label: str) -> str:
    return _choice(raw, _CHANNELS, label=label, allowed=_labels(Channel)) or ""


_NOT_ASKED = frozenset(("未征询", "未询问", "未知", "not asked", "unknown", "-"))


def clean_consent(raw, *, label: str) -> bool | None:
    """是/否, 同意/拒绝, yes/no, 1/0, true/false, opt-in/opt-out …; an empty cell (or
    未征询, "not asked") says nothing about consent (``None``)."""
    if _folded(raw).lower() in _NOT_ASKED:
        return None
    answer = _choice(
        raw,
        _YES_NO,
        label=label,
        allowed=lambda: "是/否/同意/拒绝/yes/no/1/0/true/false/opt-in/opt-out",
    )
    return None if answer is None else answer == "yes"


# --- lists ----------------------------------------------------------------------------------

_LIST_SEPARATORS = re.compile(r"\s*[,，;；|、/]\s*")


def clean_list(raw, *, label: str, item_length: int) -> tuple[str, ...]:
    """ "VIP, 咖啡；茶" → ("VIP", "咖啡", "茶") (order kept, repeats dropped)."""
    text = cell_text(raw)
    if not text:
        return ()
    items: list[str] = []
    for item in _LIST_SEPARATORS.split(text):
        if item and item not in items:
            if len(item) > item_length:
                raise CellError(
                    _("%(field)s “%(value)s” is longer than %(max)d characters")
                    % {"field": label, "value": item, "max": item_length}
                )
            items.append(item)
    return tuple(items)


# --- numbers --------------------------------------------------------------------------------

_MONEY_NOISE = re.compile(r"[¥,\s]|元|cny|rmb", re.IGNORECASE)
CENT = Decimal("0.01")


def clean_decimal(raw, *, label: str, max_digits: int, allow_zero: bool = True) -> Decimal | None:
    """Amounts and quantities with at most two decimals; "¥1,299.00" and "1299元" are read,
    "12.345" is an error (never rounded silently). Negative values are allowed (refunds)."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
        text = cell_text(raw)
        if isinstance(raw, float) and abs(value - value.quantize(CENT)) < Decimal("0.000001"):
            value = value.quantize(CENT)
    else:
        text = _folded(raw)
        if not text:
            return None
        cleaned = _MONEY_NOISE.sub("", text)
        if cleaned.startswith("(") and cleaned.endswith(")"):
            cleaned = "-" + cleaned[1:-1]
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise CellError(
                _("%(field)s “%(value)s” is not a number") % {"field": label, "value": text}
            ) from None
    if not value.is_finite():
        raise CellError(
            _("%(field)s “%(value)s” is not a number") % {"field": label, "value": text}
        )
    if value != value.quantize(CENT):
        raise CellError(
            _("%(field)s “%(value)s” has more than two decimals") % {"field": label, "value": text}
        )
    value = value.quantize(CENT)
    if abs(value) >= Decimal(10) ** (max_digits - 2):
        raise CellError(_("%(field)s “%(value)s” is too large") % {"field": label, "value": text})
    if not allow_zero and value == 0:
        raise CellError(_("%(field)s must not be zero") % {"field": label})
    return value


def clean_customer_id(raw, *, label: str) -> int | None:
    text = _folded(raw)
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise CellError(
            _("%(field)s “%(value)s” is not a customer number") % {"field": label, "value": text}
        )
    return int(text)


# A referrer is named by a customer ID (digits, at most this many, or "ID 123"/"#123") or
# by a mobile phone; an 11-digit Chinese mobile is never mistaken for an ID.
_REFERRER_ID = re.compile(r"(?:id|#)\s*[:：]?\s*(\d{1,18})", re.IGNORECASE)
REFERRER_ID_DIGITS = 10


def clean_referrer(raw, *, label: str) -> int | str | None:
    """The referrer as a customer ID (``int``) or a mobile phone in E.164 (``str``)."""
    text = _folded(raw)
    if not text:
        return None
    if match := _REFERRER_ID.fullmatch(text):
        return int(match.group(1))
    if text.isdigit() and len(text) <= REFERRER_ID_DIGITS and not text.startswith("1"):
        return int(text)
    try:
        return clean_mobile(text)
    except CellError:
        if text.isdigit() and len(text) <= REFERRER_ID_DIGITS:
            return int(text)
        raise CellError(
            _("%(field)s “%(value)s” is neither a mobile phone nor a customer ID")
            % {"field": label, "value": text}
        ) from None
