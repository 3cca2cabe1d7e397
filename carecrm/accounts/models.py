from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The three roles of the care programme; each is a Django group of the same name."""

    STAFF = "staff", _("Staff")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")


class Department(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    region = models.CharField(_("region"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who logs in. The role is the group they belong to; the department scopes
    which customers they may see (see ``carecrm.core.scoping``)."""

    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    phone = models.CharField(_("work phone"), max_length=30, blank=True)
    # API tokens issued before this stop working (carecrm.accounts.tokens).
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def set_password(self, raw_password) -> None:
        """Every way of changing a password (page, admin, shell) goes through here, so
        the moment is recorded with the new hash and older API tokens die with it."""
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    @cached_property
    def role(self) -> str:
        if self.is_superuser:
            return Role.ADMIN
        names = {group.name for group in self.groups.all()}
        for role in (Role.ADMIN, Role.MANAGER, Role.STAFF):
            if role.value in names:
                return role
        return Role.STAFF

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_manager_role(self) -> bool:
        return self.role == Role.MANAGER
