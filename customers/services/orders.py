"""Orders with their lines (refunds are negative) and buying-intent events — what
segmentation turns into spend, purchase counts and the "potential value" tier."""

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecrm.accounts.models import User
from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from carecrm.core.registry import orders_recorded
from carecrm.money import yuan
from customers.models import Customer, IntentEvent, IntentKind, Order, OrderLine, Product
from customers.services.records import FUTURE_TOLERANCE, ensure_active


@dataclass(frozen=True)
class LineInput:
    """A line as sold. ``product_id`` is the catalogue product it was picked from (None:
    an "other item" typed by hand); the name, category and price are the line's own
    snapshot, filled from the product where left blank."""

    product: str
    unit_price: Decimal | None
    quantity: Decimal = Decimal("1")
    category: str = ""
    product_id: int | None = None


def _product_id(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, Product):
        return value.pk
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"lines": [_("Choose a product from the catalogue.")]}) from exc


def _line_inputs(lines: Iterable[Mapping | LineInput]) -> list[LineInput]:
    result = []
    for line in lines:
        if isinstance(line, Mapping):
            price = line.get("unit_price")
            line = LineInput(
                product=str(line.get("product") or "").strip(),
                category=str(line.get("category") or "").strip(),
                quantity=Decimal(str(line.get("quantity") or "1")),
                unit_price=None if price in (None, "") else Decimal(str(price)),
                product_id=_product_id(line.get("catalogue_product")),
            )
        result.append(line)
    return _with_products(result)


def _with_products(lines: list[LineInput]) -> list[LineInput]:
    """Fill each picked line's blank name, category and price from its product (one query
    for all lines); a product that does not exist, or no longer sells, is refused."""
    wanted = {line.product_id for line in lines if line.product_id is not None}
    products = Product.objects.in_bulk(wanted) if wanted else {}
    result = []
    for number, line in enumerate(lines, start=1):
        if line.product_id is not None:
            product = products.get(line.product_id)
            if product is None or not product.active:
                raise ValidationError(
                    {
                        "lines": [
                            _("Line %(number)s: the product is not in the catalogue.")
                            % {"number": number}
                        ]
                    }
                )
            line = LineInput(
                product=line.product or product.name,
                category=line.category or product.category,
                quantity=line.quantity,
                unit_price=product.list_price if line.unit_price is None else line.unit_price,
                product_id=product.pk,
            )
        if line.unit_price is None:
            raise ValidationError(
                {"lines": [_("Line %(number)s has no unit price.") % {"number": number}]}
            )
        result.append(line)
    return result


def order_amount(lines: Iterable[LineInput]) -> Decimal:
    """Sum of quantity × unit price, each line rounded half-up to the cent (四舍五入). A
    refund line has a negative quantity or price, so a refund order has a negative amount."""
    return sum(
        (yuan(line.quantity * line.unit_price) for line in lines),
        Decimal("0.00"),
    )


def _validate_lines(lines: list[LineInput]) -> None:
    if not lines:
        raise ValidationError({"lines": [_("An order needs at least one line.")]})
    for number, line in enumerate(lines, start=1):
        if not line.product:
            raise ValidationError(
                {"lines": [_("Line %(number)s has no product.") % {"number": number}]}
            )
        if line.quantity == 0:
            raise ValidationError(
                {"lines": [_("Line %(number)s has a quantity of zero.") % {"number": number}]}
            )


GENERATED_ORDER_PREFIX = "CC"


def generated_order_no(order_id: int, *, on: dt.date, attempt: int = 0) -> str:
    """``CC-20261207-000123``: the day it was recorded and the order's row id, so two
    orders recorded at once can never get the same number — the id comes from the
    database (on PostgreSQL a sequence, handed out without locks or waiting, never twice,
    even across concurrent transactions; on SQLite writes are serialised anyway). Only a
    number typed by hand that happens to look the same can collide; ``attempt`` then adds
    a suffix (``-2``, ``-3`` …)."""
    number = f"{GENERATED_ORDER_PREFIX}-{on:%Y%m%d}-{order_id:06d}"
    return f"{number}-{attempt + 1}" if attempt else number


def _provisional_order_no() -> str:
    # Unique until the row has an id to number it by (same transaction, replaced at once).
    return f"{GENERATED_ORDER_PREFIX}-pending-{uuid.uuid4().hex}"


def _number_order(order: Order) -> str:
    today = timezone.localdate()
    for attempt in range(10):
        order_no = generated_order_no(order.pk, on=today, attempt=attempt)
        try:
            with transaction.atomic():
                Order.objects.filter(pk=order.pk).update(order_no=order_no)
        except IntegrityError:
            continue
        return order_no
    raise ValidationError({"order_no": [_("No free order number was found; enter one.")]})


