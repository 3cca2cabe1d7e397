from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    CREATE = "create", _("Created")
    CHANGE = "change", _("Changed")
    EXPORT = "export", _("Exported")
    IMPORT = "import", _("Imported")
    MERGE = "merge", _("Merged")
    ANONYMISE = "anonymise", _("Anonymised")
    PII_EXPORT = "pii_export", _("Exported personal data")
    CONSENT = "consent", _("Changed consent")
    PHONE_REVEAL = "phone_reveal", _("Showed phone number")


class AuditEntry(models.Model):
    """Who viewed, exported or changed which customer's personal data (care programme: every
    view, export and change is audited). Rows are only ever added."""

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=12, choices=AuditAction)
    customer_id = models.BigIntegerField(_("customer ID"), null=True, blank=True)
    object_type = models.CharField(_("object type"), max_length=50, blank=True)
    object_id = models.CharField(_("object ID"), max_length=50, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["actor", "at"], name="audit_actor_at"),
            # One customer's audit trail, newest first a keyset page at a time.
            models.Index(fields=["customer_id", "id"], name="audit_customer_id"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_type}#{self.object_id}"


class SenderBrand(models.Model):
    """Who the customer hears from: the company name, SMS signature, contact line and
    logo shown on customer pages, in email and SMS. One row (pk 1), edited by admins;
    the logo's bytes live here so several web servers need no shared media volume."""

    SINGLETON_PK = 1

    company_name = models.CharField(_("company name"), max_length=60)
    sms_signature = models.CharField(_("SMS signature"), max_length=16, blank=True)
    contact_line = models.CharField(_("contact line"), max_length=120, blank=True)
    logo = models.BinaryField(_("logo"), blank=True, default=b"")
    logo_content_type = models.CharField(_("logo type"), max_length=20, blank=True)
    # A digest of the logo's bytes: its URL changes with the picture, so it can be
    # cached for a year.
    logo_version = models.CharField(_("logo version"), max_length=16, blank=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("sender brand")
        verbose_name_plural = _("sender brand")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="sender_brand_singleton"),
        ]

    def __str__(self) -> str:
        return self.company_name


class Notification(models.Model):
    """Something a user should know about, shown under the bell in the navigation bar and
    at /notifications/ (e.g. a manager approved or returned their campaign). Any app
    creates them with ``carecrm.core.notifications.services.notification_create``; ``key``
    makes creating the same notice twice a no-op (e.g. ``campaigns.review:42``)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    key = models.CharField(_("key"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"],
                condition=~models.Q(key=""),
                name="notification_unique_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
