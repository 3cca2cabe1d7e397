"""When touches are due: the one function the delivery step reads (:func:`due_touches`),
and the counts behind the calendar page and each campaign's next dates.

Every date is a local date (``settings.TIME_ZONE``, Asia/Shanghai). For each campaign the
customers due on a day are one queryset, whatever the audience size; the counts for a
month are a handful of grouped queries per campaign.
"""

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr
from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.db.models.functions import ExtractDay, ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.calendar import (
    FESTIVALS_BY_CODE,
    festival_dates,
    lunar_birthday_keys,
    solar_birthday_in_year,
    solar_birthday_keys,
)
from campaigns.models import (
    DUE_STATUSES,
    CampaignKind,
    CareCampaign,
    CompanyDay,
    CompanyDayKind,
    HolidaySource,
    Recurrence,
    TriggerEvent,
    TriggerKind,
)
from campaigns.selectors.audience import campaign_audience, channel_audiences
from campaigns.selectors.schedule import campaign_schedule_values, describe_schedule
from customers.birthdays import LUNAR_CELEBRANT, birthday_filter
from customers.models import Customer, Interaction, InteractionKind, Order

ONE_DAY = dt.timedelta(days=1)
RRULE_FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY")
# How far ahead "next dates" look: festivals come once a year, so ten need ten years.
HORIZON_DAYS = {
    CampaignKind.BIRTHDAY: 366,
    CampaignKind.HOLIDAY: 366 * 11,
    CampaignKind.ONE_OFF: 366 * 11,
    CampaignKind.RECURRING: 366 * 11,
    CampaignKind.TRIGGER: 366,
}


@dataclass(frozen=True)
class Occurrence:
    """One occasion of a campaign: due ``on`` a day, for an ``occasion`` (the birthday,
    the festival, the send date, the day of the triggering event)."""

    campaign_id: int
    on: dt.date
    occasion: dt.date
    label: str


