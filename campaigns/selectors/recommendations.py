"""A product suggestion per customer from the co-purchase table: among products the
customer has not bought, the one most bought by customers who share their purchases
(score: the sum over the customer's products X of customers who bought X and Y; ties by
product name). A customer with no co-purchase suggestion (no or unusual purchases) gets
the best-selling product they have not bought; only when every best-seller is theirs
already are they absent from the result."""

from collections.abc import Iterable

from django.db import connection
from django.db.models import Count
from django.db.models.functions import Coalesce

from campaigns.models import ProductAffinity
from customers.models import Order, OrderLine, Product

CHUNK = 1000
BEST_SELLERS = 5
# Refunds are orders with a negative amount (customers.models.Order); they are no sign of
# what a customer likes.
# A line picked from the catalogue counts as its product, by the product's name today, so
# a renamed product is one product; a line typed by hand counts by its own name.
BOUGHT_SQL = """
    SELECT DISTINCT o.customer_id AS customer_id, COALESCE(p.name, l.product) AS product
    FROM {line} l JOIN {order} o ON o.id = l.order_id
    LEFT JOIN {product} p ON p.id = l.catalogue_product_id
    WHERE o.amount >= 0 AND COALESCE(p.name, l.product) <> ''
"""
# The same in the ORM: the name a line counts under.
PRODUCT_NAME = Coalesce("catalogue_product__name", "product")


def bought_sql() -> str:
    return BOUGHT_SQL.format(
        line=OrderLine._meta.db_table,
        order=Order._meta.db_table,
        product=Product._meta.db_table,
    )


def recommendations_for(customer_ids: Iterable[int]) -> dict[int, str]:
    """{customer id: product} for the given customers, in a few set-based queries."""
    ids = list(dict.fromkeys(customer_ids))
    result: dict[int, str] = {}
    affinity = ProductAffinity._meta.db_table
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        placeholders = ", ".join(["%s"] * len(chunk))
        sql = f"""
            WITH mine AS (
                SELECT * FROM ({bought_sql()}) bought WHERE customer_id IN ({placeholders})
            ),
            scores AS (
                SELECT m.customer_id, a.also_bought AS product, SUM(a.customers) AS score
                FROM mine m JOIN {affinity} a ON a.product = m.product
                WHERE NOT EXISTS (
                    SELECT 1 FROM mine x
                    WHERE x.customer_id = m.customer_id AND x.product = a.also_bought
                )
                GROUP BY m.customer_id, a.also_bought
            ),
            ranked AS (
                SELECT customer_id, product, ROW_NUMBER() OVER (
                    PARTITION BY customer_id ORDER BY score DESC, product
                ) AS position
                FROM scores
            )
            SELECT customer_id, product FROM ranked WHERE position = 1
        """  # noqa: S608 - only table names and placeholders are interpolated
        with connection.cursor() as cursor:
            cursor.execute(sql, chunk)
            result.update(dict(cursor.fetchall()))
    return result


def best_sellers(limit: int = BEST_SELLERS) -> list[str]:
    """Products bought by the most customers (refunds excluded), ties by name."""
    return list(
        OrderLine.objects.filter(order__amount__gte=0)
        .annotate(name=PRODUCT_NAME)
        .exclude(name="")
        .values("name")
        .annotate(customers=Count("order__customer", distinct=True))
        .order_by("-customers", "name")
        .values_list("name", flat=True)[:limit]
    )


def recommendations_with_fallback(customer_ids: Iterable[int]) -> dict[int, str]:
    """:func:`recommendations_for`, completed with best-sellers (two more queries)."""
    ids = list(dict.fromkeys(customer_ids))
    result = recommendations_for(ids)
    missing = [pk for pk in ids if pk not in result]
    if not missing:
        return result
    top = best_sellers()
    owned: dict[int, set[str]] = {}
    for start in range(0, len(missing), CHUNK):
        rows = (
            OrderLine.objects.filter(
                order__customer_id__in=missing[start : start + CHUNK], order__amount__gte=0
            )
            .annotate(name=PRODUCT_NAME)
            .filter(name__in=top)
            .values_list("order__customer_id", "name")
        )
        for customer_id, product in rows:
            owned.setdefault(customer_id, set()).add(product)
    for pk in missing:
        choice = next((p for p in top if p not in owned.get(pk, ())), None)
        if choice:
            result[pk] = choice
    return result
