"""Email through Django's email backends (SMTP here; django-anymail's providers plug in
the same way), one connection kept across batches, one answer per message.

A connection that cannot be opened (refused, timeout, TLS or login failure) is the
channel's problem, not the message's: the whole batch waits for a retry. Per message,
SMTP 4xx replies and lost connections are transient (retry); 5xx replies and refused
recipients are permanent (failed, with the server's reply).

Each message carries a ``Message-ID`` derived from its idempotency key, the same on every
attempt, so a resend after a crash is recognisably the same mail; it is also the
provider id receipts can name (anymail's own id when a provider gives one).
"""

import contextlib
import hashlib
import hmac
import smtplib
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.utils import DNS_NAME

from campaigns.delivery.backends.base import ChannelBackend, OutgoingMessage, SendResult

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def _reply_text(reply) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _smtp_reply(exc: Exception) -> tuple[int | None, str]:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()))
        return code, _reply_text(reply)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code, _reply_text(exc.smtp_error)
    return None, str(exc)


def message_id(key: str) -> str:
    """``<carecrm-N.<installation hash>@<sender's domain>>``: stable per message, distinct
    between installations that reuse the same numbers."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or str(DNS_NAME)
    tag = hmac.new(settings.SECRET_KEY.encode(), key.encode(), hashlib.sha256).hexdigest()[:12]
    return f"<{key}.{tag}@{domain}>"


class EmailBackend(ChannelBackend):
    batch_size = 50

    def __init__(self, channel: str, options: dict | None = None) -> None:
        super().__init__(channel, options)
        self.connection = None

    def _connection(self):
        if self.connection is None:
            kwargs = {}
            if settings.EMAIL_BACKEND == SMTP_BACKEND and not getattr(
                settings, "EMAIL_TIMEOUT", None
            ):
                kwargs["timeout"] = settings.DELIVERY_HTTP_TIMEOUT
            connection = get_connection(fail_silently=False, **kwargs)
            connection.open()
            self.connection = connection
        return self.connection

    def _email(self, message: OutgoingMessage) -> EmailMultiAlternatives:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=message.sender or settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={
                **message.headers,
                "Message-ID": message_id(message.key),
                "X-CareCRM-Message": message.key,
            },
            connection=self.connection,
        )
        if message.html_body:
            email.attach_alternative(message.html_body, "text/html")
        return email

    def send_many(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        results: list[SendResult] = []
        for index, message in enumerate(messages):
            try:
                self._connection()
            except (OSError, smtplib.SMTPException) as exc:
                self.close()
                code, reply = _smtp_reply(exc)
                reason = f"cannot reach the mail server: {f'{code} ' if code else ''}{reply}"
                return results + [
                    SendResult.retry(pending, reason, "connection") for pending in messages[index:]
                ]
            results.append(self._send(message))
        return results

    def _send(self, message: OutgoingMessage) -> SendResult:
        email = self._email(message)
        try:
            email.send()
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
            return self._answer(message, exc)
        except (OSError, smtplib.SMTPException) as exc:
            # Disconnected, timed out, reset: the server may or may not have the mail;
            # the resend carries the same Message-ID.
            self.close()
            return SendResult.retry(message, f"connection lost: {exc}", "connection")
        status = getattr(email, "anymail_status", None)
        provider_id = getattr(status, "message_id", None) or email.extra_headers["Message-ID"]
        return SendResult.sent(message, provider_id=str(provider_id))

    def _answer(self, message: OutgoingMessage, exc: Exception) -> SendResult:
        code, reply = _smtp_reply(exc)
        text = f"{code} {reply}".strip() if code else reply
        if code is not None and 400 <= code < 500:
            return SendResult.retry(message, text, str(code))
        if code is None or code < 400:
            # Not a refusal (e.g. the connection dropped mid-reply): try again.
            self.close()
            return SendResult.retry(message, text, "smtp")
        return SendResult.failed(message, text, str(code))

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self.connection.close()
            self.connection = None
