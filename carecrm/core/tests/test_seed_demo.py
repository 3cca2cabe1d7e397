"""``manage.py seed_demo``: a believable company, the same data for the same seed, and no
second copy on a re-run."""

import io
from decimal import Decimal

import phonenumbers
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Sum
from lunardate import LunarDate

from carecrm.accounts.models import Department, Role, User
from customers.models import ChannelConsent, Customer, Interaction, Order, OrderLine, Product

PASSWORD = "demo-passphrase-2024"


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, password=PASSWORD, **options)
    return out.getvalue()


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db
def test_it_creates_departments_and_a_login_per_role(fast_hashing):
    output = seed(customers=10, seed=1)
    assert set(Department.objects.values_list("name", flat=True)) >= {
        "华东销售部",
        "华南销售部",
        "客服中心",
        "市场部",
    }
    roles = {user.role for user in User.objects.all()}
    assert roles == {Role.STAFF, Role.MANAGER, Role.ADMIN}
    assert f"password: {PASSWORD}" in output
    assert "li.na" in output and "manager" in output and "华东销售部" in output
    li_na = User.objects.get(username="li.na")
    assert li_na.check_password(PASSWORD)
    assert li_na.department.name == "华东销售部"


@pytest.mark.django_db
def test_customers_have_valid_chinese_contact_data(fast_hashing):
    seed(customers=60, seed=2)
    customers = list(Customer.objects.all())
    assert len(customers) == 60
    mobiles = [c.mobile for c in customers if c.mobile]
    assert len(mobiles) == len(set(mobiles))
    for customer in customers:
        if customer.mobile:
            number = phonenumbers.parse(customer.mobile)
            assert number.country_code == 86
            assert phonenumbers.is_valid_number(number), customer.mobile
            assert customer.mobile_last4 == customer.mobile[-4:]
        assert customer.province and customer.city
        assert customer.department.code in {
            "east-sales",
            "south-sales",
            "north-sales",
            "service-center",
            "marketing",
        }
    people = [c for c in customers if c.kind == "person"]
    assert all(c.birthday and c.birth_month for c in people)
    for customer in people:
        if customer.celebrates_lunar_birthday:
            lunar = LunarDate.from_solar_date(
                customer.birthday.year, customer.birthday.month, customer.birthday.day
            )
            assert (customer.lunar_birth_month, customer.lunar_birth_day) == (
                lunar.month,
                lunar.day,
            )
            assert customer.birth_month == lunar.month
        else:
            assert customer.birth_month == customer.birthday.month


@pytest.mark.django_db
def test_orders_add_up_and_span_two_years(fast_hashing):
    seed(customers=40, seed=3)
    assert Order.objects.count() > 40
    mismatched = [
        order.order_no
        for order in Order.objects.prefetch_related("lines")
        if sum(line.line_total for line in order.lines.all()) != order.amount
    ]
    assert mismatched == []
    assert set(OrderLine.objects.values_list("category", flat=True)) <= {
        "咖啡",
        "茶叶",
        "杯具",
        "器具",
        "礼盒",
    }
    # Every line was sold from the catalogue, under the product's own name.
    assert not OrderLine.objects.filter(catalogue_product=None).exists()
    assert not OrderLine.objects.exclude(product=F("catalogue_product__name")).exists()
    assert Product.objects.filter(active=True).exclude(sku=None).count() >= 15
    assert Order.objects.aggregate(total=Sum("amount"))["total"] > Decimal("0")
    per_customer = ChannelConsent.objects.values("customer", "channel").annotate(n=Count("id"))
    assert all(row["n"] == 1 for row in per_customer)
    assert Interaction.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_same_seed_gives_same_customers_and_rerun_is_refused_or_flushed(fast_hashing):
    def snapshot():
        return list(Customer.objects.order_by("id").values_list("name", "mobile", "email", "city"))

    seed(customers=25, seed=42)
    first = snapshot()
    with pytest.raises(CommandError, match="Demo data already exists"):
        seed(customers=25, seed=42)
    assert "nothing to do" in seed(customers=25, seed=42, if_empty=True)
    assert Customer.objects.count() == 25

    seed(customers=25, seed=42, flush=True)
    assert snapshot() == first
    assert Customer.objects.count() == 25

    seed(customers=25, seed=43, flush=True)
    assert snapshot() != first


@pytest.mark.django_db
def test_a_short_password_is_refused(fast_hashing):
    with pytest.raises(CommandError, match="at least 12 characters"):
        call_command("seed_demo", customers=1, password="short", stdout=io.StringIO())
    assert not Department.objects.exists()


@pytest.mark.django_db
def test_logins_file_is_written_private(tmp_path, fast_hashing):
    path = tmp_path / "var" / "demo-logins.txt"
    seed(customers=0, seed=1, logins_file=str(path))
    assert f"password: {PASSWORD}" in path.read_text()
    assert path.stat().st_mode & 0o777 == 0o600
