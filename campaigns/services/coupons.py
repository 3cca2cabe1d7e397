"""Coupons: issuing one unguessable code per customer and campaign occurrence (in bulk,
idempotently), and recording redemptions from the API, by hand or from a CSV file."""

import csv
import datetime as dt
import io
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from campaigns.models import Coupon, CouponBatch, RedemptionSource
from carecrm.core.scoping import visible_to
from customers.models import Customer

# No 0/O, 1/I/L: codes are read aloud at the till. 31 symbols ** 12 ≈ 2 ** 59.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
ISSUE_CHUNK = 2000
REDEEM_PERMISSION = "campaigns.redeem_coupon"
IMPORT_MAX_ROWS = 50_000


def coupon_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(value: str) -> str:
    """Codes are typed with spaces, dashes and in lower case; store and compare upper."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


def coupon_expiry(batch: CouponBatch, issued_on: dt.date) -> dt.date:
    expires = issued_on + dt.timedelta(days=batch.valid_days)
    return min(expires, batch.expires_on) if batch.expires_on else expires


@transaction.atomic
def coupons_issue(
    *, batch: CouponBatch, occurrence: dt.date, customers: QuerySet[Customer], now=None
) -> int:
    """Give every customer of the queryset a coupon for this occurrence unless they already
    have one; returns how many were issued. Safe to run twice and concurrently: the unique
    (batch, customer, occurrence) key decides."""
    now = now or timezone.now()
    expires_on = coupon_expiry(batch, timezone.localtime(now).date())
    issued = 0
    for _attempt in range(3):  # a second pass only if two random codes collided
        missing = (
            customers.exclude(
                pk__in=Coupon.objects.filter(batch=batch, occurrence=occurrence).values(
                    "customer_id"
                )
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        chunk: list[Coupon] = []
        found = False
        for customer_id in missing.iterator(chunk_size=ISSUE_CHUNK):
            found = True
            chunk.append(
                Coupon(
                    batch=batch,
                    customer_id=customer_id,
                    occurrence=occurrence,
                    code=coupon_code(),
                    issued_at=now,
                    expires_on=expires_on,
                )
            )
            if len(chunk) >= ISSUE_CHUNK:
                issued += _insert(chunk)
                chunk = []
        if chunk:
            issued += _insert(chunk)
        if not found:
            break
    return issued


def _insert(coupons: list[Coupon]) -> int:
    before = Coupon.objects.filter(batch=coupons[0].batch, occurrence=coupons[0].occurrence).count()
    Coupon.objects.bulk_create(coupons, ignore_conflicts=True)
    after = Coupon.objects.filter(batch=coupons[0].batch, occurrence=coupons[0].occurrence).count()
    return after - before


def _redemption_error(coupon: Coupon, *, amount, when: dt.datetime, order_no: str) -> str | None:
    if coupon.redeemed_at is not None:
        if order_no and coupon.order_no == order_no:
            return None  # the same redemption reported again
        return _("Coupon %(code)s was already redeemed on %(date)s.") % {
            "code": coupon.code,
            "date": timezone.localtime(coupon.redeemed_at).date(),
        }
    if timezone.localtime(when).date() > coupon.expires_on:
        return _("Coupon %(code)s expired on %(date)s.") % {
            "code": coupon.code,
            "date": coupon.expires_on,
        }
    min_spend = coupon.batch.min_spend
    if min_spend > 0:
        if amount is None:
            return _(
                "Coupon %(code)s needs a minimum spend of ¥%(min)s: give the order amount."
            ) % {
                "code": coupon.code,
                "min": min_spend,
            }
        if amount < min_spend:
            return _("Order amount ¥%(amount)s is below the minimum spend of ¥%(min)s.") % {
                "amount": amount,
                "min": min_spend,
            }
    return None


@transaction.atomic
def coupon_redeem(
    *,
    code: str,
    user,
    order_no: str = "",
    amount: Decimal | None = None,
    redeemed_at: dt.datetime | None = None,
    source: str = RedemptionSource.MANUAL,
) -> Coupon:
    """Record that a coupon was used. Reporting the same order again is harmless; any
    other second use, an expired coupon or an order below the threshold is refused."""
    if not user.has_perm(REDEEM_PERMISSION):
        raise PermissionDenied(_("You may not record coupon redemptions."))
    code = normalise_code(code)
    coupon = (
        visible_to(user, Coupon.objects.select_for_update().select_related("batch"))
        .filter(code=code)
        .first()
    )
    if coupon is None:
        raise ValidationError({"code": _("No coupon with this code.")})
    when = redeemed_at or timezone.now()
    order_no = order_no.strip()
    error = _redemption_error(coupon, amount=amount, when=when, order_no=order_no)
    if error:
        raise ValidationError({"code": error})
    if coupon.redeemed_at is None:
        coupon.redeemed_at = when
        coupon.order_no = order_no
        coupon.redeemed_amount = amount
        coupon.redemption_source = source
        coupon.redeemed_by = user
        coupon.save(
            update_fields=[
                "redeemed_at",
                "order_no",
                "redeemed_amount",
                "redemption_source",
                "redeemed_by",
            ]
        )
    return coupon


@dataclass
class RedemptionImport:
    rows: int = 0
    redeemed: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # line, code, message


def _parse_row(row: dict) -> tuple[str, str, Decimal | None, dt.datetime | None]:
    code = normalise_code(row.get("code") or "")
    if not code:
        raise ValueError(_("The code is missing."))
    order_no = (row.get("order_no") or "").strip()
    raw_amount = (row.get("amount") or "").strip().replace(",", "").lstrip("¥")
    try:
        amount = Decimal(raw_amount) if raw_amount else None
    except InvalidOperation as exc:
        raise ValueError(_("“%(value)s” is not an amount.") % {"value": raw_amount}) from exc
    raw_when = (row.get("redeemed_at") or "").strip()
    when = None
    if raw_when:
        when = parse_datetime(raw_when)
        if when is None:
            day = parse_date(raw_when)
            if day is None:
                raise ValueError(_("“%(value)s” is not a date.") % {"value": raw_when})
            when = dt.datetime.combine(day, dt.time(12, 0))
        if timezone.is_naive(when):
            when = timezone.make_aware(when)
    return code, order_no, amount, when


@transaction.atomic
def coupon_redemptions_import(*, file, user) -> RedemptionImport:
    """Record redemptions from a CSV file with the columns ``code`` and optionally
    ``order_no``, ``amount`` and ``redeemed_at`` (a till or sales-system export). All
    codes are looked up and updated in bulk; bad rows are reported, good ones kept."""
    if not user.has_perm(REDEEM_PERMISSION):
        raise PermissionDenied(_("You may not record coupon redemptions."))
    raw = file.read()
    text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    reader = csv.DictReader(io.StringIO(text))
    headers = {(name or "").strip().lower() for name in reader.fieldnames or []}
    if "code" not in headers:
        raise ValidationError(_("The file needs a column named “code”."))
    result = RedemptionImport()
    parsed: dict[str, tuple[int, str, Decimal | None, dt.datetime | None]] = {}
    for line, row in enumerate(reader, start=2):
        row = {(key or "").strip().lower(): value for key, value in row.items()}
        result.rows += 1
        if result.rows > IMPORT_MAX_ROWS:
            raise ValidationError(_("At most %(max)d rows per file.") % {"max": IMPORT_MAX_ROWS})
        try:
            code, order_no, amount, when = _parse_row(row)
        except ValueError as exc:
            result.errors.append((line, (row.get("code") or "").strip(), str(exc)))
            continue
        if code in parsed:
            result.errors.append((line, code, _("This code appears twice in the file.")))
            continue
        parsed[code] = (line, order_no, amount, when)
    now = timezone.now()
    codes = list(parsed)
    for start in range(0, len(codes), 1000):
        chunk = codes[start : start + 1000]
        coupons = {
            c.code: c
            for c in visible_to(
                user, Coupon.objects.select_for_update().select_related("batch")
            ).filter(code__in=chunk)
        }
        changed = []
        for code in chunk:
            line, order_no, amount, when = parsed[code]
            coupon = coupons.get(code)
            if coupon is None:
                result.errors.append((line, code, _("No coupon with this code.")))
                continue
            error = _redemption_error(coupon, amount=amount, when=when or now, order_no=order_no)
            if error:
                result.errors.append((line, code, error))
                continue
            if coupon.redeemed_at is not None:
                result.unchanged += 1
                continue
            coupon.redeemed_at = when or now
            coupon.order_no = order_no
            coupon.redeemed_amount = amount
            coupon.redemption_source = RedemptionSource.IMPORT
            coupon.redeemed_by = user
            changed.append(coupon)
        Coupon.objects.bulk_update(
            changed,
            ["redeemed_at", "order_no", "redeemed_amount", "redemption_source", "redeemed_by"],
            batch_size=500,
        )
        result.redeemed += len(changed)
    result.errors.sort()
    return result
