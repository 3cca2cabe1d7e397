"""Results of the campaigns active in a period, all of them in one grouped query over the
outbox (plus one for their names), never one campaign at a time.

Definitions (the delivery figures' own, ``delivery.selectors.messages``):

Active in the period
    a campaign in scope with messages planned for a day of the period to customers in
    scope; while the period runs, also every approved or active campaign in scope.
Sent, delivered, opened, clicked, replied, unsubscribed
    the campaign's messages of the period to customers in scope that reached the
    provider, were delivered, opened (email), clicked, answered (SMS), unsubscribed from.
Converted
    customers who made a purchase within ``DELIVERY_CONVERSION_DAYS`` after one of those
    messages reached the provider; the rate divides by the customers reached.
SMS parts
    what the SMS that reached the provider were billed as: their stored text (exactly
    what was sent) measured like ``campaigns.content.sms_count`` — GSM-7 160 characters,
    153 a part; anything else UCS-2, 70, 67 a part — in SQL.
"""

import datetime as dt

from django.conf import settings
from django.db import NotSupportedError
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Sum,
)
from django.urls import reverse

from campaigns.content import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SMS_GSM_PART,
    SMS_GSM_SINGLE,
    SMS_UCS2_PART,
    SMS_UCS2_SINGLE,
    sms_count,
)
from campaigns.models import DUE_STATUSES, CampaignStatus, CareCampaign
from campaigns.sources import CAMPAIGN
from customers.models import Order
from dashboard.figures import CampaignResult
from dashboard.periods import Period
from dashboard.scope import DashboardScope
from delivery.models import SENT_STATUSES, DeliveryChannel, MessageStatus, OutboxMessage

SQLITE_FUNCTION = "carecrm_sms_parts"
ASTRAL = "[\\U00010000-\\U0010FFFF]"  # a PostgreSQL regular expression


def sqlite_sms_parts(text: str | None) -> int:
    """SQLite has no Unicode-aware functions to count with: it calls this one."""
    return sms_count(text or "").parts


class SmsParts(Func):
    """The SMS parts a text is billed as (``campaigns.content.sms_count``), computed by
    the database: PostgreSQL in SQL, SQLite through :func:`sqlite_sms_parts`."""

    arity = 1
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function=SQLITE_FUNCTION, **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        text_sql, text_params = compiler.compile(self.source_expressions[0])
        params: list = []

        def text() -> str:
            params.extend(text_params)
            return text_sql

        def value(piece: str) -> str:
            params.append(piece)
            return "%s"

        def length() -> str:
            return f"char_length({text()})"

        # GSM-7 when nothing is left after removing its characters; the extension table's
        # characters take two septets, characters beyond the BMP two UCS-2 units. Each
        # piece is one f-string, evaluated left to right: parameters in SQL order.
        def gsm_units() -> str:
            return (
                f"({length()} + ({length()}"
                f" - char_length(translate({text()}, {value(GSM7_EXTENSION)}, ''))))"
            )

        def ucs2_units() -> str:
            return (
                f"({length()} + ({length()}"
                f" - char_length(regexp_replace({text()}, {value(ASTRAL)}, '', 'g'))))"
            )

        sql = (
            f"(CASE WHEN {text()} IS NULL OR {length()} = 0 THEN 0"
            f" WHEN translate({text()}, {value(GSM7_BASIC + GSM7_EXTENSION)}, '') = ''"
            f" THEN (CASE WHEN {gsm_units()} <= {SMS_GSM_SINGLE} THEN 1"
            f" ELSE CEIL({gsm_units()} / {SMS_GSM_PART}.0)::integer END)"
            f" WHEN {ucs2_units()} <= {SMS_UCS2_SINGLE} THEN 1"
            f" ELSE CEIL({ucs2_units()} / {SMS_UCS2_PART}.0)::integer END)"
        )
        return sql, params

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"SmsParts is not available on {connection.vendor}.")


def _runs(period: Period, now: dt.datetime) -> bool:
    start, end = period.bounds()
    return start <= now < end


def campaign_results(
    scope: DashboardScope, period: Period, *, now: dt.datetime, limit: int = 50
) -> list[CampaignResult]:
    """One row per campaign active in the period, most messages sent first."""
    window = dt.timedelta(days=settings.DELIVERY_CONVERSION_DAYS)
    reached = Q(status__in=SENT_STATUSES, sent_at__isnull=False)
    bought_after = Order.objects.filter(
        customer_id=OuterRef("customer_id"),
        amount__gt=0,
        ordered_at__gte=OuterRef("sent_at"),
        ordered_at__lte=ExpressionWrapper(
            OuterRef("sent_at") + window, output_field=DateTimeField()
        ),
    )
    messages = scope.restrict(
        OutboxMessage.objects.filter(
            source__kind=CAMPAIGN, planned_on__gte=period.start, planned_on__lt=period.end
        )
    )
    sms_sent = Q(channel=DeliveryChannel.SMS, status__in=SENT_STATUSES)
    rows = {
        row["source__object_id"]: row
        for row in messages.annotate(converted=Exists(bought_after))
        .order_by()
        .values("source__object_id")
        .annotate(
            sent=Count("pk", filter=Q(status__in=SENT_STATUSES)),
            delivered=Count("pk", filter=Q(status=MessageStatus.DELIVERED)),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
            replied=Count("pk", filter=Q(replied_at__isnull=False)),
            unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
            reached=Count("customer", distinct=True, filter=reached),
            converted_customers=Count(
                "customer", distinct=True, filter=reached & Q(converted=True)
            ),
            emails_sent=Count(
                "pk", filter=Q(channel=DeliveryChannel.EMAIL, status__in=SENT_STATUSES)
            ),
            emails_opened=Count(
                "pk", filter=Q(channel=DeliveryChannel.EMAIL, opened_at__isnull=False)
            ),
            sms_sent=Count("pk", filter=sms_sent),
            sms_replied=Count(
                "pk", filter=Q(channel=DeliveryChannel.SMS, replied_at__isnull=False)
            ),
            sms_parts=Sum(SmsParts("body"), filter=sms_sent),
        )
    }
    which = Q(pk__in=list(rows))
    if _runs(period, now):
        which |= Q(status__in=DUE_STATUSES)
    campaigns = scope.restrict(CareCampaign.objects.filter(which)).values_list(
        "pk", "name", "status"
    )
    statuses = dict(CampaignStatus.choices)
    results = []
    for pk, name, status in campaigns:
        row = rows.get(pk, {})
        results.append(
            CampaignResult(
                campaign_id=pk,
                name=name,
                url=reverse("campaigns:detail", args=[pk]),
                sent=row.get("sent", 0),
                delivered=row.get("delivered", 0),
                opened=row.get("opened", 0),
                clicked=row.get("clicked", 0),
                replied=row.get("replied", 0),
                unsubscribed=row.get("unsubscribed", 0),
                converted=row.get("converted_customers", 0),
                sms_parts=row.get("sms_parts") or 0,
                reached=row.get("reached", 0),
                emails_sent=row.get("emails_sent", 0),
                emails_opened=row.get("emails_opened", 0),
                sms_sent=row.get("sms_sent", 0),
                sms_replied=row.get("sms_replied", 0),
                status=str(statuses.get(status, status)),
            )
        )
    results.sort(key=lambda r: (-r.sent, r.name, r.campaign_id))
    return results[:limit]


def has_campaigns(scope: DashboardScope) -> bool:
    return scope.restrict(CareCampaign.objects.all()).exists()
