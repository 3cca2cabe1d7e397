"""The manager's review page reads like the campaign form, in the user's language: each
field under its label with the value users see (no choice keys, no RRULE, no field
names), each channel's message as a sample customer receives it with the SMS length and
parts, the audience; and after a return for changes only what changed since then."""

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone, translation

from campaigns.models import CampaignStatus, CareKind, TouchChannel
from campaigns.selectors.review import review_comparison
from campaigns.services.approval import (
    campaign_approve,
    campaign_submit,
)
from campaigns.services.campaigns import campaign_content_set, campaign_create, campaign_update
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
RAW = ("birthday", "promotion", "recurring", "FREQ=", "BYDAY", "days_before", "rrule", "UCS-2")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_text(response) -> str:
    parser = _Text()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def weekly(department_a, staff_a):
    """A recurring campaign every Monday at 09:00 (offers), with an SMS and a customer."""
    CustomerFactory(department=department_a, name="王小明", mobile="13800000001")
    campaign = campaign_create(
        user=staff_a,
        fields={
            "name": "每周新品推荐",
            "kind": "recurring",
            "recurrence": "rrule",
            "rrule": "FREQ=WEEKLY;BYDAY=MO",
            "send_time": dt.time(9, 0),
            "starts_on": timezone.localdate(),
            "backup_plan": "投诉当日回电；退订立即停止。",
            "goal_target": 20,
        },
    )
    campaign_content_set(
        campaign=campaign,
        user=staff_a,
        channel=TouchChannel.SMS,
        body="【悦享生活】{name}您好，本周新品已到店，欢迎选购！回T退订",
    )
    return campaign_submit(campaign=campaign, user=staff_a)


def test_the_first_submission_shows_labels_and_display_values_not_keys(weekly, manager_a):
    assert weekly.care_kind == CareKind.PROMOTION
    response = _client(manager_a).get(f"/campaigns/{weekly.pk}/review/", **ZH)
    html = response.content.decode()
    text = page_text(response)

    assert 'data-review="first"' in html
    for raw in RAW:
        assert raw not in text, raw
    # labels from the model, values as users see them
    for label, value in (
        ("类型", "周期性"),
        ("关怀类型", "优惠与推荐"),
        ("每位客户的触达渠道", None),
        ("优先级", None),
        ("执行计划", "星期一"),
    ):
        assert label in text, label
        if value:
            assert value in text, value
    assert "09:00" in text
    # the SMS as 王小明 receives it, its length and parts in words, the audience
    assert "王小明您好，本周新品已到店" in text
    # 29 characters and the unsubscribe link as sent: two parts of Chinese text
    assert 'id="sms-cost" data-sms-characters="85" data-sms-parts="2"' in html
    assert "85 个字符 · 2 条短信" in text
    assert 'id="review-audience" data-audience="1"' in html


def test_a_birthday_schedule_reads_as_days_before_the_birthday(department_a, staff_a, manager_a):
    campaign = campaign_create(
        user=staff_a,
        fields={"name": "生日关怀", "kind": "birthday", "days_before": 3, "goal_target": 30},
    )
    with translation.override("en"):
        [schedule] = [f for f in review_comparison(campaign).fields if f.key == "schedule"]
        [care] = [f for f in review_comparison(campaign).fields if f.key == "care_kind"]
    assert schedule.value.startswith("3 days before each customer's birthday")
    assert care.value == "Birthday greetings"


def test_a_resubmission_after_changes_requested_shows_only_what_changed(weekly, staff_a, manager_a):
    manager = _client(manager_a)
    response = manager.post(
        f"/campaigns/{weekly.pk}/review/",
        {"action": "request_changes", "comment": "请改为每周五上午发送。"},
    )
    assert response.status_code == 302
    weekly.refresh_from_db()
    assert weekly.status == CampaignStatus.CHANGES_REQUESTED

    campaign_update(campaign=weekly, user=staff_a, fields={"rrule": "FREQ=WEEKLY;BYDAY=FR"})
    campaign_submit(campaign=weekly, user=staff_a)

    response = manager.get(f"/campaigns/{weekly.pk}/review/", **ZH)
    html = response.content.decode()
    text = page_text(response)
    assert 'data-review="resubmission"' in html
    assert 'data-review="first"' not in html
    assert "请改为每周五上午发送。" in text  # what was asked
    changed = html[html.index('id="review-changed"') : html.index('id="review-unchanged"')]
    assert changed.count('class="review-change"') == 1
    assert 'data-field="schedule"' in changed
    assert "星期一" in changed and "星期五" in changed
    weekly.refresh_from_db()
    comparison = review_comparison(weekly)
    assert [c.key for c in comparison.changed] == ["schedule"]
    assert len(comparison.unchanged) == len(comparison.fields) - 1
    for raw in RAW:
        assert raw not in text, raw
    queue = manager.get("/campaigns/approvals/", **ZH).content.decode()
    assert 'data-round="2"' in queue

    # approved now: the next edit is compared with the approved version
    weekly = campaign_approve(campaign=weekly, user=manager_a)
    assert not review_comparison(weekly).first_submission
