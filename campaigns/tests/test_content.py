"""Content: safe placeholders, the SMS counter and rules, email sanitising, limits."""

import pytest

from campaigns.content import (
    SAMPLE_VALUES,
    check_content,
    clean_content,
    html_to_text,
    render_message,
    render_text,
    sms_as_sent,
    sms_count,
)
from carecrm.core.tests.factories import SenderBrandFactory
from delivery.compose import compose_text

VALUES = {"name": "李雷", "title": "先生", "coupon_code": "K7M2Q9X4TB23"}


@pytest.mark.parametrize(
    "attempt",
    [
        "{{ settings.SECRET_KEY }}",
        "{% load static %}{% debug %}",
        "{name.__class__}",
        "{name.__class__.__init__.__globals__}",
        "{secret_key}",
        "{{name}}x",
        "${name}",
        "{NAME}",
    ],
)
def test_template_injection_renders_as_plain_text(attempt):
    rendered = render_text(attempt, VALUES)
    if attempt == "{{name}}x":
        # The inner {name} is a placeholder; the braces around it stay text.
        assert rendered == "{李雷}x"
    elif attempt == "${name}":
        assert rendered == "$李雷"
    else:
        assert rendered == attempt


def test_secret_key_never_appears_in_a_rendered_message(settings):
    message = render_message(
        channel="email",
        subject="{{ settings.SECRET_KEY }}",
        body="{% load %}{name.__class__}",
        html_body="<p>{{ settings.SECRET_KEY }} {name}</p>",
        values=VALUES,
    )
    for text in (message.subject, message.body, message.html_body):
        assert settings.SECRET_KEY not in text
    assert message.subject == "{{ settings.SECRET_KEY }}"
    assert message.body == "{% load %}{name.__class__}"
    assert message.html_body == "<p>{{ settings.SECRET_KEY }} 李雷</p>"


def test_whitelisted_placeholders_are_filled():
    assert render_text("{name}{title}，券码{coupon_code}", VALUES) == "李雷先生，券码K7M2Q9X4TB23"


def test_values_are_escaped_in_html_but_not_in_text():
    values = {"name": "<script>alert(1)</script>"}
    assert render_text("{name}", values) == "<script>alert(1)</script>"
    html = render_message(
        channel="email", subject="", body="", html_body="<p>{name}</p>", values=values
    ).html_body
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("text", "characters", "encoding", "parts"),
    [
        ("", 0, "GSM-7", 0),
        ("a" * 160, 160, "GSM-7", 1),
        ("a" * 161, 161, "GSM-7", 2),  # 153 per part
        ("a" * 306, 306, "GSM-7", 2),
        ("a" * 307, 307, "GSM-7", 3),
        ("€" * 80, 160, "GSM-7", 1),  # extension characters take two septets
        ("生" * 70, 70, "UCS-2", 1),
        ("生" * 71, 71, "UCS-2", 2),  # 67 per part
        ("生" * 134, 134, "UCS-2", 2),
        ("生" * 135, 135, "UCS-2", 3),
        ("Hi 李" + "a" * 66, 70, "UCS-2", 1),  # one Chinese character makes all UCS-2
        ("😀" * 35, 70, "UCS-2", 1),  # an emoji takes two UCS-2 units
    ],
)
def test_sms_counter(text, characters, encoding, parts):
    count = sms_count(text)
    assert (count.characters, count.encoding, count.parts) == (characters, encoding, parts)


@pytest.mark.django_db  # the SMS rule reads the sender brand
def test_sms_needs_signature_and_opt_out():
    check = check_content(channel="sms", body="{name}您好，生日快乐")
    assert not check.ok
    messages = " ".join(check.errors["body"])
    assert "【" in messages and "回T退订" in messages

    good = check_content(channel="sms", body="【悦享生活】{name}您好，生日快乐！回T退订")
    assert good.ok
    assert good.sms.encoding == "UCS-2"


@pytest.mark.django_db
def test_sms_must_carry_the_configured_company_signature():
    SenderBrandFactory(company_name="悦享生活", sms_signature="悦享生活")

    other = check_content(channel="sms", body="【好物商城】{name}您好，生日快乐！回T退订")
    assert other.errors["body"] == [
        "An SMS must start or end with the company's signature 【悦享生活】."
    ]
    assert check_content(channel="sms", body="【悦享生活】{name}您好，生日快乐！回T退订").ok
    assert check_content(channel="sms", body="{name}您好，生日快乐！回T退订【悦享生活】").ok


