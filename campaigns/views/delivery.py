"""A campaign's delivery figures and message log: the delivery engine's figures of the
campaign's source, with the campaign's coupons."""

import json

from django.contrib.auth.decorators import login_required, permission_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from campaigns.selectors.delivery import campaign_metrics
from campaigns.sources import CAMPAIGN
from campaigns.views.campaigns import get_campaign
from carecrm.core.audit import audit_record_many
from carecrm.core.counts import paginated_list
from carecrm.core.models import AuditAction
from customers.privacy import can_see_pii
from delivery.forms import MessageFilterForm
from delivery.models import MessageSource
from delivery.selectors.messages import (
    LOG_ORDER,
    address_for,
    message_log,
    visible_messages,
)
from delivery.views.operations import chart_labels

PAGE_SIZE = 50


def _sources(campaign):
    return MessageSource.objects.filter(kind=CAMPAIGN, object_id=campaign.pk)


def _source_ids(campaign) -> list[int]:
    """Ids, not a subquery: ``source_id = …`` lets the database walk the outbox index of
    that one sender newest first and stop after a page."""
    return list(_sources(campaign).values_list("pk", flat=True))


@login_required
@permission_required("campaigns.view_carecampaign", raise_exception=True)
def campaign_delivery_card_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign page's "Delivery" card, loaded after the page so the page stays fast."""
    campaign = get_campaign(request, pk)
    metrics = campaign_metrics(campaign)
    return render(
        request,
        "campaigns/delivery/_campaign_card.html",
        {
            "campaign": campaign,
            "metrics": metrics,
            # an attribute, not json_script: htmx drops <script> elements it swaps in
            "chart_json": json.dumps(
                {**metrics.chart_data(), "labels": chart_labels()}, cls=DjangoJSONEncoder
            ),
            "can_see_log": request.user.has_perm("delivery.view_outboxmessage"),
        },
    )


@login_required
@permission_required("delivery.view_outboxmessage", raise_exception=True)
def campaign_messages_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign(request, pk)
    form = MessageFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {}
    log = message_log(
        visible_messages(request.user).filter(source_id__in=_source_ids(campaign)), filters
    )
    page, count = paginated_list(request, log, key=LOG_ORDER, descending=True, size=PAGE_SIZE)
    rows = [(message, address_for(request.user, message)) for message in page.rows]
    if rows and can_see_pii(request.user):
        audit_record_many(
            actor=request.user,
            action=AuditAction.VIEW,
            customer_ids=[message.customer_id for message, _address in rows],
            detail={"page": "message_log", "campaign": campaign.pk},
            request=request,
        )
    return render(
        request,
        "campaigns/delivery/message_list.html",
        {
            "campaign": campaign,
            "source_label": campaign.name,
            "source_url": reverse("campaigns:detail", args=[campaign.pk]),
            "form": form,
            "page": page,
            "count": count,
            "rows": rows,
        },
    )
