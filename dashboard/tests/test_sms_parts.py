"""The SMS parts the database counts for a sent text are the parts the carriers bill —
``campaigns.content.sms_count`` — on PostgreSQL (in SQL) and SQLite (through Python)."""

import pytest
from django.db.models import CharField, Value

from campaigns.content import sms_count
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from dashboard.selectors.campaigns import SmsParts

pytestmark = pytest.mark.django_db

TEXTS = [
    "",
    "Hi",
    "a" * 160,  # GSM-7: one part holds 160
    "a" * 161,  # then 153 a part: 2
    "a" * 307,  # 3 parts
    "^" * 80,  # the extension table takes two septets: 160 → 1
    "^" * 81,  # 162 → 2
    "€ and {braces} [x] ~|\\",
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ ÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà",
    "【悦享生活】" + "您" * 64,  # UCS-2: 70 in one part
    "【悦享生活】" + "您" * 65,  # 71 → 2 (67 a part)
    "【悦享生活】" + "好" * 128,  # 134 → 2
    "【悦享生活】" + "好" * 129,  # 135 → 3
    "🎂" * 35,  # beyond the BMP: two units each, 70 → 1
    "🎂" * 36,  # 72 → 2
    "生日快乐🎂" * 10,
    "50% off, %s and %(name)s stay as typed",
]


@pytest.mark.parametrize("text", TEXTS)
def test_the_database_counts_parts_as_the_carriers_bill(text):
    CustomerFactory()
    counted = (
        Customer.objects.annotate(parts=SmsParts(Value(text, output_field=CharField())))
        .values_list("parts", flat=True)
        .first()
    )
    assert counted == sms_count(text).parts
