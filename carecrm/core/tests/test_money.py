from decimal import Decimal

import pytest
from django.template import Context, Template

from carecrm.money import format_yuan, yuan


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("2.675"), Decimal("2.68")),
        (Decimal("2.665"), Decimal("2.67")),
        (Decimal("-2.675"), Decimal("-2.68")),
        ("19.9", Decimal("19.90")),
        (7, Decimal("7.00")),
        (" 1299.005 ", Decimal("1299.01")),
    ],
)
def test_amounts_are_rounded_half_up_to_the_fen(value, expected):
    amount = yuan(value)
    assert amount == expected
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize("value", [0.1, True])
def test_a_float_never_becomes_money(value):
    with pytest.raises(TypeError):
        yuan(value)


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", Decimal("-Infinity")])
def test_what_is_not_an_amount_is_refused(value):
    with pytest.raises(ValueError, match="not an amount"):
        yuan(value)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1234.5"), "¥1,234.50"),
        (Decimal("-20"), "-¥20.00"),
        (Decimal("0"), "¥0.00"),
        (Decimal("1000000.004"), "¥1,000,000.00"),
    ],
)
def test_amounts_are_shown_as_receipts_print_them(value, shown):
    assert format_yuan(value) == shown


@pytest.mark.parametrize(("value", "shown"), [(Decimal("88.8"), "¥88.80"), (None, "—")])
def test_the_template_filter(value, shown):
    template = Template("{% load money %}{{ amount|yuan }}")
    assert template.render(Context({"amount": value})) == shown
