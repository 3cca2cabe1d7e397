"""SMS, WeCom and app push through an HTTP JSON gateway (the protocol is described in
``delivery.standin``): one POST per batch over a kept-alive connection, the
message's idempotency key as its ``id``.

A connection that cannot be opened, 429 and 5xx are transient (the gateway does not
have the batch: retried later); a timeout or a connection lost after the request left
makes the batch uncertain (never re-posted automatically); other 4xx refuse the whole
batch permanently with the gateway's reason; a 200 answers per message.
``POST <URL>/status`` tells which keys the gateway has (``lookup``), so uncertain
messages can be settled without an operator.
"""

import json

from delivery.backends.base import ChannelBackend, OutgoingMessage, SendResult
from delivery.backends.connection import (
    AnswerLost,
    ProviderConnection,
    ProviderUnreachable,
)

TRANSIENT_STATUSES = {408, 425, 429}


class HttpGatewayBackend(ChannelBackend):
    batch_size = 100

    def __init__(self, channel: str, options: dict | None = None) -> None:
        super().__init__(channel, options)
        self.provider = ProviderConnection(
            self.options.get("URL") or "", setting=f"DELIVERY_{channel.upper()}_URL"
        )

    def payload(self, message: OutgoingMessage) -> dict:
        return {
            "id": message.key,
            "to": message.to,
            "text": message.body,
            "title": message.subject,
            "data": {**message.data, "unsubscribe_url": message.unsubscribe_url},
        }

    def _post(self, body: bytes, path: str = "") -> tuple[int, bytes]:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Bearer {self.options.get('TOKEN', '')}",
        }
        target = self.provider.path.rstrip("/") + path if path else self.provider.path
        return self.provider.request("POST", target, body=body, headers=headers)

    def send_many(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        body = json.dumps(
            {"messages": [self.payload(m) for m in messages]}, ensure_ascii=False
        ).encode()
        try:
            status, raw = self._post(body)
        except ProviderUnreachable as exc:
            return [
                SendResult.retry(m, f"gateway unreachable: {exc}", "connection") for m in messages
            ]
        except AnswerLost as exc:
            return [
                SendResult.uncertain(m, f"no answer from the gateway: {exc}", "answer-lost")
                for m in messages
            ]
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            answer = {"error": raw[:200].decode(errors="replace")}
        if status >= 500 or status in TRANSIENT_STATUSES:
            reason = f"HTTP {status}: {answer.get('error') or answer.get('code') or ''}".strip()
            return [SendResult.retry(m, reason, str(status)) for m in messages]
        if status != 200:
            reason = f"HTTP {status}: {answer.get('error') or ''}".strip()
            code = str(answer.get("code") or status)
            return [SendResult.failed(m, reason, code) for m in messages]
        results = answer.get("results")
        by_id = {
            str(item.get("id")): item
            for item in (results if isinstance(results, list) else [])
            if isinstance(item, dict)
        }
        results = []
        for message in messages:
            item = by_id.get(message.key)
            if item is None:
                results.append(
                    SendResult.uncertain(message, "the gateway did not mention it", "missing")
                )
            elif item.get("status") == "accepted":
                results.append(SendResult.sent(message, str(item.get("provider_id") or "")))
            else:
                results.append(
                    SendResult.failed(
                        message, str(item.get("error") or "rejected"), str(item.get("code") or "")
                    )
                )
        return results

    def lookup(self, keys: list[str]) -> dict[str, bool]:
        """Which of these keys the gateway has. Raises ``OSError`` when it cannot say."""
        status, raw = self._post(json.dumps({"ids": keys}).encode(), "/status")
        if status != 200:
            raise OSError(f"status lookup answered HTTP {status}")
        answer = json.loads(raw or b"{}")
        items = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise OSError("status lookup answered without results")
        return {
            str(item.get("id")): item.get("status") == "accepted"
            for item in items
            if isinstance(item, dict)
        }

    def close(self) -> None:
        self.provider.close()