@pytest.mark.django_db  # the SMS rule reads the sender brand
def test_sms_length_is_judged_as_sent_with_the_unsubscribe_link(settings):
    settings.SITE_URL = "https://crm.example.cn"
    body = "【悦享生活】{name}您好，生日快乐！回T退订"
    check = check_content(channel="sms", body=body)
    # 22 characters with the 4-character sample name, then " Unsubscribe: " (14) and
    # https://crm.example.cn/m/u/<15-character token>/ (43): 79 UCS-2 units, 2 parts.
    assert (check.sms.characters, check.sms.parts) == (79, 2)
    assert check.warnings == ["This SMS is sent (and billed) as 2 parts."]


@pytest.mark.django_db
def test_long_sms_is_counted_in_parts_with_a_warning(settings):
    settings.SITE_URL = "https://crm.example.cn"
    check = check_content(channel="sms", body="【悦享生活】" + "生" * 80 + "回T退订")
    assert check.ok
    assert (check.sms.characters, check.sms.parts) == (147, 3)
    assert check.warnings == ["This SMS is sent (and billed) as 3 parts."]


@pytest.mark.django_db
def test_the_length_checks_judge_the_longest_values_when_given(settings):
    settings.SITE_URL = "https://crm.example.cn"
    body = "【悦享生活】{name}您好，生日快乐！回T退订"
    check = check_content(
        channel="sms", body=body, longest_values={**SAMPLE_VALUES, "name": "名" * 400}
    )
    assert check.sms.parts == 2
    assert check.sms_longest.parts == 8
    assert check.errors["body"] == ["Too long: 8 parts; at most 7."]


def test_the_as_sent_measure_is_what_compose_text_produces_for_any_message(settings):
    settings.SITE_URL = "https://crm.example.cn"
    body = (
        "【悦享生活】{name}{title}，活动 https://shop.example.cn/event?a=1 与 {event_link} 回T退订"
    )
    measured = sms_as_sent(body, SAMPLE_VALUES)
    for message_id in (1, 77, 123456, 62**5 - 1):
        sent = compose_text(
            message_id, channel="sms", subject="", body=render_text(body, SAMPLE_VALUES)
        ).body
        assert sms_count(sent) == measured.count
    assert measured.text.count("https://crm.example.cn/s/") == 2
    assert measured.text.endswith("/")
    # " Unsubscribe: https://crm.example.cn/m/u/<token>/"
    assert measured.unsubscribe_adds == 1 + 13 + 43


@pytest.mark.django_db  # the SMS rule reads the sender brand
def test_unknown_placeholders_are_reported():
    check = check_content(channel="sms", body="【悦享生活】{nmae}好！回T退订")
    assert "{nmae}" in check.errors["body"][0]


def test_email_html_is_sanitised_and_a_plain_text_part_derived():
    cleaned = clean_content(
        channel="email",
        subject=" 生日快乐 ",
        body="",
        html_body='<p onclick="x()">你好 {name}</p><script>alert(1)</script>'
        '<a href="javascript:alert(1)">链接</a><style>p{}</style><br>再见',
    )
    assert "<script" not in cleaned["html_body"]
    assert "onclick" not in cleaned["html_body"]
    assert "javascript:" not in cleaned["html_body"]
    assert "<style" not in cleaned["html_body"]
    assert cleaned["subject"] == "生日快乐"
    assert cleaned["body"] == "你好 {name}\n链接\n再见"


def test_email_needs_a_subject():
    assert "subject" in check_content(channel="email", html_body="<p>x</p>").errors


def test_push_and_wecom_limits():
    assert "subject" in check_content(channel="push", subject="标" * 31, body="正文").errors
    assert "body" in check_content(channel="push", subject="标题", body="字" * 121).errors
    assert check_content(channel="push", subject="生日快乐", body="{name}，生日快乐").ok
    assert "body" in check_content(channel="wecom", subject="标题", body="字" * 601).errors


def test_call_script_is_required():
    assert not check_content(channel="phone", body=" ").ok
    assert check_content(channel="visit", body="带上礼品，询问使用情况").ok


def test_html_to_text_keeps_line_breaks():
    assert html_to_text("<h1>标题</h1><p>第一段</p><p>第二段&amp;</p>") == "标题\n第一段\n第二段&"


@pytest.mark.django_db
def test_a_broken_character_is_refused_with_a_message_not_a_crash():
    """Found by the property test: a lone surrogate (JSON "\\ud83d", half of an emoji)
    crashed the SMS counter (UTF-16 encoding) and nh3."""
    check = check_content(channel="sms", body="【悦享生活】\ud83d 回T退订")
    assert check.errors["body"] == [
        "The text holds a broken character (half of an emoji?); type it again."
    ]
    message = render_message(
        channel="email",
        subject="{name}",
        body="{name}",
        html_body="<p>{name}</p>",
        values={"name": "李\ud83d雷"},
    )
    assert message.body == "李\ufffd雷"
    assert message.html_body == "<p>李\ufffd雷</p>"
