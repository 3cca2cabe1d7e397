"""What an SMS campaign costs, measured as sent: one customer's message, the longest in
the audience and the SMS parts for everyone it reaches, against hand-counted tables."""

import pytest

from campaigns.content import sms_as_sent
from campaigns.models import TouchChannel, Unsubscribe, UnsubscribeSource
from campaigns.selectors.sms_cost import sms_cost
from campaigns.tests.factories import CampaignFactory, ContentFactory
from carecrm.accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from delivery.tests.senders import consent, consenting_customers

pytestmark = pytest.mark.django_db

# 10 characters around the name; " Unsubscribe: https://crm.example.cn/m/u/<token>/" adds
# 57 (tests read English): 67 + the name's length.
BODY = "【悦享生活】{name}回T退订"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://crm.example.cn"


def sms_campaign(department, body=BODY):
    campaign = CampaignFactory(department=department)
    ContentFactory(campaign=campaign, channel=TouchChannel.SMS, body=body)
    return campaign


def test_total_parts_for_the_audience_match_a_hand_counted_table(department_a, department_b):
    campaign = sms_campaign(department_a)
    for name in ["李雷", "韩梅梅", "欧阳晓明", "欧阳晓明", "司马相如", "长" * 70]:
        consenting_customers(department_a, 1, name=name)
    # Not sent an SMS, so not counted however long their names are: no consent, refused
    # SMS, no mobile number, or another department.
    CustomerFactory(department=department_a, name="无" * 90)
    refused = consenting_customers(department_a, 1, name="拒" * 90)[0]
    Unsubscribe.objects.create(
        customer=refused, channel=TouchChannel.SMS, source=UnsubscribeSource.STAFF
    )
    consenting_customers(department_a, 1, name="空" * 90, mobile="")
    consenting_customers(department_b, 1, name="外" * 90)

    cost = sms_cost(campaign, body=BODY, customer=None)

    # name length → characters → parts (70 in one UCS-2 SMS, then 67 per part)
    #   2 → 69 → 1;  3 → 70 → 1;  4 → 71 → 2 (three customers);  70 → 137 → 3
    assert cost.customers == 6
    assert cost.parts == 1 + 1 + 2 * 3 + 3
    assert (cost.longest.count.characters, cost.longest.count.parts) == (137, 3)


def test_the_longest_message_takes_the_longest_name_manager_and_title(department_a):
    body = "【悦享生活】{name}{title}，您的专属顾问{manager_name} {manager_phone} 回T退订"
    campaign = sms_campaign(department_a, body)
    managers = [
        UserFactory(display_name="王经理", phone="021-61234567", department=department_a),
        UserFactory(display_name="", first_name="Zhang", last_name="Xiaoming", phone="13800000000"),
        UserFactory(display_name="", first_name="", last_name="", username="manager-no-name"),
    ]
    consenting_customers(department_a, 1, name="李雷", gender="male", relationship_manager=None)
    for manager in managers:
        consenting_customers(department_a, 1, name="欧阳娜娜", relationship_manager=manager)
    longest_values = {
        "name": "欧阳娜娜",
        "title": "先生",
        "manager_name": "manager-no-name",  # str(user) falls back to the username
        "manager_phone": "021-61234567",
    }

    cost = sms_cost(campaign, body=body, customer=None)

    assert cost.longest.count == sms_as_sent(body, longest_values).count
    assert len(cost.longest.text) == len(sms_as_sent(body, longest_values).text)


def test_a_customers_message_is_measured_with_their_own_values(department_a):
    campaign = sms_campaign(department_a, "【悦享生活】{name}{title}您好 回T退订")
    customer = consenting_customers(department_a, 1, name="欧阳晓明", gender="female")[0]

    cost = sms_cost(campaign, body="【悦享生活】{name}{title}您好 回T退订", customer=customer)

    assert cost.as_sent.text.startswith("【悦享生活】欧阳晓明女士您好 回T退订 Unsubscribe: ")
    assert cost.as_sent.count.characters == 6 + 4 + 2 + 3 + 4 + 57
    assert cost.as_sent.unsubscribe_adds == 57


def test_a_recommendation_is_counted_at_the_longest_product_name(department_a):
    from campaigns.models import ProductAffinity

    ProductAffinity.objects.create(product="马克杯", also_bought="手冲咖啡滤杯套装", customers=3)
    body = "【悦享生活】{name}，买过的人也喜欢{recommendation} 回T退订"
    campaign = sms_campaign(department_a, body)
    consenting_customers(department_a, 2, name="李雷")

    cost = sms_cost(campaign, body=body, customer=None)

    expected = sms_as_sent(body, {"name": "李雷", "recommendation": "手冲咖啡滤杯套装"})
    assert cost.recommendation_at_longest
    assert cost.longest.count == expected.count
    assert cost.parts == 2 * expected.count.parts


def test_an_audience_nobody_can_get_an_sms_costs_nothing(department_a):
    campaign = sms_campaign(department_a)
    CustomerFactory(department=department_a)
    consent(CustomerFactory(department=department_a), TouchChannel.EMAIL)

    cost = sms_cost(campaign, body=BODY, customer=None)

    assert (cost.customers, cost.parts, cost.longest) == (0, 0, None)