@dataclass(frozen=True)
class DueTouch:
    campaign: CareCampaign
    customer: Customer
    channel: str
    occurrence: Occurrence


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_bounds(first: dt.date, last: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """Aware start of ``first`` and end (exclusive) of ``last`` in local time."""
    zone = local_zone()
    last = last or first
    return (
        dt.datetime.combine(first, dt.time.min, tzinfo=zone),
        dt.datetime.combine(last + ONE_DAY, dt.time.min, tzinfo=zone),
    )


def parse_rrule(text: str, start: dt.date) -> rrule:
    """An RRULE (RFC 5545, the rule part only) starting on ``start``; daily at most often.
    Raises ``ValueError`` with a readable message."""
    text = text.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or "\n" in text or ":" in text:
        raise ValueError(_("This repeating schedule cannot be read; choose it again."))
    match = re.search(r"(?i)FREQ=([A-Z]+)", text)
    if not match or match.group(1).upper() not in RRULE_FREQUENCIES:
        raise ValueError(_("Choose whether it repeats daily, weekly, monthly or yearly."))
    # Dates are local: an UNTIL written in UTC ("…Z") is read as a local date.
    text = re.sub(r"(?i)(UNTIL=\d{8}(?:T\d{6})?)Z", r"\1", text)
    try:
        rule = rrulestr(text, dtstart=dt.datetime.combine(start, dt.time.min))
    except (ValueError, TypeError) as exc:
        raise ValueError(
            _("This repeating schedule cannot be used: %(error)s") % {"error": exc}
        ) from exc
    horizon = dt.datetime.combine(start, dt.time.min) + dt.timedelta(days=366 * 5)
    if rule.before(horizon, inc=True) is None:
        raise ValueError(_("This schedule gives no date in the five years from the start date."))
    return rule


def recurrence_dates(campaign: CareCampaign, first: dt.date, last: dt.date) -> list[dt.date]:
    """Dates of a recurring campaign between two dates. Monthly and quarterly repeat the
    start date's day; days 29–31 fall on the last day of shorter months."""
    start = campaign.starts_on
    if start is None:
        return []
    last = min(last, campaign.ends_on) if campaign.ends_on else last
    first = max(first, start)
    if first > last:
        return []
    if campaign.recurrence in (Recurrence.MONTHLY, Recurrence.QUARTERLY):
        step = 1 if campaign.recurrence == Recurrence.MONTHLY else 3
        months = (first.year - start.year) * 12 + first.month - start.month
        index = max(0, months // step - 1)
        dates = []
        while True:
            day = start + relativedelta(months=index * step)
            if day > last:
                return dates
            if day >= first:
                dates.append(day)
            index += 1
    if campaign.recurrence == Recurrence.RRULE and campaign.rrule:
        try:
            rule = parse_rrule(campaign.rrule, start)
        except ValueError:
            return []
        lower, upper = (dt.datetime.combine(d, dt.time.min) for d in (first, last))
        return [moment.date() for moment in rule.between(lower, upper, inc=True)]
    return []


def trigger_filter(trigger: str, event_day: dt.date) -> Q:
    """Customers to whom the triggering event happened on a local date."""
    start, end = day_bounds(event_day)
    if trigger == TriggerKind.FIRST_PURCHASE:
        return Q(
            Exists(
                Order.objects.filter(
                    customer=OuterRef("pk"), ordered_at__gte=start, ordered_at__lt=end
                )
            )
        ) & ~Q(Exists(Order.objects.filter(customer=OuterRef("pk"), ordered_at__lt=start)))
    if trigger == TriggerKind.COMPLAINT_RESOLVED:
        return Q(
            Exists(
                Interaction.objects.filter(
                    customer=OuterRef("pk"),
                    kind=InteractionKind.COMPLAINT,
                    resolved_at__gte=start,
                    resolved_at__lt=end,
                )
            )
        )
    return Q(
        Exists(
            TriggerEvent.objects.filter(
                customer=OuterRef("pk"), kind=trigger, occurred_on=event_day
            )
        )
    )


def in_window(campaign: CareCampaign, day: dt.date) -> bool:
    """Whether touches may fall on ``day`` (the optional run-from/run-until dates)."""
    if campaign.kind == CampaignKind.ONE_OFF:
        return True
    if campaign.starts_on and day < campaign.starts_on:
        return False
    return not (campaign.ends_on and day > campaign.ends_on)


def holiday_occasions(campaign: CareCampaign, year: int) -> list[dt.date]:
    """The dates of a festival or industry day in a year (Laba may fall twice or never)."""
    if campaign.holiday_source == HolidaySource.FESTIVAL and campaign.festival:
        return festival_dates(campaign.festival, year)
    if campaign.holiday_source == HolidaySource.COMPANY_DAY and campaign.company_day_id:
        company_day = campaign.company_day
        return [solar_birthday_in_year(dt.date(2000, company_day.month, company_day.day), year)]
    return []


def occasion_label(campaign: CareCampaign) -> str:
    """What the occasion is called in messages (``{occasion}``)."""
    if campaign.kind == CampaignKind.BIRTHDAY:
        return _("Birthday")
    if campaign.kind == CampaignKind.HOLIDAY:
        if campaign.holiday_source == HolidaySource.FESTIVAL and campaign.festival:
            return str(FESTIVALS_BY_CODE[campaign.festival].name)
        if campaign.holiday_source == HolidaySource.COMPANY_DAY and campaign.company_day_id:
            return campaign.company_day.name
        return _("Company anniversary")
    if campaign.kind == CampaignKind.TRIGGER and campaign.trigger:
        return str(TriggerKind(campaign.trigger).label)
    return campaign.name


def _anniversary_filter(celebration: dt.date) -> Q:
    keys = Q(pk__in=[])
    for month, day in solar_birthday_keys(celebration):
        keys |= Q(month=month, day=day)
    return Q(
        pk__in=CompanyDay.objects.filter(keys, kind=CompanyDayKind.CUSTOMER_ANNIVERSARY).values(
            "customer_id"
        )
    )


def due_occurrences(
    campaign: CareCampaign, on: dt.date
) -> list[tuple[Occurrence, QuerySet[Customer]]]:
    """The occurrences of one campaign due on a day, each with its customers (one
    queryset), whatever the campaign's status."""
    if not in_window(campaign, on):
        return []
    label = occasion_label(campaign)
    audience = campaign_audience(campaign)
    if campaign.kind == CampaignKind.BIRTHDAY:
        celebration = on + dt.timedelta(days=campaign.days_before)
        occurrence = Occurrence(campaign.pk, on, celebration, label)
        return [(occurrence, audience.filter(birthday_filter(celebration)))]
    if campaign.kind == CampaignKind.HOLIDAY:
        target = on + dt.timedelta(days=campaign.days_before)
        occurrence = Occurrence(campaign.pk, on, target, label)
        if campaign.holiday_source == HolidaySource.CUSTOMER_ANNIVERSARY:
            return [(occurrence, audience.filter(_anniversary_filter(target)))]
        return (
            [(occurrence, audience)] if target in holiday_occasions(campaign, target.year) else []
        )
    if campaign.kind == CampaignKind.ONE_OFF:
        if campaign.send_at and timezone.localtime(campaign.send_at).date() == on:
            return [(Occurrence(campaign.pk, on, on, label), audience)]
        return []
    if campaign.kind == CampaignKind.RECURRING:
        if recurrence_dates(campaign, on, on):
            return [(Occurrence(campaign.pk, on, on, label), audience)]
        return []
    if campaign.kind == CampaignKind.TRIGGER and campaign.trigger:
        event_day = on - dt.timedelta(days=campaign.trigger_delay_days)
        occurrence = Occurrence(campaign.pk, on, event_day, label)
        return [(occurrence, audience.filter(trigger_filter(campaign.trigger, event_day)))]
    return []


def due_campaigns() -> QuerySet[CareCampaign]:
    """Campaigns whose touches may be due: approved or active, nothing else."""
    return (
        CareCampaign.objects.filter(status__in=DUE_STATUSES)
        .select_related("company_day", "coupon_batch", "owner", "department")
        .prefetch_related("contents", "include_segments", "exclude_segments")
        .order_by("priority", "pk")
    )


def due_touches(*, on: dt.date) -> Iterator[DueTouch]:
    """Every (campaign, customer, channel, occurrence) due on a local date — the list the
    delivery step sends. Only approved or active campaigns; customers are read per
    campaign and channel in one streamed query each, in customer id order."""
    for campaign in due_campaigns():
        for occurrence, customers in due_occurrences(campaign, on):
            for channel, channel_customers in channel_audiences(campaign, customers):
                queryset = channel_customers.select_related("relationship_manager").order_by("pk")
                for customer in queryset.iterator(chunk_size=2000):
                    yield DueTouch(campaign, customer, channel, occurrence)


class TouchPlan:
    """How many customers a campaign reaches on each day of a range — a few grouped
    queries, then arithmetic per day. Agrees with :func:`due_occurrences` (tested)."""

    def __init__(self, campaign: CareCampaign, first: dt.date, last: dt.date) -> None:
        self.campaign = campaign
        self.first = first
        self.last = last
        self.offset = dt.timedelta(days=campaign.days_before)

    @cached_property
    def audience(self) -> QuerySet[Customer]:
        return campaign_audience(self.campaign)

    @cached_property
    def audience_size(self) -> int:
        return self.audience.count()

    @cached_property
    def _birthday_counts(self) -> tuple[Counter, Counter]:
        solar_rows = (
            self.audience.filter(~LUNAR_CELEBRANT, birthday__isnull=False)
            .annotate(m=ExtractMonth("birthday"), d=ExtractDay("birthday"))
            .values("m", "d")
            .annotate(n=Count("pk"))
            .order_by()
        )
        lunar_rows = (
            self.audience.filter(LUNAR_CELEBRANT)
            .values("lunar_birth_month", "lunar_birth_day")
            .annotate(n=Count("pk"))
            .order_by()
        )
        solar = Counter({(row["m"], row["d"]): row["n"] for row in solar_rows})
        lunar = Counter(
            {(row["lunar_birth_month"], row["lunar_birth_day"]): row["n"] for row in lunar_rows}
        )
        return solar, lunar

    @cached_property
    def _anniversary_counts(self) -> Counter:
        rows = (
            CompanyDay.objects.filter(
                kind=CompanyDayKind.CUSTOMER_ANNIVERSARY,
                customer__in=self.audience.values("pk"),
            )
            .values("month", "day")
            .annotate(n=Count("customer", distinct=True))
            .order_by()
        )
        return Counter({(row["month"], row["day"]): row["n"] for row in rows})

    def _days(self) -> Iterator[dt.date]:
        day = self.first
        while day <= self.last:
            if in_window(self.campaign, day):
                yield day
            day += ONE_DAY

    def occurrences(self) -> Iterator[tuple[Occurrence, int]]:
        """(occurrence, customers) in date order; explicit schedule dates are listed even
        when nobody is in the audience, birthday-like days only when somebody is."""
        campaign, label = self.campaign, occasion_label(self.campaign)
        kind = campaign.kind
        if kind == CampaignKind.BIRTHDAY:
            solar, lunar = self._birthday_counts
            for day in self._days():
                celebration = day + self.offset
                count = sum(solar[key] for key in solar_birthday_keys(celebration))
                if lunar:
                    count += sum(lunar[key] for key in lunar_birthday_keys(celebration))
                if count:
                    yield Occurrence(campaign.pk, day, celebration, label), count
        elif kind == CampaignKind.HOLIDAY:
            if campaign.holiday_source == HolidaySource.CUSTOMER_ANNIVERSARY:
                counts = self._anniversary_counts
                for day in self._days() if counts else ():
                    target = day + self.offset
                    count = sum(counts[key] for key in solar_birthday_keys(target))
                    if count:
                        yield Occurrence(campaign.pk, day, target, label), count
                return
            for year in range((self.first + self.offset).year, (self.last + self.offset).year + 1):
                for occasion in holiday_occasions(campaign, year):
                    day = occasion - self.offset
                    if self.first <= day <= self.last and in_window(campaign, day):
                        yield Occurrence(campaign.pk, day, occasion, label), self.audience_size
        elif kind == CampaignKind.ONE_OFF:
            if campaign.send_at:
                day = timezone.localtime(campaign.send_at).date()
                if self.first <= day <= self.last:
                    yield Occurrence(campaign.pk, day, day, label), self.audience_size
        elif kind == CampaignKind.RECURRING:
            for day in recurrence_dates(campaign, self.first, self.last):
                yield Occurrence(campaign.pk, day, day, label), self.audience_size
        elif kind == CampaignKind.TRIGGER and campaign.trigger:
            delay = dt.timedelta(days=campaign.trigger_delay_days)
            for event_day, count in sorted(self._trigger_counts(delay).items()):
                day = event_day + delay
                if in_window(campaign, day):
                    yield Occurrence(campaign.pk, day, event_day, label), count

    def _trigger_counts(self, delay: dt.timedelta) -> Counter:
        """Customers per event day for events whose touch falls in the range."""
        first_event, last_event = self.first - delay, min(self.last - delay, timezone.localdate())
        if first_event > last_event:
            return Counter()
        start, end = day_bounds(first_event, last_event)
        trigger, audience = self.campaign.trigger, self.audience
        pairs: set[tuple[int, dt.date]] = set()
        if trigger == TriggerKind.FIRST_PURCHASE:
            rows = (
                Order.objects.filter(customer__in=audience.values("pk"))
                .values("customer_id")
                .annotate(first=Min("ordered_at"))
                .filter(first__gte=start, first__lt=end)
                .order_by()
                .values_list("customer_id", "first")
            )
            pairs = {(customer_id, timezone.localtime(at).date()) for customer_id, at in rows}
        elif trigger == TriggerKind.COMPLAINT_RESOLVED:
            rows = Interaction.objects.filter(
                customer__in=audience.values("pk"),
                kind=InteractionKind.COMPLAINT,
                resolved_at__gte=start,
                resolved_at__lt=end,
            ).values_list("customer_id", "resolved_at")
            pairs = {(customer_id, timezone.localtime(at).date()) for customer_id, at in rows}
        else:
            rows = (
                TriggerEvent.objects.filter(
                    customer__in=audience.values("pk"),
                    kind=trigger,
                    occurred_on__gte=first_event,
                    occurred_on__lte=last_event,
                )
                .values("occurred_on")
                .annotate(n=Count("customer", distinct=True))
                .order_by()
            )
            return Counter({row["occurred_on"]: row["n"] for row in rows})
        return Counter(day for _customer, day in pairs)


def touch_counts(campaign: CareCampaign, first: dt.date, last: dt.date) -> dict[dt.date, int]:
    """Customers due per day between two dates (days with nobody due are left out)."""
    counts: Counter = Counter()
    for occurrence, count in TouchPlan(campaign, first, last).occurrences():
        counts[occurrence.on] += count
    return {day: count for day, count in sorted(counts.items()) if count}


def next_touch_dates(
    campaign: CareCampaign, *, after: dt.date, limit: int = 10
) -> list[tuple[Occurrence, int]]:
    """The next ``limit`` occurrences from ``after`` on, each with its audience size."""
    last = after + dt.timedelta(days=HORIZON_DAYS[CampaignKind(campaign.kind)])
    result = []
    for item in TouchPlan(campaign, after, last).occurrences():
        result.append(item)
        if len(result) >= limit:
            break
    return result


def schedule_summary(campaign: CareCampaign) -> str:
    """The schedule in one sentence, for the pages (``campaigns.selectors.schedule``)."""
    return describe_schedule(campaign.kind, campaign_schedule_values(campaign))
