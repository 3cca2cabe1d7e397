"""Co-purchase statistics behind ``{recommendation}`` (care programme §3: bought coffee → offer a
cup): for every pair of products, how many customers bought both — over all orders,
recomputed in one INSERT … SELECT."""

from django.db import connection, transaction

from campaigns.models import ProductAffinity
from campaigns.selectors.recommendations import bought_sql


@transaction.atomic
def affinity_rebuild() -> int:
    """Replace the co-purchase table; returns the number of product pairs."""
    table = ProductAffinity._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - table names from models
        cursor.execute(
            f"""
            INSERT INTO {table} (product, also_bought, customers)
            SELECT a.product, b.product, COUNT(*)
            FROM ({bought_sql()}) a
            JOIN ({bought_sql()}) b ON b.customer_id = a.customer_id AND b.product <> a.product
            GROUP BY a.product, b.product
            """  # noqa: S608
        )
        return cursor.rowcount
