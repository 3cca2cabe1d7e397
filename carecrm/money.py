"""Money is yuan (CNY) as a ``Decimal`` with two places, everywhere: stored in
``DecimalField``s, added as ``Decimal``s, rounded half up once (as a till rounds), shown
as ¥1,234.50. A float never enters — its binary error would surface in a budget total."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def yuan(value: Decimal | int | str) -> Decimal:
    """``value`` as an amount of yuan with two places, rounded half up."""
    if isinstance(value, (float, bool)):
        raise TypeError(f"money is never a {type(value).__name__}: pass a Decimal, int or str")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount.quantize(CENT, ROUND_HALF_UP)


def format_yuan(value: Decimal | int | str) -> str:
    """¥1,234.50 and -¥20.00: the same in both languages, as Chinese receipts print it."""
    amount = yuan(value)
    return f"{'-' if amount < 0 else ''}¥{abs(amount):,.2f}"
