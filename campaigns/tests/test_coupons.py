"""Coupons: unique unguessable codes, idempotent issue, redemption by API-service and CSV."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from campaigns.models import Coupon, RedemptionSource
from campaigns.selectors.campaigns import campaign_redemption
from campaigns.services.coupons import (
    CODE_ALPHABET,
    CODE_LENGTH,
    coupon_redeem,
    coupon_redemptions_import,
    coupons_issue,
)
from campaigns.tests.factories import CampaignFactory, CouponBatchFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

OCCASION = dt.date(2027, 3, 10)


@pytest.fixture
def batch(department_a):
    return CouponBatchFactory(campaign=CampaignFactory(department=department_a))


@pytest.fixture
def customers(department_a):
    return [CustomerFactory(department=department_a) for _ in range(25)]


def _issue(batch, department, occurrence=OCCASION):
    return coupons_issue(
        batch=batch,
        occurrence=occurrence,
        customers=Customer.objects.filter(department=department),
    )


def test_one_unique_code_per_customer_and_occurrence(batch, customers, department_a):
    assert _issue(batch, department_a) == 25

    codes = list(Coupon.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 25
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)


def test_issuing_twice_issues_nothing_new(batch, customers, department_a):
    _issue(batch, department_a)
    codes = set(Coupon.objects.values_list("code", flat=True))

    assert _issue(batch, department_a) == 0
    assert set(Coupon.objects.values_list("code", flat=True)) == codes


def test_next_years_occurrence_gets_new_coupons(batch, customers, department_a):
    _issue(batch, department_a)
    _issue(batch, department_a, occurrence=dt.date(2028, 3, 10))
    assert Coupon.objects.count() == 50


def test_codes_are_not_sequential_or_predictable(batch, customers, department_a):
    _issue(batch, department_a)
    codes = sorted(Coupon.objects.values_list("code", flat=True))
    # No shared prefix beyond chance: 25 random 12-character codes differ early.
    assert len({code[:4] for code in codes}) > 20


def test_expiry_is_valid_days_after_issue_capped_by_the_batch(batch, customers, department_a):
    batch.valid_days = 30
    batch.expires_on = timezone.localdate() + dt.timedelta(days=10)
    batch.save()
    _issue(batch, department_a)
    assert set(Coupon.objects.values_list("expires_on", flat=True)) == {batch.expires_on}


def test_redeeming_records_the_order_once(batch, customers, department_a, staff_a):
    _issue(batch, department_a)
    coupon = Coupon.objects.first()
    formatted = f"{coupon.code[:4].lower()}-{coupon.code[4:8]} {coupon.code[8:]}"

    redeemed = coupon_redeem(code=formatted, user=staff_a, order_no="SO1", amount=Decimal("88"))

    assert redeemed.redeemed_at is not None
    assert (redeemed.order_no, redeemed.redeemed_by) == ("SO1", staff_a)
    # The till reporting the same order again is harmless; another order is refused.
    coupon_redeem(code=coupon.code, user=staff_a, order_no="SO1")
    with pytest.raises(ValidationError, match="already redeemed"):
        coupon_redeem(code=coupon.code, user=staff_a, order_no="SO2")


def test_minimum_spend_is_enforced_and_zero_means_no_threshold(
    batch, customers, department_a, staff_a
):
    _issue(batch, department_a)
    free, limited = Coupon.objects.all()[:2]
    coupon_redeem(code=free.code, user=staff_a)  # min_spend 0: no amount needed

    batch.min_spend = Decimal("200")
    batch.save()
    with pytest.raises(ValidationError, match="minimum spend"):
        coupon_redeem(code=limited.code, user=staff_a, amount=Decimal("199.99"))
    coupon_redeem(code=limited.code, user=staff_a, amount=Decimal("200"))


def test_expired_coupon_is_refused(batch, customers, department_a, staff_a):
    _issue(batch, department_a)
    coupon = Coupon.objects.first()
    coupon.expires_on = timezone.localdate() - dt.timedelta(days=1)
    coupon.save()

    with pytest.raises(ValidationError, match="expired"):
        coupon_redeem(code=coupon.code, user=staff_a)


def test_staff_of_another_department_cannot_redeem(batch, customers, department_a, staff_b):
    _issue(batch, department_a)
    with pytest.raises(ValidationError, match="No coupon"):
        coupon_redeem(code=Coupon.objects.first().code, user=staff_b)


def test_redemption_needs_the_permission(batch, customers, department_a):
    from carecrm.accounts.tests.factories import UserFactory

    nobody = UserFactory(username="no_role", department=department_a)
    nobody.groups.clear()
    _issue(batch, department_a)
    with pytest.raises(PermissionDenied):
        coupon_redeem(code=Coupon.objects.first().code, user=nobody)


def test_csv_import_redeems_good_rows_and_reports_bad_ones(batch, customers, department_a, staff_a):
    _issue(batch, department_a)
    first, second, third = Coupon.objects.order_by("pk")[:3]
    coupon_redeem(code=third.code, user=staff_a, order_no="SO9")
    csv_text = (
        "\ufeffcode,order_no,amount,redeemed_at\n"
        f"{first.code.lower()},SO1,120.00,2026-11-20 15:30\n"
        f"{second.code},SO2,¥99,2026-11-21\n"
        f"{third.code},SO3,10,\n"
        "NOSUCHCODE12,SO4,10,\n"
        f"{first.code},SO5,10,\n"
        ",SO6,1,\n"
        f"{Coupon.objects.order_by('pk')[3].code},SO7,abc,\n"
    )

    result = coupon_redemptions_import(file=io.BytesIO(csv_text.encode("utf-8")), user=staff_a)

    assert (result.rows, result.redeemed, result.unchanged) == (7, 2, 0)
    assert [line for line, _code, _message in result.errors] == [4, 5, 6, 7, 8]
    first.refresh_from_db()
    assert first.redemption_source == RedemptionSource.IMPORT
    assert first.redeemed_amount == Decimal("120.00")
    assert timezone.localtime(first.redeemed_at).strftime("%Y-%m-%d %H:%M") == "2026-11-20 15:30"


def test_csv_without_a_code_column_is_refused(staff_a):
    with pytest.raises(ValidationError, match="code"):
        coupon_redemptions_import(file=io.BytesIO(b"coupon,amount\nX,1\n"), user=staff_a)


def test_redemption_rate_per_campaign(batch, customers, department_a, staff_a):
    _issue(batch, department_a)
    for coupon in Coupon.objects.all()[:5]:
        coupon_redeem(code=coupon.code, user=staff_a)

    figures = campaign_redemption(batch.campaign)
    assert (figures.issued, figures.redeemed, figures.rate) == (25, 5, 0.2)
