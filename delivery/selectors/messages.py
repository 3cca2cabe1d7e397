"""Reads of the delivery engine for staff: a source's delivery figures (a campaign's, an
event's …), the operations overview and the message log. Every figure is one aggregate
query over the outbox (never a loop over messages), so a million-recipient campaign costs
the same handful of queries.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from carecrm.core.keyset import SortKey
from carecrm.core.scoping import visible_to
from customers.models import Order
from customers.privacy import can_see_pii, mask_email, mask_phone
from delivery.models import (
    SENT_STATUSES,
    DeliveryChannel,
    DispatchRun,
    MessageClass,
    MessageSource,
    MessageStatus,
    OutboxMessage,
    SourceState,
    SuppressionReason,
)
from delivery.tokens import redact_links

# The daily chart shows at most this many days (the most recent ones).
SERIES_MAX_DAYS = 90


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Figures:
    """Counts of one source's messages (all channels or one); rates are ``None`` when
    nothing they divide by has happened yet."""

    audience: int = 0
    queued: int = 0
    sending: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    bounced: int = 0
    suppressed: int = 0
    uncertain: int = 0
    opened: int = 0
    clicked: int = 0
    replied: int = 0
    unsubscribed: int = 0
    emails_sent: int = 0
    emails_opened: int = 0
    sms_sent: int = 0
    sms_replied: int = 0

    @property
    def delivery_rate(self) -> float | None:
        return _rate(self.delivered, self.sent)

    @property
    def open_rate(self) -> float | None:
        """Emails opened / emails sent (only email carries an open pixel)."""
        return _rate(self.emails_opened, self.emails_sent)

    @property
    def click_rate(self) -> float | None:
        return _rate(self.clicked, self.sent)

    @property
    def reply_rate(self) -> float | None:
        """SMS replied / SMS sent (only SMS has replies)."""
        return _rate(self.sms_replied, self.sms_sent)

    @property
    def unsubscribe_rate(self) -> float | None:
        return _rate(self.unsubscribed, self.sent)

    def as_dict(self) -> dict:
        data = dict(self.__dict__)
        for name in ("delivery_rate", "open_rate", "click_rate", "reply_rate", "unsubscribe_rate"):
            data[name] = getattr(self, name)
        return data


def _sent(**extra) -> Q:
    return Q(status__in=SENT_STATUSES, **extra)


FIGURE_AGGREGATES = {
    "audience": Count("customer", distinct=True),
    "queued": Count("pk", filter=Q(status=MessageStatus.QUEUED)),
    "sending": Count("pk", filter=Q(status=MessageStatus.SENDING)),
    "sent": Count("pk", filter=_sent()),
    "delivered": Count("pk", filter=Q(status=MessageStatus.DELIVERED)),
    "failed": Count("pk", filter=Q(status=MessageStatus.FAILED)),
    "bounced": Count("pk", filter=Q(status=MessageStatus.BOUNCED)),
    "suppressed": Count("pk", filter=Q(status=MessageStatus.SUPPRESSED)),
    "uncertain": Count("pk", filter=Q(status=MessageStatus.UNCERTAIN)),
    "opened": Count("pk", filter=Q(opened_at__isnull=False)),
    "clicked": Count("pk", filter=Q(clicked_at__isnull=False)),
    "replied": Count("pk", filter=Q(replied_at__isnull=False)),
    "unsubscribed": Count("pk", filter=Q(unsubscribed_at__isnull=False)),
    "emails_sent": Count("pk", filter=_sent(channel=DeliveryChannel.EMAIL)),
    "emails_opened": Count("pk", filter=Q(channel=DeliveryChannel.EMAIL, opened_at__isnull=False)),
    "sms_sent": Count("pk", filter=_sent(channel=DeliveryChannel.SMS)),
    "sms_replied": Count("pk", filter=Q(channel=DeliveryChannel.SMS, replied_at__isnull=False)),
}


@dataclass
class Conversions:
    """Customers who ordered within ``days`` after a message of the source reached the
    provider, their orders and the revenue of those orders (CNY; refunds not counted)."""

    days: int
    customers: int = 0
    orders: int = 0
    revenue: Decimal = Decimal("0.00")
    rate: float | None = None


@dataclass
class SourceMetrics:
    """``by_class``: care touches (they count against caps) and service messages the
    customers asked for, apart. ``coupons_*`` are filled in by senders that issue them."""

    total: Figures
    by_channel: list[tuple[str, str, Figures]]
    suppressed_by_reason: list[tuple[str, str, int]]
    conversions: Conversions
    by_class: list[tuple[str, str, Figures]] = field(default_factory=list)
    coupons_issued: int = 0
    coupons_redeemed: int = 0
    series: dict = field(default_factory=dict)

    @property
    def redemption_rate(self) -> float | None:
        return _rate(self.coupons_redeemed, self.coupons_issued)

    @property
    def has_messages(self) -> bool:
        return self.total.audience > 0

    def chart_data(self) -> dict:
        """What static/js/delivery-chart.js draws (labels are translated by the view)."""
        total = self.total
        return {
            "funnel": [
                total.sent,
                total.delivered,
                total.opened,
                total.clicked,
                total.replied,
                self.conversions.customers,
            ],
            "series": self.series,
        }


def _conversions(messages: QuerySet[OutboxMessage]) -> Conversions:
    days = settings.DELIVERY_CONVERSION_DAYS
    window = dt.timedelta(days=days)
    result = Conversions(days=days)
    reached = messages.filter(status__in=SENT_STATUSES, sent_at__isnull=False)
    span = reached.aggregate(first=Min("sent_at"), last=Max("sent_at"))
    if span["first"] is None:
        return result
    touch = reached.filter(
        customer_id=OuterRef("customer_id"),
        sent_at__lte=OuterRef("ordered_at"),
        sent_at__gte=OuterRef("window_start"),
    )
    orders = (
        Order.objects.filter(
            ordered_at__gte=span["first"], ordered_at__lte=span["last"] + window, amount__gt=0
        )
        .annotate(
            window_start=ExpressionWrapper(F("ordered_at") - window, output_field=DateTimeField())
        )
        .filter(Exists(touch))
    )
    figures = orders.aggregate(
        customers=Count("customer", distinct=True), orders=Count("pk"), revenue=Sum("amount")
    )
    result.customers = figures["customers"]
    result.orders = figures["orders"]
    result.revenue = figures["revenue"] or Decimal("0.00")
    reached_customers = reached.values("customer").distinct().count()
    result.rate = _rate(result.customers, reached_customers)
    return result


def _daily_series(messages: QuerySet[OutboxMessage]) -> dict:
    """Messages sent, delivered, opened and clicked per local day, gaps filled with 0."""
    tz = timezone.get_default_timezone()
    counts: dict[str, dict[dt.date, int]] = {}
    for name, column, extra in (
        ("sent", "sent_at", _sent()),
        ("delivered", "delivered_at", Q()),
        ("opened", "opened_at", Q()),
        ("clicked", "clicked_at", Q()),
    ):
        rows = (
            messages.filter(extra, **{f"{column}__isnull": False})
            .annotate(day=TruncDate(column, tzinfo=tz))
            .values("day")
            .order_by("day")
            .annotate(n=Count("pk"))
        )
        counts[name] = {row["day"]: row["n"] for row in rows}
    days_seen = set().union(*counts.values())
    if not days_seen:
        return {"days": [], "sent": [], "delivered": [], "opened": [], "clicked": []}
    last = max(days_seen)
    first = max(min(days_seen), last - dt.timedelta(days=SERIES_MAX_DAYS - 1))
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    series = {"days": [day.isoformat() for day in days]}
    for name, by_day in counts.items():
        series[name] = [by_day.get(day, 0) for day in days]
    return series


def source_metrics(source: MessageSource) -> SourceMetrics:
    """Delivery figures of a whole source (every department it reaches)."""
    return messages_metrics(OutboxMessage.objects.filter(source=source))


def messages_metrics(messages: QuerySet[OutboxMessage]) -> SourceMetrics:
    """Counts and rates of some messages in total, per channel and per message class,
    suppressions per reason, conversions and the daily series for the chart."""
    total = Figures(**messages.aggregate(**FIGURE_AGGREGATES))
    labels = dict(DeliveryChannel.choices)
    by_channel = []
    for row in messages.values("channel").order_by("channel").annotate(**FIGURE_AGGREGATES):
        channel = row.pop("channel")
        by_channel.append((channel, labels.get(channel, channel), Figures(**row)))
    classes = dict(MessageClass.choices)
    by_class = []
    for row in (
        messages.values("message_class").order_by("message_class").annotate(**FIGURE_AGGREGATES)
    ):
        name = row.pop("message_class")
        by_class.append((name, classes.get(name, name), Figures(**row)))
    reasons = dict(SuppressionReason.choices)
    suppressed = [
        (row["reason"], reasons.get(row["reason"], row["reason"]), row["n"])
        for row in messages.filter(status=MessageStatus.SUPPRESSED)
        .values("reason")
        .order_by()
        .annotate(n=Count("pk"))
        .order_by("-n", "reason")
    ]
    return SourceMetrics(
        total=total,
        by_channel=by_channel,
        by_class=by_class,
        suppressed_by_reason=suppressed,
        conversions=_conversions(messages),
        series=_daily_series(messages),
    )


# --- operations ------------------------------------------------------------------------


@dataclass
class QueueOverview:
    depth: list[dict]
    depth_total: dict
    sent_last_5: int
    sent_last_60: int
    failures: list[dict]
    stuck: int
    stuck_messages: list[OutboxMessage]
    runs: list[DispatchRun]
    failed_codes: list[tuple[str, int]]
    uncertain: list[dict]

    @property
    def rate_5(self) -> float:
        """Messages per minute over the last 5 minutes."""
        return self.sent_last_5 / 5

    @property
    def rate_60(self) -> float:
        return self.sent_last_60 / 60


def queue_overview(*, now: dt.datetime | None = None) -> QueueOverview:
    """The whole queue (every department): what waits — due now, planned later, deferred by
    quiet hours, waiting for a retry (disjoint) — how fast it goes, what fails."""
    now = now or timezone.now()
    queued = Q(status=MessageStatus.QUEUED)
    depth_aggregates = {
        "due": Count("pk", filter=queued & Q(send_after__lte=now)),
        "later": Count("pk", filter=queued & Q(send_after__gt=now, deferred=False, attempts=0)),
        "quiet": Count("pk", filter=queued & Q(send_after__gt=now, deferred=True)),
        "retrying": Count(
            "pk", filter=queued & Q(send_after__gt=now, deferred=False, attempts__gt=0)
        ),
        "sending": Count("pk", filter=Q(status=MessageStatus.SENDING)),
    }
    waiting = OutboxMessage.objects.filter(status__in=(MessageStatus.QUEUED, MessageStatus.SENDING))
    labels = dict(DeliveryChannel.choices)
    depth = [
        {**row, "label": labels.get(row["channel"], row["channel"])}
        for row in waiting.values("channel").order_by("channel").annotate(**depth_aggregates)
    ]
    depth_total = {name: sum(row[name] for row in depth) for name in depth_aggregates}
    sent = OutboxMessage.objects.filter(sent_at__gte=now - dt.timedelta(minutes=60)).aggregate(
        last_60=Count("pk"),
        last_5=Count("pk", filter=Q(sent_at__gte=now - dt.timedelta(minutes=5))),
    )
    failures = list(
        OutboxMessage.objects.filter(
            status=MessageStatus.FAILED, failed_at__gte=now - dt.timedelta(hours=24)
        )
        .values("channel", "error_code", "error")
        .order_by()
        .annotate(n=Count("pk"), last=Max("failed_at"))
        .order_by("-n", "error_code")[:20]
    )
    for row in failures:
        row["label"] = labels.get(row["channel"], row["channel"])
    failed_codes = [
        (row["error_code"], row["n"])
        for row in OutboxMessage.objects.filter(status=MessageStatus.FAILED)
        .values("error_code")
        .order_by()
        .annotate(n=Count("pk"))
        .order_by("-n", "error_code")[:50]
    ]
    stuck = OutboxMessage.objects.filter(status=MessageStatus.SENDING, lease_until__lt=now)
    return QueueOverview(
        depth=depth,
        depth_total=depth_total,
        sent_last_5=sent["last_5"],
        sent_last_60=sent["last_60"],
        failures=failures,
        stuck=stuck.count(),
        stuck_messages=list(stuck.select_related("source").order_by("lease_until")[:10]),
        runs=list(DispatchRun.objects.order_by("-started_at")[:10]),
        failed_codes=failed_codes,
        uncertain=[
            {**row, "label": labels.get(row["channel"], row["channel"])}
            for row in OutboxMessage.objects.filter(status=MessageStatus.UNCERTAIN)
            .values("channel")
            .order_by("channel")
            .annotate(n=Count("pk"), oldest=Min("handed_at"))
        ],
    )


# --- message log -----------------------------------------------------------------------


def visible_messages(user) -> QuerySet[OutboxMessage]:
    """Messages to customers the user may see."""
    return visible_to(user, OutboxMessage.objects.all())


def visible_sources(user) -> QuerySet[MessageSource]:
    """Senders the user may open: admins every one; others those of their department and
    those that sent to a customer they see."""
    sources = MessageSource.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return sources.none()
    if user.is_admin_role:
        return sources
    mine = visible_messages(user).filter(source=OuterRef("pk"))
    department = Q(department_id=user.department_id) if user.department_id else Q(pk__in=[])
    return sources.filter(department | Exists(mine))


def sources_overview(user, *, limit: int = 20) -> list[MessageSource]:
    """The senders the user may open that have messages waiting (queued or sending) or
    are paused, most waiting first, each with ``waiting`` and ``failed`` counts of the
    messages the user sees."""
    mine = visible_messages(user)
    waiting_statuses = (MessageStatus.QUEUED, MessageStatus.SENDING)
    waiting = mine.filter(source=OuterRef("pk"), status__in=waiting_statuses)
    return list(
        visible_sources(user)
        .filter(Exists(waiting) | Q(state=SourceState.PAUSED))
        .annotate(
            waiting=Count(
                "messages",
                filter=Q(messages__status__in=waiting_statuses, messages__in=mine),
            ),
            failed=Count(
                "messages", filter=Q(messages__status=MessageStatus.FAILED, messages__in=mine)
            ),
        )
        .order_by("-waiting", "-updated_at", "-id")[:limit]
    )


# Message logs are read newest first, a keyset page at a time (carecrm.core.keyset), along
# the outbox indexes on (created_at, id) and (source, created_at, id).
LOG_ORDER = SortKey("created_at")


def message_log(queryset: QuerySet[OutboxMessage], filters: dict) -> QuerySet[OutboxMessage]:
    """``queryset`` narrowed by the log's filters (status, channel, reason, customer name
    or part of it; on the log of every sender also the kind of sender, the sender, the
    class and the planned dates), newest first, with what a row shows."""
    if filters.get("source_kind"):
        queryset = queryset.filter(source__kind=filters["source_kind"])
    if filters.get("source"):
        queryset = queryset.filter(source_id=filters["source"])
    if filters.get("message_class"):
        queryset = queryset.filter(message_class=filters["message_class"])
    if filters.get("planned_from"):
        queryset = queryset.filter(planned_on__gte=filters["planned_from"])
    if filters.get("planned_until"):
        queryset = queryset.filter(planned_on__lte=filters["planned_until"])
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("channel"):
        queryset = queryset.filter(channel=filters["channel"])
    if filters.get("reason"):
        queryset = queryset.filter(reason=filters["reason"])
    if filters.get("q"):
        queryset = queryset.filter(customer__name__icontains=filters["q"])
    return queryset.select_related("customer", "source").order_by("-created_at", "-id")


def customer_messages(user, customer, *, limit: int = 50) -> list[OutboxMessage]:
    return list(
        visible_messages(user)
        .filter(customer=customer)
        .select_related("source")
        .order_by("-created_at", "-id")[:limit]
    )


def message_text_for_staff(text: str) -> str:
    """A message's text with the customer's signed links replaced by what they are: a
    token in a page or the API would let any colleague unsubscribe the customer, open
    their preferences or count a click that never was."""
    return redact_links(
        text,
        {
            "unsubscribe": _("[unsubscribe link]"),
            "preferences": _("[preferences link]"),
            "tracked": _("[tracked link]"),
            "short": _("[short link]"),
            "pixel": _("[open pixel]"),
        },
    )


def mask_address(channel: str, address: str) -> str:
    """The address as a user without ``view_customer_pii`` may see it."""
    if channel == DeliveryChannel.SMS:
        return mask_phone(address)
    if channel == DeliveryChannel.EMAIL:
        return mask_email(address)
    return f"{address[:3]}****" if address else ""


def address_for(user, message: OutboxMessage) -> str:
    return message.address if can_see_pii(user) else mask_address(message.channel, message.address)
