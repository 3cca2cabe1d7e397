"""A product suggestion per customer from the co-purchase table: among products the
customer has not bought, the one most bought by customers who share their purchases
(score: the sum over the customer's products X of customers who bought X and Y; ties by
product name). Customers without a suggestion are absent from the result."""

from collections.abc import Iterable

from django.db import connection

from campaigns.models import ProductAffinity
from customers.models import Order, OrderLine

CHUNK = 1000
# Refunds are orders with a negative amount (customers.models.Order); they are no sign of
# what a customer likes.
BOUGHT_SQL = """
    SELECT DISTINCT o.customer_id AS customer_id, l.product AS product
    FROM {line} l JOIN {order} o ON o.id = l.order_id
    WHERE o.amount >= 0 AND l.product <> ''
"""


def bought_sql() -> str:
    return BOUGHT_SQL.format(line=OrderLine._meta.db_table, order=Order._meta.db_table)


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
