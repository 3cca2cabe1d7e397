"""One spelling per province and city on existing customers ("上海" → "上海市"): one
UPDATE per distinct value that changes, never one per customer."""

from django.db import migrations

from carecrm.regions import normalise_city, normalise_province

NORMALISERS = {"province": normalise_province, "city": normalise_city}


def normalise_places(apps, schema_editor) -> int:
    """Rewrite every stored province and city to its one spelling; the number of
    customers changed (a customer changed in both fields counts twice)."""
    Customer = apps.get_model("customers", "Customer")
    changed = 0
    for field, normalise in NORMALISERS.items():
        values = Customer.objects.exclude(**{field: ""}).values_list(field, flat=True).distinct()
        for value in list(values.order_by()):
            target = normalise(value)
            if target != value:
                changed += Customer.objects.filter(**{field: value}).update(**{field: target})
    return changed


def noop(apps, schema_editor) -> None:
    """The old spellings are not kept; going back leaves the normalised ones."""


class Migration(migrations.Migration):
    dependencies = [("customers", "0007_import_consent_basis")]

    operations = [migrations.RunPython(normalise_places, noop, elidable=True)]
