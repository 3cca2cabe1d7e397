"""Reads of a user's notifications."""

from django.conf import settings
from django.db.models import QuerySet

from carecrm.core.models import Notification


def notifications_for(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def email_configured() -> bool:
    """Whether mail can go out at all: a backend that delivers (not the dummy) and, for
    SMTP, a host to send through."""
    backend = getattr(settings, "EMAIL_BACKEND", "") or ""
    if not backend or backend.endswith("dummy.EmailBackend"):
        return False
    if backend.endswith("smtp.EmailBackend"):
        return bool(getattr(settings, "EMAIL_HOST", ""))
    return True