@transaction.atomic
def order_record(
    *,
    customer: Customer,
    order_no: str,
    ordered_at: dt.datetime,
    lines: Iterable[Mapping | LineInput],
    store: str = "",
    user: User | None,
    request=None,
    generate_number: bool = False,
) -> Order:
    """Record a purchase (or, with negative lines, a refund) with its lines; the amount is
    the sum of the lines. The customer's total spend, purchases and first/last purchase
    follow in this transaction (the order summary, ``customers.services.order_summaries``);
    tiers and scores a few seconds after commit (segmentation's live re-score). With
    ``generate_number`` (the order form) a blank order number is made up
    (:func:`generated_order_no`); the API and imports still require one."""
    ensure_active(customer)
    line_inputs = _line_inputs(lines)
    _validate_lines(line_inputs)
    order_no = (order_no or "").strip()
    generate = generate_number and not order_no
    if generate:
        order_no = _provisional_order_no()
    errors: dict[str, list] = {}
    if not order_no:
        errors["order_no"] = [_("Enter the order number.")]
    elif Order.objects.filter(order_no=order_no).exists():
        errors["order_no"] = [_("An order with this number is already recorded.")]
    if ordered_at > timezone.now() + FUTURE_TOLERANCE:
        errors["ordered_at"] = [_("The order date cannot be in the future.")]
    if errors:
        raise ValidationError(errors)
    order = Order(
        customer=customer,
        order_no=order_no,
        ordered_at=ordered_at,
        amount=order_amount(line_inputs),
        store=(store or "").strip(),
    )
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"order_no": [_("An order with this number is already recorded.")]}
        ) from exc
    if generate:
        order.order_no = _number_order(order)
        order_no = order.order_no
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            catalogue_product_id=line.product_id,
            product=line.product,
            category=line.category,
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for line in line_inputs
    )
    audit_record(
        actor=user,
        action=AuditAction.CREATE,
        customer_id=customer.pk,
        obj=order,
        detail={"order_no": order_no, "amount": str(order.amount)},
        request=request,
    )
    orders_recorded([order.pk])
    return order


@transaction.atomic
def order_update(
    *,
    order: Order,
    user: User | None,
    ordered_at: dt.datetime | None = None,
    store: str | None = None,
    lines: Iterable[Mapping | LineInput] | None = None,
    request=None,
) -> list[str]:
    """Correct an order's date, store or lines (replaced as a whole, amount recomputed)."""
    changed = []
    if ordered_at is not None and ordered_at != order.ordered_at:
        if ordered_at > timezone.now() + FUTURE_TOLERANCE:
            raise ValidationError({"ordered_at": [_("The order date cannot be in the future.")]})
        order.ordered_at = ordered_at
        changed.append("ordered_at")
    if store is not None and store.strip() != order.store:
        order.store = store.strip()
        changed.append("store")
    if lines is not None:
        line_inputs = _line_inputs(lines)
        _validate_lines(line_inputs)
        order.lines.all().delete()
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                catalogue_product_id=line.product_id,
                product=line.product,
                category=line.category,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in line_inputs
        )
        order.amount = order_amount(line_inputs)
        changed.append("lines")
    if changed:
        order.save()
        audit_record(
            actor=user,
            action=AuditAction.CHANGE,
            customer_id=order.customer_id,
            obj=order,
            detail={"fields": changed, "amount": str(order.amount)},
            request=request,
        )
        orders_recorded([order.pk])
    return changed


@transaction.atomic
def intent_record(
    *,
    customer: Customer,
    kind: str = IntentKind.ADDED_TO_CART,
    product: str = "",
    category: str = "",
    occurred_at: dt.datetime | None = None,
    user: User | None = None,
    request=None,
) -> IntentEvent:
    """Record a sign of buying intent (e.g. added to cart, not paid) — input for the
    "potential value" tier (care programme §2)."""
    ensure_active(customer)
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({"occurred_at": [_("The event cannot be in the future.")]})
    event = IntentEvent.objects.create(
        customer=customer,
        kind=IntentKind(kind),
        product=(product or "").strip(),
        category=(category or "").strip(),
        occurred_at=occurred_at,
    )
    if user is not None:
        audit_record(
            actor=user,
            action=AuditAction.CREATE,
            customer_id=customer.pk,
            obj=event,
            detail={"kind": event.kind},
            request=request,
        )
    return event
