"""Who a campaign reaches and on which channels — querysets, never per-customer loops."""

from django.db.models import Q, QuerySet

from campaigns.models import CareCampaign, ChannelStrategy, TouchChannel
from customers.models import Customer, CustomerStatus

# Whether a customer can be reached on a channel at all. Consent, unsubscribes, caps and
# quiet hours are the delivery step's business; this only asks for an address.
REACH: dict[str, Q] = {
    TouchChannel.SMS: ~Q(mobile=""),
    TouchChannel.EMAIL: ~Q(email=""),
    TouchChannel.WECOM: ~Q(wecom_external_id=""),
    TouchChannel.PUSH: ~Q(push_token=""),
    TouchChannel.PHONE: ~Q(mobile=""),
    TouchChannel.VISIT: Q(pk__isnull=False),
}


def campaign_audience(campaign: CareCampaign) -> QuerySet[Customer]:
    """Active customers of the campaign's department (every department for a company-wide
    campaign) who belong to any included segment — all of them when none is included —
    and to no excluded segment. Segment members come from
    ``segmentation.selectors.segment_customers`` only."""
    queryset = Customer.objects.filter(status=CustomerStatus.ACTIVE)
    if campaign.department_id:
        queryset = queryset.filter(department_id=campaign.department_id)
    includes = list(campaign.include_segments.all())
    excludes = list(campaign.exclude_segments.all())
    if includes or excludes:
        from segmentation.selectors import segment_customers

        if includes:
            members = Q(pk__in=[])
            for segment in includes:
                members |= Q(pk__in=segment_customers(segment).values("pk"))
            queryset = queryset.filter(members)
        for segment in excludes:
            queryset = queryset.exclude(pk__in=segment_customers(segment).values("pk"))
    return queryset.order_by()


def campaign_channels(campaign: CareCampaign) -> list[str]:
    """The campaign's channels in the order staff arranged them."""
    return [content.channel for content in campaign.contents.all()]


def channel_audiences(
    campaign: CareCampaign, queryset: QuerySet[Customer], channels: list[str] | None = None
) -> list[tuple[str, QuerySet[Customer]]]:
    """Split an audience over the campaign's channels. With ``ALL`` a customer gets every
    channel they can be reached on; with ``PREFERRED`` exactly one: their preferred channel
    if the campaign uses it and they can be reached there, else the first reachable
    channel in the campaign's order."""
    channels = campaign_channels(campaign) if channels is None else channels
    if campaign.channel_strategy == ChannelStrategy.ALL:
        return [(channel, queryset.filter(REACH[channel])) for channel in channels]
    prefers_usable = Q(pk__in=[])
    for channel in channels:
        prefers_usable |= Q(preferred_channel=channel) & REACH[channel]
    result = []
    earlier: Q | None = None
    for channel in channels:
        fallback = ~prefers_usable if earlier is None else ~prefers_usable & ~earlier
        result.append(
            (channel, queryset.filter(REACH[channel] & (Q(preferred_channel=channel) | fallback)))
        )
        earlier = REACH[channel] if earlier is None else earlier | REACH[channel]
    return result
