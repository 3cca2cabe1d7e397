"""Search and filters of the customer list (``customers.filters.CustomerFilterSet``)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.http import QueryDict
from django.test import RequestFactory

from carecrm.accounts.tests.factories import UserFactory
from customers.filters import CustomerFilterSet
from customers.models import Channel, CustomerStatus, Source
from customers.selectors import visible_customers
from customers.tests.factories import CustomerFactory
from customers.tests.factories_list import ChannelConsentFactory, TagFactory

pytestmark = pytest.mark.django_db


def matching(user, **params) -> set[str]:
    request = RequestFactory().get("/customers/")
    request.user = user
    data = QueryDict(mutable=True)
    for key, value in params.items():
        data[key] = value
    filterset = CustomerFilterSet(
        data, queryset=visible_customers(user, include_inactive=True), request=request
    )
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("name", flat=True))


@pytest.fixture
def phone_customers(department_a):
    CustomerFactory(name="王芳", mobile="+8613812345678", department=department_a)
    CustomerFactory(name="李娜", mobile="+8613998765678", department=department_a)
    CustomerFactory(name="赵磊", mobile="+8613700001111", department=department_a)


def test_search_finds_a_name_by_part_of_it(manager_a, department_a):
    CustomerFactory(name="张伟明", department=department_a)
    CustomerFactory(name="李伟", department=department_a)
    CustomerFactory(name="王芳", department=department_a)
    assert matching(manager_a, q="伟") == {"张伟明", "李伟"}
    assert matching(manager_a, q="张伟") == {"张伟明"}


def test_search_by_latin_name_ignores_case(manager_a, department_a):
    CustomerFactory(name="Zhang Wei", department=department_a)
    CustomerFactory(name="Li Na", department=department_a)
    assert matching(manager_a, q="zhang") == {"Zhang Wei"}


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "008613812345678",
        "86 13812345678",
        "(+86) 138-1234-5678",
        "１３８１２３４５６７８",
    ],
)
def test_search_finds_a_full_phone_number_typed_any_common_way(manager_a, phone_customers, typed):
    assert matching(manager_a, q=typed) == {"王芳"}


def test_search_by_last_four_digits_uses_the_indexed_column(manager_a, phone_customers):
    assert matching(manager_a, q="5678") == {"王芳", "李娜"}
    assert matching(manager_a, q="1111") == {"赵磊"}


def test_search_by_the_last_digits_of_a_number(manager_a, phone_customers):
    assert matching(manager_a, q="345678") == {"王芳"}
    assert matching(manager_a, q="1234 5678") == {"王芳"}


def test_search_by_email_ignores_case(manager_a, department_a):
    CustomerFactory(name="王芳", email="wang.fang@example.cn", department=department_a)
    CustomerFactory(name="李娜", email="li.na@example.cn", department=department_a)
    assert matching(manager_a, q="Wang.Fang@Example.cn") == {"王芳"}
    assert matching(manager_a, q="li.na") == {"李娜"}


def test_search_never_reaches_another_department(staff_a, department_a, department_b):
    CustomerFactory(name="张伟", mobile="+8613812345678", department=department_b)
    CustomerFactory(name="张伟东", mobile="+8613912340000", department=department_a)
    assert matching(staff_a, q="张伟") == {"张伟东"}
    assert matching(staff_a, q="13812345678") == set()
    assert matching(staff_a, q="5678") == set()


def test_filters_by_value_tier_vip_level_and_lifecycle(manager_a, department_a):
    CustomerFactory(name="高", value_tier="high", vip_level="gold", department=department_a)
    CustomerFactory(
        name="潜", value_tier="potential", lifecycle_stage="churn_risk", department=department_a
    )
    CustomerFactory(name="未评", department=department_a)
    assert matching(manager_a, value_tier="high") == {"高"}
    assert matching(manager_a, value_tier="none") == {"未评"}
    assert matching(manager_a, vip_level="gold") == {"高"}
    assert matching(manager_a, lifecycle="churn_risk") == {"潜"}


def test_filters_by_region_province_city_and_industry(manager_a, department_a):
    CustomerFactory(
        name="甲",
        region="华东",
        province="浙江省",
        city="杭州市",
        industry="零售",
        department=department_a,
    )
    CustomerFactory(
        name="乙",
        region="华南",
        province="广东省",
        city="深圳市",
        industry="制造",
        department=department_a,
    )
    assert matching(manager_a, region="华东") == {"甲"}
    assert matching(manager_a, province="广东省") == {"乙"}
    assert matching(manager_a, city="杭州市") == {"甲"}
    assert matching(manager_a, industry="制造") == {"乙"}


def test_filters_by_tag(manager_a, department_a):
    vip_event = TagFactory(name="年会嘉宾")
    tagged = CustomerFactory(name="甲", department=department_a)
    tagged.tags.add(vip_event, TagFactory(name="其他"))
    CustomerFactory(name="乙", department=department_a)
    assert matching(manager_a, tag=str(vip_event.pk)) == {"甲"}


def test_filters_by_relationship_manager_or_none(manager_a, staff_a, department_a):
    CustomerFactory(name="甲", relationship_manager=staff_a, department=department_a)
    CustomerFactory(name="乙", department=department_a)
    assert matching(manager_a, manager=str(staff_a.pk)) == {"甲"}
    assert matching(manager_a, manager="none") == {"乙"}


def test_department_filter_is_for_admins_only(admin_user, manager_a, department_a, department_b):
    CustomerFactory(name="甲", department=department_a)
    CustomerFactory(name="乙", department=department_b)
    assert matching(admin_user, department=str(department_b.pk)) == {"乙"}
    request = RequestFactory().get("/customers/")
    request.user = manager_a
    assert "department" not in CustomerFilterSet(request=request).filters


def test_filters_by_last_purchase_date_range(manager_a, department_a):
    CustomerFactory(name="早", last_purchase_on=dt.date(2024, 1, 31), department=department_a)
    CustomerFactory(name="中", last_purchase_on=dt.date(2024, 6, 1), department=department_a)
    CustomerFactory(name="晚", last_purchase_on=dt.date(2024, 12, 31), department=department_a)
    CustomerFactory(name="从未", last_purchase_on=None, department=department_a)
    assert matching(manager_a, last_purchase_from="2024-02-01", last_purchase_to="2024-12-31") == {
        "中",
        "晚",
    }
    assert matching(manager_a, last_purchase_to="2024-01-31") == {"早"}


def test_filters_by_birthday_month_solar_or_lunar(manager_a, department_a):
    CustomerFactory(name="三月", birthday=dt.date(1990, 3, 10), department=department_a)
    CustomerFactory(
        name="农历八月",
        birthday=dt.date(1988, 9, 20),
        celebrates_lunar_birthday=True,
        lunar_birth_month=8,
        lunar_birth_day=15,
        department=department_a,
    )
    assert matching(manager_a, birth_month="3") == {"三月"}
    assert matching(manager_a, birth_month="8") == {"农历八月"}
    assert matching(manager_a, birth_month="9") == set()


def test_filters_by_consent_granted_on_a_channel(manager_a, department_a):
    agreed = CustomerFactory(name="同意短信", department=department_a)
    ChannelConsentFactory(customer=agreed, channel=Channel.SMS, granted=True)
    withdrawn = CustomerFactory(name="已退订", department=department_a)
    ChannelConsentFactory(customer=withdrawn, channel=Channel.SMS, granted=False)
    email_only = CustomerFactory(name="只同意邮件", department=department_a)
    ChannelConsentFactory(customer=email_only, channel=Channel.EMAIL, granted=True)
    CustomerFactory(name="未记录", department=department_a)
    assert matching(manager_a, consent="sms") == {"同意短信"}
    assert matching(manager_a, consent="email") == {"只同意邮件"}


def test_status_is_active_by_default_and_can_be_widened(manager_a, department_a):
    CustomerFactory(name="在用", department=department_a)
    CustomerFactory(name="已合并", status=CustomerStatus.MERGED, mobile="", department=department_a)
    assert matching(manager_a) == {"在用"}
    assert matching(manager_a, status="merged") == {"已合并"}
    assert matching(manager_a, status="any") == {"在用", "已合并"}


def test_filters_by_source(manager_a, department_a):
    CustomerFactory(name="表单", source=Source.MARKETING_FORM, department=department_a)
    CustomerFactory(name="手工", source=Source.MANUAL, department=department_a)
    assert matching(manager_a, source="marketing_form") == {"表单"}


def test_filters_combine(manager_a, department_a):
    CustomerFactory(
        name="张伟", vip_level="gold", total_spend=Decimal("120000"), department=department_a
    )
    CustomerFactory(name="张伟东", vip_level="normal", department=department_a)
    assert matching(manager_a, q="张伟", vip_level="gold") == {"张伟"}


def test_a_staff_member_only_gets_their_department_as_manager_choices(staff_a, manager_a, staff_b):
    request = RequestFactory().get("/customers/")
    request.user = staff_a
    choices = set(CustomerFilterSet(request=request).filters["manager"].get_queryset(request))
    assert choices == {staff_a, manager_a}
    other = UserFactory(username="other_a", department=staff_a.department)
    other.is_active = False
    other.save()
    assert other not in set(
        CustomerFilterSet(request=request).filters["manager"].get_queryset(request)
    )
