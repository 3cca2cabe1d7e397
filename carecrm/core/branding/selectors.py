"""Reading the sender brand. One small query (never the logo's bytes) and no cache
across requests or processes, so a Celery worker sees an admin's change at once."""

from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.urls import reverse

from carecrm.core.models import SenderBrand

FALLBACK_COMPANY_NAME = "CareCRM"


@dataclass(frozen=True)
class Brand:
    company_name: str
    sms_signature: str = ""
    contact_line: str = ""
    logo_version: str = ""
    logo_content_type: str = ""
    updated_at: object = None
    updated_by_id: int | None = None

    @property
    def signature_tag(self) -> str:
        """The signature as an SMS carries it, ``【悦享生活】``; empty when none is set."""
        return f"【{self.sms_signature}】" if self.sms_signature else ""

    @property
    def logo_url(self) -> str:
        """A URL that changes with the picture (served with a year's cache); empty
        when there is no logo."""
        if not self.logo_version:
            return ""
        return reverse("brand:logo", args=[self.logo_version])

    @property
    def from_email(self) -> str:
        """``DEFAULT_FROM_EMAIL``'s address under the company's name."""
        address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL
        return formataddr((self.company_name, address))


def default_company_name() -> str:
    """What customers see before an admin names the company: the display name of
    ``DEFAULT_FROM_EMAIL``, else "CareCRM"."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[0] or FALLBACK_COMPANY_NAME


def current_brand() -> Brand:
    row = (
        SenderBrand.objects.filter(pk=SenderBrand.SINGLETON_PK)
        .values(
            "company_name",
            "sms_signature",
            "contact_line",
            "logo_version",
            "logo_content_type",
            "updated_at",
            "updated_by_id",
        )
        .first()
    )
    if row is None:
        return Brand(company_name=default_company_name())
    return Brand(**{**row, "company_name": row["company_name"] or default_company_name()})


def brand_logo(version: str) -> tuple[bytes, str] | None:
    """The logo's bytes and content type, if ``version`` is the current logo's."""
    row = (
        SenderBrand.objects.filter(pk=SenderBrand.SINGLETON_PK, logo_version=version)
        .exclude(logo_version="")
        .values_list("logo", "logo_content_type")
        .first()
    )
    if row is None:
        return None
    return bytes(row[0]), row[1]


def sender_brand_for_edit() -> SenderBrand | None:
    """The saved row with who changed it, without the logo's bytes (the admin page)."""
    return (
        SenderBrand.objects.select_related("updated_by")
        .defer("logo")
        .filter(pk=SenderBrand.SINGLETON_PK)
        .first()
    )
