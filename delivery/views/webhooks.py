"""Webhooks providers call: delivery receipts and inbound SMS.

Authenticated by an HMAC-SHA256 of ``"<timestamp>.<raw body>"`` with
``DELIVERY_WEBHOOK_SECRET``, sent as ``X-CareCRM-Signature: sha256=<hex>`` with the
unix time in ``X-CareCRM-Timestamp``; a timestamp more than five minutes off is refused,
so a captured request cannot be replayed later. Without a secret the endpoints are off.

``POST receipts/<channel>/`` ``{"receipts": [{"id": "carecrm-N" or the provider's id,
"status": "delivered"|"failed"|"bounced", "code", "error", "at"}]}`` answers what it
updated, which were duplicates, stale (ignored), unknown or invalid. A receipt for a
message not yet recorded as sent gets a 503 with Retry-After (the rest is applied;
sending the batch again is harmless).

``POST inbound/sms/`` ``{"from": "+86138…", "text": "TD", "at": iso}`` or
``{"messages": [...]}``: answers per message whether the number was unknown and whether
the text was an opt-out.
"""

import hashlib
import hmac
import json
import math
import re
import time

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from delivery.models import DeliveryChannel
from delivery.services.receipts import (
    PayloadError,
    inbound_sms_record,
    items_list,
    receipts_record,
)

SIGNATURE_HEADER = "X-CareCRM-Signature"
TIMESTAMP_HEADER = "X-CareCRM-Timestamp"
MAX_CLOCK_SKEW = 300
# A receipt for a message not yet recorded as sent: ask the provider to come back.
RETRY_AFTER_SECONDS = 30
# A receipts body nests three levels ({"receipts": [{…}]}); a little room for providers'
# extra fields, none for a body built to exhaust the parser's recursion.
MAX_NESTING = 16
MAX_INTEGER_DIGITS = 30
STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
BRACKETS = re.compile(r"[\[\]{}]")


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": str(message)}, status=status)


def _refusal(request: HttpRequest) -> JsonResponse | None:
    """Why the request is not from our provider, or None when it is."""
    secret = settings.DELIVERY_WEBHOOK_SECRET
    if not secret:
        return _error(503, _("Webhooks are off: DELIVERY_WEBHOOK_SECRET is not set."))
    timestamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    signature = request.headers.get(SIGNATURE_HEADER, "").strip()
    if not timestamp or not signature:
        return _error(
            401,
            _("Sign the request: %(a)s and %(b)s.")
            % {"a": SIGNATURE_HEADER, "b": TIMESTAMP_HEADER},
        )
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return _error(401, _("%(h)s must be unix seconds.") % {"h": TIMESTAMP_HEADER})
    if abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW:
        return _error(403, _("The timestamp is more than five minutes off; check the clock."))
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(f"sha256={expected}".encode(), signature.encode()):
        return _error(403, _("The signature does not match the body."))
    return None


def _refuse_constant(name: str):
    raise PayloadError(
        _("The body holds %(value)s, which is no JSON number; send a number or a string.")
        % {"value": name}
    )


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise PayloadError(_("The number %(value)s is too large.") % {"value": text[:40]})
    return number


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise PayloadError(_("The number %(value)s… is too large.") % {"value": text[:20]})
    return int(text)


def _nesting_depth(text: str) -> int:
    """How deep arrays and objects nest, brackets inside strings not counted: checked
    before parsing, since the parser recurses once per level."""
    depth = deepest = 0
    for bracket in BRACKETS.findall(STRINGS.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _json(request: HttpRequest):
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(_("The body is not UTF-8.")) from exc
    if _nesting_depth(text) > MAX_NESTING:
        raise PayloadError(
            _("The body nests arrays and objects more than %(max)d levels deep.")
            % {"max": MAX_NESTING}
        )
    try:
        return json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except json.JSONDecodeError as exc:
        raise PayloadError(
            _("The body is not valid JSON: %(msg)s (line %(line)d, column %(column)d).")
            % {"msg": exc.msg, "line": exc.lineno, "column": exc.colno}
        ) from exc


@csrf_exempt
@require_POST
def receipts_view(request: HttpRequest, channel: str) -> JsonResponse:
    if channel not in DeliveryChannel.values:
        return _error(404, _("No such channel: %(channel)s.") % {"channel": channel})
    refusal = _refusal(request)
    if refusal:
        return refusal
    try:
        receipts = items_list(_json(request), "receipts")
        outcome = receipts_record(channel=channel, receipts=receipts)
    except PayloadError as exc:
        return _error(400, str(exc))
    if outcome.pending:
        response = JsonResponse(outcome.as_dict(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse(outcome.as_dict())


@csrf_exempt
@require_POST
def inbound_sms_view(request: HttpRequest) -> JsonResponse:
    refusal = _refusal(request)
    if refusal:
        return refusal
    try:
        payload = _json(request)
        single = isinstance(payload, dict) and "messages" not in payload
        items = [payload] if single else items_list(payload, "messages")
    except PayloadError as exc:
        return _error(400, str(exc))
    results = []
    for item in items:
        sender = item.get("from") if isinstance(item, dict) else None
        text = item.get("text") if isinstance(item, dict) else None
        if not isinstance(sender, str) or not isinstance(text, str):
            error = _("Each message needs “from” and “text” strings.")
            if single:
                return _error(400, error)
            results.append({"error": error})
            continue
        try:
            outcome = inbound_sms_record(sender=sender, text=text, at=item.get("at"))
        except PayloadError as exc:
            return _error(400, str(exc))
        except ValueError as exc:
            if single:
                return _error(400, str(exc))
            results.append({"from": sender, "error": str(exc)})
            continue
        results.append(outcome.as_dict())
    return JsonResponse(results[0] if single else {"results": results})
