"""Make the product catalogue from the order lines typed before it existed.

Called by the migration ``0011_product_catalogue_backfill`` with the historical models and
by its test with the live ones, so it uses nothing a historical model lacks.

Each distinct (name, category) of the order lines becomes one product; its list price is
the unit price of the most recent sale of it (the latest line of a purchase, by order date,
then line id) — the price customers paid last, which is what staff expect to see offered
— or the most recent refund's price, made positive, when it was only ever refunded.
Then every line without a product is linked to its product by one UPDATE. Two statements
and a bulk insert, whatever the number of lines.
"""

from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Abs, Coalesce

BATCH = 1000


def products_from_order_lines(Product, OrderLine) -> int:
    """Create the missing products and link the unlinked lines; returns products made."""
    lines = OrderLine.objects.exclude(product="")
    same = OrderLine.objects.filter(
        product=OuterRef("product"), category=OuterRef("category")
    ).order_by("-order__ordered_at", "-pk")
    last_sold = same.filter(order__amount__gte=0, unit_price__gt=0).values("unit_price")[:1]
    last_any = same.annotate(price=Abs("unit_price")).values("price")[:1]
    existing = Product.objects.filter(name=OuterRef("product"), category=OuterRef("category"))
    pairs = (
        lines.filter(catalogue_product__isnull=True)
        .exclude(Exists(existing))
        .values("product", "category")
        .distinct()
        .annotate(price=Coalesce(Subquery(last_sold), Subquery(last_any)))
        .order_by("product", "category")
    )
    created = Product.objects.bulk_create(
        (
            Product(name=row["product"], category=row["category"], list_price=row["price"])
            for row in pairs.iterator(chunk_size=BATCH)
        ),
        batch_size=BATCH,
    )
    OrderLine.objects.filter(catalogue_product__isnull=True).exclude(product="").update(
        catalogue_product=Subquery(
            Product.objects.filter(name=OuterRef("product"), category=OuterRef("category"))
            .order_by("pk")
            .values("pk")[:1]
        )
    )
    return len(created)
