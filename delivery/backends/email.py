"""Email through Django's email backends (SMTP here; django-anymail's providers plug in
the same way), one connection kept across batches, one answer per message.

A connection that cannot be opened (refused, timeout, TLS or login failure) is the
channel's problem, not the message's: the whole batch waits for a retry. Per message:

- a message that cannot be built (a header with a line break, an address that cannot be
  encoded) fails on its own, and the rest of the batch goes on;
- SMTP 4xx replies are transient (retry), 5xx replies and refused recipients permanent
  (failed, with the server's reply);
- a connection lost before the DATA command is a retry (the server cannot have the
  message); from DATA on — or a reply that is no refusal — the server may have it:
  **uncertain**, never sent again automatically (SMTP has no idempotency key). Backends
  other than SMTP cannot tell, so a lost connection there is uncertain too.

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
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.core.mail.backends import smtp
from django.core.mail.message import sanitize_address
from django.core.mail.utils import DNS_NAME

from delivery.backends.base import ChannelBackend, OutgoingMessage, SendResult

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class _ConversationMixin:
    """An ``smtplib`` client that remembers whether the current message reached DATA —
    the point from which the server may end up with it."""

    handed_over = False

    def data(self, msg):
        self.handed_over = True
        return super().data(msg)


class ConversationSMTP(_ConversationMixin, smtplib.SMTP):
    pass


class ConversationSMTPSSL(_ConversationMixin, smtplib.SMTP_SSL):
    pass


class ConversationSMTPBackend(smtp.EmailBackend):
    """Django's SMTP backend on a client that knows whether DATA went out."""

    @property
    def connection_class(self):
        return ConversationSMTPSSL if self.use_ssl else ConversationSMTP


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
            if settings.EMAIL_BACKEND == SMTP_BACKEND:
                kwargs["backend"] = f"{__name__}.ConversationSMTPBackend"
                if not getattr(settings, "EMAIL_TIMEOUT", None):
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

    def _build(self, message: OutgoingMessage) -> EmailMultiAlternatives | SendResult:
        """The email as the backend will send it, or why it cannot be: building it here,
        before anything goes out, keeps one bad message from failing the batch."""
        try:
            email = self._email(message)
            encoding = email.encoding or settings.DEFAULT_CHARSET
            for address in (email.from_email, *email.recipients()):
                sanitize_address(address, encoding)
            email.message().as_bytes(linesep="\r\n")
        except BadHeaderError as exc:
            return SendResult.failed(message, f"invalid header: {exc}", "header")
        except Exception as exc:  # ValueError, UnicodeError, …: this message only
            return SendResult.failed(
                message, f"cannot build the message: {type(exc).__name__}: {exc}", "message"
            )
        return email

    def _handed_over(self) -> bool:
        """Whether the server may have the message now; unknown (True) unless the SMTP
        client tracked it."""
        client = getattr(self.connection, "connection", None)
        return getattr(client, "handed_over", True)

    def _send(self, message: OutgoingMessage) -> SendResult:
        email = self._build(message)
        if isinstance(email, SendResult):
            return email
        client = getattr(self.connection, "connection", None)
        if isinstance(client, _ConversationMixin):
            client.handed_over = False
        try:
            email.send()
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
            return self._answer(message, exc)
        except (OSError, smtplib.SMTPException) as exc:
            # Disconnected, timed out, reset.
            handed_over = self._handed_over()
            self.close()
            if handed_over:
                return SendResult.uncertain(
                    message, f"connection lost after the message was handed over: {exc}", "lost"
                )
            return SendResult.retry(message, f"connection lost before sending: {exc}", "connection")
        except Exception as exc:  # not a connection problem: this message only
            if self._handed_over():
                self.close()
                return SendResult.uncertain(message, f"{type(exc).__name__}: {exc}", "lost")
            return SendResult.failed(message, f"{type(exc).__name__}: {exc}", "message")
        status = getattr(email, "anymail_status", None)
        provider_id = getattr(status, "message_id", None) or email.extra_headers["Message-ID"]
        return SendResult.sent(message, provider_id=str(provider_id))

    def _answer(self, message: OutgoingMessage, exc: Exception) -> SendResult:
        code, reply = _smtp_reply(exc)
        text = f"{code} {reply}".strip() if code else reply
        if code is not None and 400 <= code < 500:
            return SendResult.retry(message, text, str(code))
        if code is not None and 500 <= code < 600:
            return SendResult.failed(message, text, str(code))
        # Not a refusal (a dropped reply, an unexpected code): before DATA the server
        # cannot have the message; from DATA on it may.
        handed_over = self._handed_over()
        self.close()
        if handed_over:
            return SendResult.uncertain(message, f"unexpected reply: {text}", "smtp")
        return SendResult.retry(message, f"unexpected reply: {text}", "smtp")

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self.connection.close()
            self.connection = None
