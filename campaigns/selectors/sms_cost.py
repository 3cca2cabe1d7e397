# ruff: noqa: S608  (SQL built from the ORM's own query and dispatch's CASE; data are parameters)
"""What an SMS campaign costs, measured as sent (``campaigns.content.sms_as_sent``): the
message to one customer, the longest message in the audience, and the SMS parts for the
whole audience — counted in SQL by groups of customers whose values have the same
lengths, never customer by customer."""

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Concat, Length, Trim
from django.utils import timezone

from campaigns.content import (
    PLACEHOLDER_PATTERN,
    SAMPLE_VALUES,
    TITLES,
    SmsAsSent,
    sms_as_sent,
)
from campaigns.models import (
    CareCampaign,
    DeliveryChannel,
    ProductAffinity,
    SuppressionReason,
    TouchChannel,
)
from campaigns.selectors.audience import campaign_audience, campaign_channels, channel_audiences
from campaigns.selectors.personalise import (
    PREVIEW_COUPON_CODE,
    message_values,
    preview_customers,
    preview_occurrence,
)
from campaigns.selectors.recommendations import best_sellers
from campaigns.sources import campaign_messages
from customers.models import Customer
from delivery.selectors.suppression import suppression_reason_sql

# Stand-ins of a measured length. A Chinese character: one name in Chinese makes the
# whole SMS UCS-2, the dearer encoding, so the figures never understate; for a Chinese
# SMS (the 【signature】 makes it one) they are exact.
WIDE, DIGIT = "名", "0"
# An issued coupon's expiry is an ISO date: ten characters, whatever the day.
ISO_DATE = "2000-01-01"
# Placeholders whose value differs per customer; lengths measured in SQL.
VARYING = ("name", "title", "manager_name", "manager_phone")


@dataclass(frozen=True)
class SmsCost:
    """``as_sent``: the SMS to ``customer``; ``longest``: with each placeholder at the
    longest value in the audience (None without an audience); ``customers``: who would
    get it; ``parts``: SMS parts for one message to each of them — an upper bound, as
    frequency caps and duplicates of the day can only drop messages."""

    customer: Customer | None
    as_sent: SmsAsSent
    longest: SmsAsSent | None
    longest_values: dict[str, str] | None  # for ``check_content(longest_values=…)``
    customers: int
    parts: int
    recommendation_at_longest: bool


def _used(body: str) -> set[str]:
    return {match.group(1) for match in PLACEHOLDER_PATTERN.finditer(body)}


def _measured_values(values: dict[str, str]) -> dict[str, str]:
    """A preview's values as the customer will get them: a coupon not issued yet shows a
    placeholder code and note; the real expiry is a date."""
    values = dict(values)
    if values.get("coupon_code") == PREVIEW_COUPON_CODE:
        values["coupon_expires"] = ISO_DATE
    return values


def _manager_name_length():
    """The length of ``str(user)``: display name, else full name, else username."""
    manager = "relationship_manager__"
    return Case(
        When(relationship_manager__isnull=True, then=Value(0)),
        When(~Q(**{f"{manager}display_name": ""}), then=Length(f"{manager}display_name")),
        When(
            Q(**{f"{manager}first_name": ""}) & Q(**{f"{manager}last_name": ""}),
            then=Length(f"{manager}username"),
        ),
        default=Length(Trim(Concat(f"{manager}first_name", Value(" "), f"{manager}last_name"))),
        output_field=IntegerField(),
    )


