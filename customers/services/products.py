"""The product catalogue: managers and admins add, correct and deactivate products.

A rename or re-pricing changes the catalogue only: order lines keep what was sold
(customers.models.OrderLine's snapshot). A sold product is never deleted — deactivated,
it leaves the order form's picker and stays on the orders that sold it.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from carecrm.accounts.models import User
from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from carecrm.money import yuan
from customers.models import OrderLine, Product

EDITABLE = ("name", "category", "sku", "list_price", "active")


def _clean(values: dict) -> dict:
    cleaned = dict(values)
    for name in ("name", "category"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    if "sku" in cleaned:
        cleaned["sku"] = (cleaned["sku"] or "").strip() or None
    if "list_price" in cleaned:
        cleaned["list_price"] = yuan(Decimal(str(cleaned["list_price"])))
    errors: dict[str, list] = {}
    if "name" in cleaned and not cleaned["name"]:
        errors["name"] = [_("Enter the product's name.")]
    if "list_price" in cleaned and cleaned["list_price"] < 0:
        errors["list_price"] = [_("The list price cannot be negative.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_unique(product: Product) -> None:
    clash = Product.objects.exclude(pk=product.pk)
    errors: dict[str, list] = {}
    if clash.filter(name=product.name, category=product.category).exists():
        errors["name"] = [_("A product with this name and category exists.")]
    if product.sku and clash.filter(sku=product.sku).exists():
        errors["sku"] = [_("Another product has this SKU.")]
    if errors:
        raise ValidationError(errors)


def _save(product: Product) -> None:
    _check_unique(product)
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:  # a concurrent save took the name or SKU
        raise ValidationError(
            {"name": [_("A product with this name and category exists.")]}
        ) from exc


@transaction.atomic
def product_create(*, user: User | None, request=None, **values) -> Product:
    values = _clean({name: values[name] for name in EDITABLE if name in values})
    product = Product(**values)
    _save(product)
    audit_record(
        actor=user,
        action=AuditAction.CREATE,
        obj=product,
        detail={"name": product.name, "list_price": str(product.list_price)},
        request=request,
    )
    return product


@transaction.atomic
def product_update(*, product: Product, user: User | None, request=None, **values) -> list[str]:
    """Change the catalogue entry; returns the fields that changed. Orders are untouched."""
    values = _clean({name: values[name] for name in EDITABLE if name in values})
    changed = [name for name, value in values.items() if getattr(product, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(product, name, values[name])
    _save(product)
    audit_record(
        actor=user,
        action=AuditAction.CHANGE,
        obj=product,
        detail={"fields": changed},
        request=request,
    )
    return changed


def product_set_active(*, product: Product, active: bool, user: User | None, request=None):
    return product_update(product=product, active=active, user=user, request=request)


def order_lines_link(order_ids) -> int:
    """Link the lines of these orders that name a catalogue product exactly (same name and
    category) to it — for imported orders, whose lines arrive as typed by the sales
    system. One UPDATE; returns the number of lines linked."""
    match = Product.objects.filter(name=OuterRef("product"), category=OuterRef("category"))
    return (
        OrderLine.objects.filter(order_id__in=order_ids, catalogue_product=None)
        .filter(Exists(match))
        .update(catalogue_product=Subquery(match.order_by("pk").values("pk")[:1]))
    )
