from django.conf import settings
from django.db import migrations, models

# Customers already unreachable: since their last verification that found them so.
BACKFILL = """
UPDATE customers_customer SET contact_unreachable_at = (
    SELECT MAX(v.completed_at) FROM customers_verificationtask v
    WHERE v.customer_id = customers_customer.id AND v.outcome = 'unreachable'
)
WHERE contact_status = 'unreachable'
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_password_changed_at"),
        ("customers", "0019_leaner_customer_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="contact_unreachable_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="contact unreachable since"
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop, elidable=True),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("contact_status", "unreachable")),
                fields=["contact_unreachable_at", "id"],
                name="customer_unreachable_id",
            ),
        ),
    ]