def _lengths(used: set[str]) -> dict:
    """Per-customer value lengths, for the placeholders the text uses (0 for the rest, so
    they do not split the groups)."""
    zero = Value(0, output_field=IntegerField())
    title = Case(
        *[When(gender=gender, then=Value(len(text))) for gender, text in TITLES.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    return {
        "name_length": Length("name") if "name" in used else zero,
        "title_length": title if "title" in used else zero,
        "manager_name_length": _manager_name_length() if "manager_name" in used else zero,
        "manager_phone_length": Coalesce(Length("relationship_manager__phone"), zero)
        if "manager_phone" in used
        else zero,
    }


def sms_recipients(campaign: CareCampaign) -> QuerySet[Customer]:
    """The campaign's audience members its SMS goes to under the channel strategy (the
    SMS content counted even before it is saved)."""
    channels = campaign_channels(campaign)
    if TouchChannel.SMS not in channels:
        channels.append(TouchChannel.SMS)
    return dict(channel_audiences(campaign, campaign_audience(campaign), channels))[
        TouchChannel.SMS
    ]


def length_groups(campaign: CareCampaign, body: str, *, on: dt.date) -> Counter:
    """{(name, title, manager name, manager phone lengths): customers} for the customers
    dispatch would queue an SMS for: the very CASE dispatch writes into each outbox row
    decides (unsubscribed, no consent, invalid contact drop a customer; the day's caps and
    duplicates are left out: they depend on what else is sent)."""
    lengths = _lengths(_used(body))
    candidates = (
        sms_recipients(campaign)
        .annotate(**lengths)
        .values("id", "contact_status", "mobile", *lengths)
    )
    candidates_sql, candidate_params = candidates.query.sql_with_params()
    case, case_params, join, join_params = suppression_reason_sql(
        source_id=campaign_messages(campaign).values_list("source_id", flat=True).first(),
        care_kind=campaign.care_kind,
        channel=DeliveryChannel.SMS,
        planned_on=on,
        caps=[],
    )
    columns = ", ".join(lengths)
    inner = ", ".join(f"c.{column}" for column in lengths)
    sql = f"""
        SELECT {columns}, COUNT(*) FROM (
            SELECT {inner}, {case} AS reason FROM ({candidates_sql}) c {join}
        ) d
        WHERE d.reason IS NULL OR d.reason IN (%s, %s)
        GROUP BY {columns}"""
    params = [
        *case_params,
        *candidate_params,
        *join_params,
        SuppressionReason.DUPLICATE,
        SuppressionReason.FREQUENCY_CAP,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return Counter({tuple(row[:-1]): row[-1] for row in cursor.fetchall()})


def longest_recommendation() -> int:
    """The longest product name a recommendation could be: any co-purchase suggestion or
    a best-seller (the fallback). Which one a customer gets is only known when the
    message is rendered, so totals count every customer at this length."""
    names = list(
        ProductAffinity.objects.annotate(length=Length("also_bought"))
        .order_by("-length")
        .values_list("also_bought", flat=True)[:1]
    )
    return max((len(name) for name in names + best_sellers()), default=0)


def _filled(constant: dict[str, str], lengths: tuple[int, ...]) -> dict[str, str]:
    name, title, manager_name, manager_phone = lengths
    return {
        **constant,
        "name": WIDE * name,
        "title": WIDE * title,
        "manager_name": WIDE * manager_name,
        "manager_phone": DIGIT * manager_phone,
    }


def sms_cost(
    campaign: CareCampaign,
    *,
    body: str,
    customer: Customer | None,
    values: dict[str, str] | None = None,
    on: dt.date | None = None,
) -> SmsCost:
    """The SMS ``body`` of ``campaign`` as sent to ``customer`` (values from
    ``message_values``; passed in when the caller has them), the longest one in the
    audience and the parts for the whole audience. Without a customer the sample values
    stand for the occasion's values."""
    on = on or timezone.localdate()
    if customer is not None and values is None:
        occurrence = preview_occurrence(campaign, customer, on)
        values = message_values(campaign, occurrence, [customer], preview=True)[customer.pk]
    values = _measured_values(values or SAMPLE_VALUES)
    as_sent = sms_as_sent(body, values)
    groups = length_groups(campaign, body, on=on)
    used = _used(body)
    # Same for the whole occasion (occasion, date, event link, coupon terms) or of a
    # fixed length (coupon code): taken from the customer's values.
    constant = {name: value for name, value in values.items() if name not in VARYING}
    uses_recommendation = "recommendation" in used
    if uses_recommendation:
        constant["recommendation"] = WIDE * longest_recommendation()
    parts = sum(
        count * sms_as_sent(body, _filled(constant, lengths)).count.parts
        for lengths, count in groups.items()
    )
    longest = widest = None
    if groups:
        widest = _filled(constant, tuple(max(column) for column in zip(*groups, strict=True)))
        longest = sms_as_sent(body, widest)
    return SmsCost(
        customer=customer,
        as_sent=as_sent,
        longest=longest,
        longest_values=widest,
        customers=sum(groups.values()),
        parts=parts,
        recommendation_at_longest=uses_recommendation,
    )


def campaign_sms_cost(campaign: CareCampaign, *, user=None) -> SmsCost | None:
    """The cost of the campaign's saved SMS (None without one), as sent to the first
    customer ``user`` would preview with; sample values without a user."""
    content = campaign.contents.filter(channel=TouchChannel.SMS).first()
    if content is None:
        return None
    customer = None
    if user is not None:
        customer = next(iter(preview_customers(campaign, user, limit=1)), None)
    return sms_cost(campaign, body=content.body, customer=customer)
