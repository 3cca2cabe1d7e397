"""Message tokens have one width, so an SMS can be measured before it is sent, and the
shorter tokens already sent in messages keep working."""

import pytest

from delivery.tokens import (
    TOKEN_LENGTH,
    Purpose,
    _signature,
    b62encode,
    message_token,
    read_token,
)


@pytest.mark.parametrize("message_id", [0, 1, 61, 62, 3843, 3844, 10**6, 62**5 - 1])
def test_every_token_has_the_same_length(message_id):
    token = message_token(message_id, Purpose.SHORT_LINK)
    assert len(token) == TOKEN_LENGTH == 15
    assert read_token(token, Purpose.SHORT_LINK) == message_id


def test_tokens_of_many_messages_all_have_fifteen_characters():
    lengths = {len(message_token(pk, purpose)) for pk in range(1, 2000) for purpose in "ab"}
    assert lengths == {15}


def test_an_unpadded_token_sent_before_still_reads():
    for message_id in (7, 1234, 987654):
        signature = _signature(message_id, Purpose.UNSUBSCRIBE).lstrip("0")
        old = f"{b62encode(message_id)}-{signature}"
        assert len(old) < TOKEN_LENGTH
        assert read_token(old, Purpose.UNSUBSCRIBE) == message_id


def test_a_token_for_another_purpose_or_message_or_forged_is_refused():
    token = message_token(42, Purpose.CLICK)
    assert read_token(token, Purpose.OPEN) is None
    head, _, signature = token.partition("-")
    assert read_token(f"{b62encode(43).rjust(5, '0')}-{signature}", Purpose.CLICK) is None
    assert read_token(f"{head}-{'0' * 9}", Purpose.CLICK) is None
    assert read_token(f"{head}-", Purpose.CLICK) is None
    assert read_token(f"{head}-0{signature}", Purpose.CLICK) is None
