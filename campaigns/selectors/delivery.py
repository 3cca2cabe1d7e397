"""A campaign's delivery figures: its source's figures, with its coupons."""

import dataclasses

from django.db.models import Count, Q

from campaigns.models import CareCampaign, Coupon
from campaigns.sources import campaign_messages
from delivery.selectors.messages import SourceMetrics, messages_metrics


def campaign_metrics(campaign: CareCampaign) -> SourceMetrics:
    """Delivery figures of a whole campaign (every department it reaches), coupon
    redemptions included."""
    metrics = messages_metrics(campaign_messages(campaign))
    coupons = Coupon.objects.filter(batch__campaign=campaign).aggregate(
        issued=Count("pk"), redeemed=Count("pk", filter=Q(redeemed_at__isnull=False))
    )
    return dataclasses.replace(
        metrics, coupons_issued=coupons["issued"], coupons_redeemed=coupons["redeemed"]
    )
