"""Build the order summaries of the orders already recorded, in one statement. The window
edges start at the care programme's default policy (365-day window, 90-day churn
periods); the first scoring run moves them to the policy in force."""

import datetime as dt

from django.db import migrations
from django.utils import timezone


def build(apps, schema_editor):
    from customers.services.order_summaries import SummaryEdges, order_summaries_rebuild

    now = timezone.now()
    order_summaries_rebuild(
        SummaryEdges(
            window_start=now - dt.timedelta(days=365),
            recent_start=now - dt.timedelta(days=90),
            previous_start=now - dt.timedelta(days=180),
        )
    )


class Migration(migrations.Migration):
    dependencies = [("customers", "0014_order_summaries")]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
