"""Messages name their source (step 2 of 3): one source per campaign that has messages,
in the state its campaign's status gives (approved or active: sending; finished:
cancelled; anything else: paused), and every message pointed at it. Set-based: one
INSERT per campaign and one UPDATE for all messages."""

from django.db import migrations
from django.db.models import OuterRef, Subquery

CAMPAIGN = "campaign"
SENDING = ("approved", "active")


def sources_fill(apps, schema_editor):
    db = schema_editor.connection.alias
    CareCampaign = apps.get_model("campaigns", "CareCampaign")
    MessageSource = apps.get_model("delivery", "MessageSource")
    OutboxMessage = apps.get_model("delivery", "OutboxMessage")
    senders = OutboxMessage.objects.using(db).values("campaign_id").distinct()
    known = set(
        MessageSource.objects.using(db).filter(kind=CAMPAIGN).values_list("object_id", flat=True)
    )
    campaigns = CareCampaign.objects.using(db).filter(pk__in=senders).exclude(pk__in=known)
    MessageSource.objects.using(db).bulk_create(
        [
            MessageSource(
                kind=CAMPAIGN,
                object_id=campaign.pk,
                label=campaign.name[:200],
                department_id=campaign.department_id,
                state=(
                    "active"
                    if campaign.status in SENDING
                    else "cancelled"
                    if campaign.status == "finished"
                    else "paused"
                ),
            )
            for campaign in campaigns.only("pk", "name", "department_id", "status")
        ],
        batch_size=1000,
    )
    OutboxMessage.objects.using(db).filter(source__isnull=True).update(
        source_id=Subquery(
            MessageSource.objects.using(db)
            .filter(kind=CAMPAIGN, object_id=OuterRef("campaign_id"))
            .values("pk")[:1]
        )
    )


def campaigns_fill(apps, schema_editor):
    db = schema_editor.connection.alias
    MessageSource = apps.get_model("delivery", "MessageSource")
    OutboxMessage = apps.get_model("delivery", "OutboxMessage")
    OutboxMessage.objects.using(db).filter(source__kind=CAMPAIGN).update(
        campaign_id=Subquery(
            MessageSource.objects.using(db).filter(pk=OuterRef("source_id")).values("object_id")[:1]
        )
    )
    # Messages of other senders cannot go back to a campaign-only outbox.
    OutboxMessage.objects.using(db).exclude(source__kind=CAMPAIGN).delete()


class Migration(migrations.Migration):
    dependencies = [("delivery", "0002_message_sources")]

    operations = [migrations.RunPython(sources_fill, campaigns_fill)]
