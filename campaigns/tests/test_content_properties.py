"""Property test of message templates (security-hardening issue): whatever a template says —
Django template syntax, {% load %}, {% include %}, {{ settings.SECRET_KEY }}, attribute
access, format strings, control characters, huge texts, CJK, emoji — and whatever a
customer's fields hold, validation accepts it or refuses it with a message, rendering an
accepted template never raises, and nothing in it is executed: the output is the template
with the whitelisted ``{placeholder}``s replaced once by the values, and nothing else."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.content import (
    PLACEHOLDERS,
    check_content,
    clean_content,
    render_message,
    whole_characters,
)
from campaigns.models import TouchChannel
from carecrm.core.branding.selectors import current_brand
from delivery.compose import compose_email, compose_text

pytestmark = pytest.mark.django_db

INJECTIONS = [
    "{{ settings.SECRET_KEY }}",
    "{% load static %}{% debug %}",
    '{% include "base.html" %}',
    "{% csrf_token %}{% now 'Y' %}",
    "{customer.__class__}",
    "{name.__class__.__init__.__globals__}",
    "{{ customer.__class__.__mro__ }}",
    "{__class__}",
    "{0}",
    "{0.__class__}",
    "%s %(name)s %d",
    "${name}",
    "{{name}}",
    "{name!r:>10}",
    "<script>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
    "http://example.cn/a?b={name}",
    "【悦享生活】",
    "回T退订",
]
ALPHABET = st.characters(codec=None, blacklist_categories=())
# A lone surrogate (half of an emoji, as json.loads gives "\ud83d") is not drawn by
# st.characters: it is named here.
BROKEN = ["\ud83d", "\ude00", "a\udfffb"]
fragment = st.one_of(
    st.sampled_from(INJECTIONS),
    st.sampled_from([f"{{{name}}}" for name in PLACEHOLDERS]),
    st.text(ALPHABET, max_size=20),
    st.text("{}%$._ab\x00\x1b\n\r\t\u2028张😀", max_size=20),
    st.just("长" * 5000),  # far over every limit
    st.sampled_from(BROKEN),
)
template = st.lists(fragment, max_size=6).map("".join)
value = st.one_of(
    st.text(ALPHABET, max_size=30),
    st.sampled_from(INJECTIONS + BROKEN),
    st.sampled_from([f"{{{name}}}" for name in PLACEHOLDERS]),
)
values = st.fixed_dictionaries(dict.fromkeys(PLACEHOLDERS, value))


def reference_render(text: str, values: dict[str, str]) -> str:
    """The expected output, computed without regular expressions: each ``{word}`` of
    lower-case letters and underscores that names a whitelisted placeholder becomes its
    value (a broken character in it replaced); every other character is copied."""
    out, index = [], 0
    while index < len(text):
        if text[index] == "{":
            end = index + 1
            while end < len(text) and (text[end] == "_" or "a" <= text[end] <= "z"):
                end += 1
            name = text[index + 1 : end]
            if end < len(text) and text[end] == "}" and name in PLACEHOLDERS:
                out.append(whole_characters(values[name]))
                index = end + 1
                continue
        out.append(text[index])
        index += 1
    return "".join(out)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    channel=st.sampled_from(TouchChannel.values),
    subject=template,
    body=template,
    html_body=template,
    values=values,
)
def test_any_template_is_refused_with_a_message_or_rendered_literally(
    django_settings, channel, subject, body, html_body, values
):
    check = check_content(
        channel=channel, subject=subject, body=body, html_body=html_body, values=values
    )
    for field, messages in check.errors.items():
        assert field in ("subject", "body", "html_body")
        assert messages and all(isinstance(m, str) and m.strip() for m in messages)
    if not check.ok:
        return

    cleaned = clean_content(channel=channel, subject=subject, body=body, html_body=html_body)
    message = render_message(channel=channel, values=values, **cleaned)

    # Nothing executed: exactly the template with the placeholders filled in, once.
    assert message.subject == reference_render(cleaned["subject"], values)
    assert message.body == reference_render(cleaned["body"], values)
    secret = django_settings.SECRET_KEY
    if channel == TouchChannel.EMAIL:
        composed = compose_email(
            1,
            subject=message.subject,
            body=message.body,
            html_body=message.html_body,
            brand=current_brand(),
        )
        outputs = [composed.subject, composed.body, composed.html_body]
    elif channel in (TouchChannel.SMS, TouchChannel.WECOM, TouchChannel.PUSH):
        composed = compose_text(1, channel=channel, subject=message.subject, body=message.body)
        outputs = [composed.subject, composed.body]
    else:
        outputs = [message.body]
    for text in outputs:
        assert secret not in text
        assert "<class" not in text
        text.encode("utf-8")  # sendable: no broken characters left


@pytest.fixture
def django_settings(settings):
    return settings
