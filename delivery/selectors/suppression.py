# ruff: noqa: S608  (SQL built from table names, enum values and integers; data are parameters)
"""Who may not get a message, and why: quiet hours, frequency-cap windows and the SQL that
names a customer's suppression reason. Reads only; the enqueue service writes with them
and senders' cost estimates (campaigns' SMS cost) count with them."""

import datetime as dt

from django.db import connection
from django.utils import timezone

from customers.models import ChannelConsent, ContactStatus
from delivery.models import (
    COUNTED_STATUSES,
    DeliveryChannel,
    FrequencyCap,
    MessageClass,
    MessageStatus,
    OutboxMessage,
    QuietHours,
    SuppressionReason,
    Unsubscribe,
)

ADDRESS_COLUMN = {
    DeliveryChannel.SMS: "mobile",
    DeliveryChannel.EMAIL: "email",
    DeliveryChannel.WECOM: "wecom_external_id",
    DeliveryChannel.PUSH: "push_token",
}
# SMS goes to mainland mobile numbers only (E.164 +861…); other channels need an address.
INVALID_ADDRESS = {
    DeliveryChannel.SMS: "(c.mobile = '' OR c.mobile NOT LIKE '+861%%')",
    DeliveryChannel.EMAIL: "(c.email = '' OR c.email NOT LIKE '%%_@_%%')",
    DeliveryChannel.WECOM: "c.wecom_external_id = ''",
    DeliveryChannel.PUSH: "c.push_token = ''",
}


# --- quiet hours ------------------------------------------------------------------------


def local_zone():
    """The zone of the installation's local days (caps count them)."""
    return timezone.get_default_timezone()


def in_quiet_hours(quiet: QuietHours | None, moment: dt.datetime) -> dt.datetime | None:
    """When the quiet window around a moment ends, or None when the moment is outside."""
    if quiet is None or not quiet.active:
        return None
    local = timezone.localtime(moment, local_zone())
    start, end, at = quiet.starts_at, quiet.ends_at, local.time()
    day = local.date()
    if start < end:
        inside = start <= at < end
        end_day = day
    elif at >= start:
        inside, end_day = True, day + dt.timedelta(days=1)
    else:
        inside, end_day = at < end, day
    if not inside:
        return None
    return dt.datetime.combine(end_day, end, tzinfo=local_zone())


# --- frequency caps ---------------------------------------------------------------------


def cap_window(cap: FrequencyCap, day: dt.date) -> tuple[dt.date, dt.date]:
    """Every ``period_days`` window that contains ``day`` lies within these dates; counting
    over all of them keeps every window within the cap."""
    span = dt.timedelta(days=cap.period_days - 1)
    return day - span, day + span


def _db_date(value: dt.date):
    return connection.ops.adapt_datefield_value(value)


def _db_datetime(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def suppression_reason_sql(
    *,
    source_id: int | None,
    care_kind: str,
    channel: str,
    planned_on: dt.date,
    caps: list[FrequencyCap],
    message_class: str = MessageClass.CARE,
) -> tuple[str, list, str, list]:
    """The CASE that names why a customer ``c`` must not get this message (NULL: send)
    and the LEFT JOIN of their recent messages it reads, each with its parameters.

    Only care messages count against caps and duplicates, and only they are checked
    against them; a service message obeys unsubscribes from everything or from the
    channel, consent and a valid contact."""
    counted = ", ".join(f"'{status}'" for status in COUNTED_STATUSES)
    capped = message_class == MessageClass.CARE
    sums = [
        "SUM(CASE WHEN o.channel = %s AND o.planned_on = %s AND o.care_kind = %s "
        "AND o.source_id <> %s THEN 1 ELSE 0 END) AS same_kind"
    ]
    join_params: list = [channel, _db_date(planned_on), care_kind, source_id or 0]
    first, last = planned_on, planned_on
    cap_checks = []
    for index, cap in enumerate(caps if capped else []):
        start, end = cap_window(cap, planned_on)
        first, last = min(first, start), max(last, end)
        channel_match = "o.channel = %s AND " if cap.channel else ""
        sums.append(
            f"SUM(CASE WHEN {channel_match}o.planned_on BETWEEN %s AND %s "
            f"THEN 1 ELSE 0 END) AS cap{index}"
        )
        join_params += [cap.channel] if cap.channel else []
        join_params += [_db_date(start), _db_date(end)]
        if not cap.channel or cap.channel == channel:
            cap_checks.append(f"COALESCE(recent.cap{index}, 0) >= {int(cap.max_messages)}")
    join = (
        f"LEFT JOIN (SELECT o.customer_id, {', '.join(sums)} FROM {_table(OutboxMessage)} o "
        f"WHERE o.planned_on BETWEEN %s AND %s AND o.status IN ({counted}) "
        f"AND o.message_class = '{MessageClass.CARE}' "
        f"GROUP BY o.customer_id) recent ON recent.customer_id = c.id"
    )
    join_params += [_db_date(first), _db_date(last)]
    # An email address that bounced before is not tried again until it changes (other
    # channels report undeliverable numbers as failures of one message).
    bounced = "1 = 0"
    if channel == DeliveryChannel.EMAIL:
        bounced = (
            f"EXISTS (SELECT 1 FROM {_table(OutboxMessage)} b WHERE b.address = c.email "
            f"AND b.channel = 'email' AND b.status = '{MessageStatus.BOUNCED}')"
        )
    # A service message the customer asked for is stopped by an unsubscribe from
    # everything (or from the channel), not by refusing one kind of care.
    refused_kinds = "('', %s)" if capped else "('')"
    duplicate = "COALESCE(recent.same_kind, 0) > 0" if capped else "1 = 0"
    case = f"""CASE
        WHEN EXISTS (SELECT 1 FROM {_table(Unsubscribe)} u WHERE u.customer_id = c.id
                     AND u.channel IN ('', %s) AND u.care_kind IN {refused_kinds})
            THEN '{SuppressionReason.UNSUBSCRIBED}'
        WHEN NOT EXISTS (SELECT 1 FROM {_table(ChannelConsent)} k WHERE k.customer_id = c.id
                         AND k.channel = %s AND k.granted = %s)
            THEN '{SuppressionReason.NO_CONSENT}'
        WHEN c.contact_status = '{ContactStatus.UNREACHABLE}' OR {INVALID_ADDRESS[channel]}
             OR {bounced}
            THEN '{SuppressionReason.INVALID_CONTACT}'
        WHEN {duplicate} THEN '{SuppressionReason.DUPLICATE}'
        WHEN {" OR ".join(cap_checks) or "1 = 0"} THEN '{SuppressionReason.FREQUENCY_CAP}'
        ELSE NULL END"""
    params = [channel, *([care_kind] if capped else []), channel, True]
    return case, params, join, join_params
