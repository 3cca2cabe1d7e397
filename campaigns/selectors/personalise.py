"""The values of the placeholders for each customer of an occurrence — read in bulk (one
query for coupons, a few for recommendations) so the delivery step and care tasks can
render thousands of messages without a query per customer."""

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from campaigns.calendar import next_birthday
from campaigns.content import PLACEHOLDER_PATTERN, TITLES, RenderedMessage, render_message
from campaigns.models import CampaignContent, CampaignKind, CareCampaign, Coupon, CouponBatch
from campaigns.selectors.audience import campaign_audience
from campaigns.selectors.due import Occurrence, holiday_occasions, occasion_label
from campaigns.selectors.recommendations import recommendations_with_fallback
from customers.models import Customer
from customers.selectors import visible_customers

# The code a preview shows for a coupon not issued yet: as long as a real code.
PREVIEW_COUPON_CODE = "PREVIEW00000"


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
    recommendations = (
        recommendations_with_fallback(ids) if _uses(campaign, "recommendation") else {}
    )
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
                    item["coupon_code"] = PREVIEW_COUPON_CODE
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


def preview_customers(campaign: CareCampaign, user, *, limit: int = 50) -> list[Customer]:
    """Real customers to preview against: audience members the user may see, else any
    customer the user may see."""
    visible = visible_customers(user).select_related("relationship_manager").order_by("name", "pk")
    members = list(visible.filter(pk__in=campaign_audience(campaign).values("pk"))[:limit])
    return members or list(visible[:limit])


def preview_occurrence(campaign: CareCampaign, customer: Customer, today) -> Occurrence:
    """The occurrence a customer would next receive (their birthday, the next festival…)."""
    label = occasion_label(campaign)
    occasion = today
    if campaign.kind == CampaignKind.BIRTHDAY:
        occasion = (
            next_birthday(
                on_or_after=today,
                birthday=customer.birthday,
                lunar=customer.celebrates_lunar_birthday,
                lunar_month=customer.lunar_birth_month,
                lunar_day=customer.lunar_birth_day,
            )
            or today
        )
    elif campaign.kind == CampaignKind.HOLIDAY:
        upcoming = [
            day
            for year in (today.year, today.year + 1)
            for day in holiday_occasions(campaign, year)
            if day >= today
        ]
        occasion = upcoming[0] if upcoming else today
    on = occasion - dt.timedelta(days=campaign.days_before)
    return Occurrence(campaign.pk, on, occasion, label)
