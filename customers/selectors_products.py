"""Reads of the product catalogue: the products page with each product's sales, and the
order form's picker.

Sales are counted over the order lines the reader may see (``OrderLine.SCOPE``): staff
and managers see their department's sales of a product, admins the company's. Each
figure is one correlated SQL aggregate per page of products, never a query per product.
"""

from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from carecrm.core.scoping import visible_to
from customers.models import OrderLine, Product

PAGE_SIZE = 50
PICKER_LIMIT = 12
MONEY = DecimalField(max_digits=18, decimal_places=2)
QUANTITY = DecimalField(max_digits=14, decimal_places=2)


def _search(queryset: QuerySet, query: str) -> QuerySet:
    for word in (query or "").split():
        queryset = queryset.filter(
            Q(name__icontains=word) | Q(sku__icontains=word) | Q(category__icontains=word)
        )
    return queryset


def product_categories() -> list[str]:
    return list(
        Product.objects.exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )


def products_with_sales(
    user, *, query: str = "", category: str = "", active: bool | None = None
) -> QuerySet:
    """Products matching the filters, each with ``orders`` (purchases that sold it),
    ``units`` (net quantity, refunds subtracted) and ``revenue`` (net Σ quantity × unit
    price as sold, CNY) over the order lines ``user`` may see."""
    queryset = _search(Product.objects.all(), query)
    if category:
        queryset = queryset.filter(category=category)
    if active is not None:
        queryset = queryset.filter(active=active)
    lines = (
        visible_to(user, OrderLine.objects.all())
        .filter(catalogue_product=OuterRef("pk"))
        .order_by()
        .values("catalogue_product")
    )
    orders = lines.annotate(n=Count("order", distinct=True, filter=Q(order__amount__gte=0))).values(
        "n"
    )
    units = lines.annotate(n=Sum("quantity", output_field=QUANTITY)).values("n")
    revenue = lines.annotate(n=Sum(F("quantity") * F("unit_price"), output_field=MONEY)).values("n")
    return queryset.annotate(
        orders=Coalesce(Subquery(orders), Value(0)),
        units=Coalesce(Subquery(units, output_field=QUANTITY), Value(Decimal("0"))),
        revenue=Coalesce(Subquery(revenue, output_field=MONEY), Value(Decimal("0"))),
    )


def products_for_picker(query: str, *, limit: int = PICKER_LIMIT) -> list[dict]:
    """Active products matching ``query`` (name, SKU or category words), for the order
    form: what a line needs to fill itself in."""
    rows = _search(Product.objects.filter(active=True), query).order_by("name", "category")
    return [
        {
            "id": row["pk"],
            "name": row["name"],
            "category": row["category"],
            "sku": row["sku"] or "",
            "price": f"{row['list_price']:.2f}",
        }
        for row in rows.values("pk", "name", "category", "sku", "list_price")[:limit]
    ]
