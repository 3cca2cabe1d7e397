"""The catalogue from the lines typed so far: each distinct (name, category) of the order
lines becomes a product priced at its most recent sale, and the lines are linked to it
(customers.product_backfill)."""

from django.db import migrations

from customers.product_backfill import products_from_order_lines


def forwards(apps, schema_editor):
    products_from_order_lines(
        apps.get_model("customers", "Product"), apps.get_model("customers", "OrderLine")
    )


def backwards(apps, schema_editor):
    apps.get_model("customers", "OrderLine").objects.update(catalogue_product=None)
    apps.get_model("customers", "Product").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("customers", "0010_product_catalogue")]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
