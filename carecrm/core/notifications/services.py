"""Creating notifications, marking them read and emailing a copy (idempotent: a notice
with a ``key`` is made once per recipient, and emailed once)."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from carecrm.core.models import Notification
from carecrm.core.notifications.selectors import email_configured

logger = logging.getLogger(__name__)


def notification_create(
    *, recipient, kind: str, title: str, body: str = "", url: str = "", key: str = ""
) -> Notification:
    """A notice for ``recipient``. With a ``key`` the same notice is never made twice:
    the existing one is returned."""
    if key:
        existing = Notification.objects.filter(recipient=recipient, key=key).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                return Notification.objects.create(
                    recipient=recipient, kind=kind, title=title, body=body, url=url, key=key
                )
        except IntegrityError:
            return Notification.objects.get(recipient=recipient, key=key)
    return Notification.objects.create(
        recipient=recipient, kind=kind, title=title, body=body, url=url
    )


def notification_mark_read(*, notification: Notification, user) -> Notification:
    """Only the recipient marks their notice read; the first reading time stays."""
    if notification.recipient_id != user.pk:
        raise PermissionError("Not the recipient")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_email(*, notification_id: int) -> bool:
    """Email the notice to its recipient once (True when sent now). Nothing is sent
    without an email address or configured mail; a failed send is left for a retry."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.emailed_at is not None:
            return False
        recipient = notification.recipient
        if not recipient.email or not recipient.is_active or not email_configured():
            return False
        site = getattr(settings, "SITE_URL", "").rstrip("/")
        with translation.override(settings.LANGUAGE_CODE):
            lines = [_("Hello %(name)s,") % {"name": recipient}, "", notification.title]
            if notification.body:
                lines += ["", notification.body]
            if notification.url:
                lines += ["", _("Open: %(url)s") % {"url": site + notification.url}]
            subject = notification.title
        send_mail(subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, [recipient.email])
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
        return True
