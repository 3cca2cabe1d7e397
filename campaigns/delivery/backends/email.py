"""Email through Django's email backends (SMTP here; django-anymail's providers plug in
the same way), one connection per batch, one answer per message.

SMTP replies 4xx and lost connections are transient (retry); 5xx and refused recipients
are permanent (failed, with the server's reply).
"""

import contextlib
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from campaigns.delivery.backends.base import ChannelBackend, OutgoingMessage, SendResult


def _smtp_reply(exc: Exception) -> tuple[int | None, str]:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()))
        return code, reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        return exc.smtp_code, error.decode(errors="replace") if isinstance(error, bytes) else str(
            error
        )
    return None, str(exc)


class EmailBackend(ChannelBackend):
    batch_size = 50

    def __init__(self, channel: str, options: dict | None = None) -> None:
        super().__init__(channel, options)
        self.connection = None

    def _connection(self):
        if self.connection is None:
            self.connection = get_connection(fail_silently=False)
            self.connection.open()
        return self.connection

    def _email(self, message: OutgoingMessage) -> EmailMultiAlternatives:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={**message.headers, "X-CareCRM-Message": message.key},
            connection=self._connection(),
        )
        if message.html_body:
            email.attach_alternative(message.html_body, "text/html")
        return email

    def send_many(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        results = []
        for message in messages:
            try:
                self._email(message).send()
            except (TimeoutError, smtplib.SMTPServerDisconnected, ConnectionError, OSError) as exc:
                if isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused):
                    results.append(self._answer(message, exc))
                else:
                    self.close()
                    results.append(SendResult.retry(message, f"connection: {exc}", "connection"))
            except (smtplib.SMTPException, ValueError) as exc:
                results.append(self._answer(message, exc))
            else:
                results.append(SendResult.sent(message, provider_id=message.key))
        return results

    def _answer(self, message: OutgoingMessage, exc: Exception) -> SendResult:
        code, reply = _smtp_reply(exc)
        text = f"{code} {reply}".strip() if code else reply
        if code is not None and 400 <= code < 500:
            return SendResult.retry(message, text, str(code))
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            self.close()
            return SendResult.retry(message, text, "disconnected")
        return SendResult.failed(message, text, str(code or "smtp"))

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self.connection.close()
            self.connection = None
