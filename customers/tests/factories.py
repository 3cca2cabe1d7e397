import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from carecrm.accounts.tests.factories import DepartmentFactory
from customers.models import Customer, Interaction, InteractionKind, Order, OrderLine, Product


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Faker("name", locale="zh_CN")
    mobile = factory.Sequence(lambda n: f"+86139{n:08d}")
    email = factory.Sequence(lambda n: f"customer{n}@example.cn")
    province = "上海市"
    city = "上海市"
    district = "浦东新区"
    street = factory.Sequence(lambda n: f"世纪大道{n}号")
    birthday = dt.date(1990, 3, 10)
    registered_on = dt.date(2024, 1, 15)
    department = factory.SubFactory(DepartmentFactory)

    @factory.post_generation
    def derived(self, create, extracted, **kwargs):
        self.refresh_derived_contact_fields()
        if create:
            self.save()


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    order_no = factory.Sequence(lambda n: f"SO{n:08d}")
    ordered_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=10))
    amount = Decimal("199.00")
    store = "上海旗舰店"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"云南小粒咖啡豆 {n}")
    category = "咖啡"
    list_price = Decimal("88.00")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = "挂耳咖啡"
    category = "咖啡"
    quantity = Decimal("1")
    unit_price = Decimal("199.00")


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    kind = InteractionKind.CONSULTATION
    occurred_at = factory.LazyFunction(timezone.now)
    summary = "咨询会员积分规则"
