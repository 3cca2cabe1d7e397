"""The SMS length and cost staff see — editor preview, campaign page, review page,
template library — and the proof that what the approver sees is what the provider got."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from campaigns.content import SAMPLE_VALUES, sms_as_sent, sms_count
from campaigns.models import FrequencyCap, QuietHours, TouchChannel
from campaigns.selectors.sms_cost import sms_cost
from campaigns.services.dispatch import touches_dispatch
from campaigns.tests.factories import CampaignFactory, ContentFactory, TemplateFactory
from delivery.services.sending import messages_send
from delivery.standin import GatewayStandIn
from delivery.tests.senders import SMS_BODY, consenting_customers, due_campaign

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
BODY = "【悦享生活】{name}回T退订"
AS_SENT = re.compile(r"As sent to (\S+): (\d+) characters · (\d+) SMS")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://crm.example.cn"


@pytest.fixture
def sms_campaign(department_a, staff_a):
    campaign = CampaignFactory(department=department_a, created_by=staff_a)
    ContentFactory(campaign=campaign, channel=TouchChannel.SMS, body=BODY)
    # 67 characters + the name: 69 → 1 part, 71 → 2 parts, 137 → 3 parts.
    consenting_customers(department_a, 1, name="李雷")
    consenting_customers(department_a, 2, name="欧阳晓明")
    consenting_customers(department_a, 1, name="长" * 70)
    return campaign


def test_the_editor_preview_shows_as_sent_longest_and_audience_cost(staff_a_client, sms_campaign):
    page = staff_a_client.post(
        f"/campaigns/{sms_campaign.pk}/content/sms/preview/",
        {"body": BODY},
        HTTP_HX_REQUEST="true",
        **EN,
    ).content.decode()

    # The preview customer is the first by name: 李雷.
    assert "As sent to 李雷: 69 characters · 1 SMS (the unsubscribe link adds 57)" in page
    assert "Longest in the audience: 137 characters · 3 SMS" in page
    assert "Audience reachable by SMS: 4 customers · at most 8 SMS parts" in page
    assert "This SMS is sent (and billed) as 3 parts." in page


def test_the_campaign_page_counts_parts_as_sent(staff_a_client, sms_campaign):
    page = staff_a_client.get(f"/campaigns/{sms_campaign.pk}/", **EN).content.decode()

    assert 'data-sms-parts="1">69 characters · 1 SMS</span>' in page
    assert "Audience reachable by SMS: 4 customers · at most 8 SMS parts" in page


def test_the_approver_sees_the_length_the_worst_case_and_the_cost(manager_a_client, sms_campaign):
    page = manager_a_client.get(f"/campaigns/{sms_campaign.pk}/review/", **EN).content.decode()

    assert "As sent to 李雷: 69 characters · 1 SMS (the unsubscribe link adds 57)" in page
    assert "Longest in the audience: 137 characters · 3 SMS" in page
    assert "at most 8 SMS parts" in page


def test_a_text_too_long_for_its_longest_customer_cannot_be_submitted(
    staff_a_client, sms_campaign, department_a
):
    from campaigns.services.approval import submission_problems

    consenting_customers(department_a, 1, name="长" * 100)
    sms_campaign.contents.update(body="【悦享生活】{name}" + "好" * 380 + "回T退订")
    # 67 + 380 + the name: the sample name (4) fits in 7 parts, the longest (100) needs 9.
    assert sms_as_sent(sms_campaign.contents.get().body, SAMPLE_VALUES).count.parts == 7

    problems = submission_problems(sms_campaign)

    assert problems["sms"] == ["Too long: 9 parts; at most 7."]


def test_the_template_library_shows_the_length_as_sent(staff_a_client, department_a):
    TemplateFactory(department=department_a, channel="sms", body=BODY)
    expected = sms_as_sent(BODY, SAMPLE_VALUES).count

    page = staff_a_client.get("/campaigns/templates/", **EN).content.decode()

    assert f"{expected.characters} / {expected.parts}</span>" in page


def test_the_length_the_approver_sees_is_the_length_the_provider_receives(
    department_a, staff_a, manager_a, manager_a_client, settings
):
    FrequencyCap.objects.all().delete()
    QuietHours.objects.all().delete()
    customers = [
        *consenting_customers(department_a, 1, name="李雷", gender="male"),
        *consenting_customers(department_a, 1, name="欧阳晓明", gender="female"),
        *consenting_customers(department_a, 1, name="司马" * 12, gender=""),
        *consenting_customers(department_a, 1, name="长" * 60, gender="male"),
    ]
    today = timezone.localdate()
    campaign = due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        on=today,
        send_time=dt.time(0, 0),
    )
    review = manager_a_client.get(f"/campaigns/{campaign.pk}/review/", **EN).content.decode()
    shown_name, shown_characters, shown_parts = AS_SENT.search(review).groups()
    costs = {c.mobile: sms_cost(campaign, body=SMS_BODY, customer=c, on=today) for c in customers}
    audience = sms_cost(campaign, body=SMS_BODY, customer=None, on=today)

    with GatewayStandIn() as gateway:
        settings.DELIVERY_CHANNELS = {
            **settings.DELIVERY_CHANNELS,
            "sms": {"BACKEND": "http", "URL": gateway.url + "/sms", "TOKEN": gateway.token},
        }
        touches_dispatch(on=today)
        report = messages_send(seconds=10)
    received = {message["to"]: message["text"] for message in gateway.delivered.values()}

    assert report.sent == len(customers) == len(received)
    shown = next(c for c in customers if c.name == shown_name)
    assert sms_count(received[shown.mobile]).characters == int(shown_characters)
    assert sms_count(received[shown.mobile]).parts == int(shown_parts)
    for mobile, text in received.items():
        assert sms_count(text) == costs[mobile].as_sent.count
    counts = [sms_count(text) for text in received.values()]
    assert {count.parts for count in counts} == {2, 3}
    assert audience.customers == len(received)
    assert audience.parts == sum(count.parts for count in counts)
    assert audience.longest.count == max(counts, key=lambda count: count.characters)
