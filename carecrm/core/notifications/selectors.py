"""Reads of a user's notifications."""

from django.conf import settings
from django.db.models import Count, QuerySet, Subquery
from django.db.models.functions import Coalesce

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


def bell(user, *, latest: int = 5) -> tuple[int, list[Notification]]:
    """The unread count and the latest notices, in one query: every row carries the
    count (no notice at all means none unread)."""
    unread = (
        Notification.objects.filter(recipient=user, read_at__isnull=True)
        .values("recipient")
        .annotate(total=Count("id"))
        .values("total")
    )
    rows = list(
        notifications_for(user).annotate(unread_total=Coalesce(Subquery(unread), 0))[:latest]
    )
    return (rows[0].unread_total if rows else 0), rows
