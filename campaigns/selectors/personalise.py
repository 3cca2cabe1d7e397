"""The values of the placeholders for each customer of an occurrence — read in bulk (one
query for coupons, a few for recommendations) so the delivery step and care tasks can
render thousands of messages without a query per customer."""

from collections.abc import Sequence

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from campaigns.content import PLACEHOLDER_PATTERN, TITLES, RenderedMessage, render_message
from campaigns.models import CampaignContent, CareCampaign, Coupon, CouponBatch
from campaigns.selectors.due import Occurrence
from campaigns.selectors.recommendations import recommendations_for
from customers.models import Customer


def _money(value) -> str:
    return f"¥{value.normalize():f}" if value == value.to_integral() else f"¥{value:.2f}"


def _uses(campaign: CareCampaign, name: str) -> bool:
    for content in campaign.contents.all():
        for text in (content.subject, content.body, content.html_body):
            if any(m.group(1) == name for m in PLACEHOLDER_PATTERN.finditer(text)):
                return True
    return False


def _batch(campaign: CareCampaign) -> CouponBatch | None:
    try:
        return campaign.coupon_batch
    except CouponBatch.DoesNotExist:
        return None


def message_values(
    campaign: CareCampaign,
    occurrence: Occurrence,
    customers: Sequence[Customer],
    *,
    preview: bool = False,
) -> dict[int, dict[str, str]]:
    """{customer id: {placeholder: value}}. Customers should come with
    ``select_related("relationship_manager")``. In a preview a coupon not issued yet shows
    a sample code."""
    ids = [customer.pk for customer in customers]
    batch = _batch(campaign)
    coupons: dict[int, Coupon] = {}
    if batch is not None:
        coupons = {
            coupon.customer_id: coupon
            for coupon in Coupon.objects.filter(
                batch=batch, occurrence=occurrence.occasion, customer_id__in=ids
            )
        }
    recommendations = recommendations_for(ids) if _uses(campaign, "recommendation") else {}
    values = {}
    with translation.override(settings.LANGUAGE_CODE):
        for customer in customers:
            manager = customer.relationship_manager
            coupon = coupons.get(customer.pk)
            item = {
                "name": customer.name,
                "title": TITLES.get(customer.gender, ""),
                "manager_name": str(manager) if manager else "",
                "manager_phone": manager.phone if manager else "",
                "event_link": campaign.event_link,
                "recommendation": recommendations.get(customer.pk, ""),
                "occasion": occurrence.label,
                "date": occurrence.occasion.isoformat(),
                "coupon_code": "",
                "coupon_value": "",
                "coupon_min_spend": "",
                "coupon_expires": "",
            }
            if batch is not None:
                item["coupon_value"] = _money(batch.value)
                if batch.min_spend > 0:
                    item["coupon_min_spend"] = _("spend ¥%(min)s or more") % {
                        "min": _money(batch.min_spend).lstrip("¥")
                    }
                if coupon is not None:
                    item["coupon_code"] = coupon.code
                    item["coupon_expires"] = coupon.expires_on.isoformat()
                elif preview:
                    item["coupon_code"] = "PREVIEW00000"
                    item["coupon_expires"] = _("(set when issued)")
            values[customer.pk] = item
    return values


def render_for(content: CampaignContent, values: dict[str, str]) -> RenderedMessage:
    return render_message(
        channel=content.channel,
        subject=content.subject,
        body=content.body,
        html_body=content.html_body,
        values=values,
    )
