"""Development backends: print messages, or append them as JSON lines to a file per
channel (``DELIVERY_FILE_DIR``) — what ``make run`` uses for SMS, WeCom and push."""

import json
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from delivery.backends.base import ChannelBackend, OutgoingMessage, SendResult

_file_lock = threading.Lock()


def _record(message: OutgoingMessage) -> dict:
    return {
        "key": message.key,
        "channel": message.channel,
        "to": message.to,
        "subject": message.subject,
        "body": message.body,
        "unsubscribe_url": message.unsubscribe_url,
        "at": timezone.now().isoformat(),
    }


class ConsoleBackend(ChannelBackend):
    batch_size = 100

    def send_many(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        stream = self.options.get("STREAM") or sys.stdout
        for message in messages:
            stream.write(json.dumps(_record(message), ensure_ascii=False) + "\n")
        stream.flush()
        return [SendResult.sent(message, provider_id=message.key) for message in messages]


class FileBackend(ChannelBackend):
    batch_size = 200

    def path(self) -> Path:
        folder = Path(self.options.get("DIR") or settings.DELIVERY_FILE_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{self.channel}.jsonl"

    def send_many(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        lines = "".join(json.dumps(_record(m), ensure_ascii=False) + "\n" for m in messages)
        with _file_lock, self.path().open("a", encoding="utf-8") as handle:
            handle.write(lines)
        return [SendResult.sent(message, provider_id=message.key) for message in messages]
