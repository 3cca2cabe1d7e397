"""Changing the sender brand: one row, every change audited."""

import hashlib

from django.db import transaction

from carecrm.core.audit import audit_record
from carecrm.core.branding.validation import logo_content_type, sms_signature_clean
from carecrm.core.models import AuditAction, SenderBrand

_AUDITED = ("company_name", "sms_signature", "contact_line", "logo_version")


def sender_brand_update(
    *,
    company_name: str,
    sms_signature: str,
    contact_line: str = "",
    logo: bytes | None = None,
    remove_logo: bool = False,
    user,
    request=None,
) -> SenderBrand:
    """Save the brand. ``logo`` replaces the picture, ``remove_logo`` drops it; neither
    keeps the current one. Raises ``ValidationError`` for a bad signature or logo."""
    signature = sms_signature_clean(sms_signature)
    content_type = logo_content_type(logo) if logo is not None else ""
    with transaction.atomic():
        brand, _created = SenderBrand.objects.select_for_update().get_or_create(
            pk=SenderBrand.SINGLETON_PK, defaults={"company_name": company_name.strip()}
        )
        before = {name: getattr(brand, name) for name in _AUDITED}
        brand.company_name = company_name.strip()
        brand.sms_signature = signature
        brand.contact_line = contact_line.strip()
        if logo is not None:
            brand.logo = logo
            brand.logo_content_type = content_type
            brand.logo_version = hashlib.sha256(logo).hexdigest()[:16]
        elif remove_logo:
            brand.logo, brand.logo_content_type, brand.logo_version = b"", "", ""
        brand.updated_by = user if getattr(user, "pk", None) else None
        brand.save()
        changed = {
            name: [before[name], getattr(brand, name)]
            for name in _AUDITED
            if before[name] != getattr(brand, name) or _created
        }
        audit_record(
            actor=user, action=AuditAction.CHANGE, obj=brand, detail=changed, request=request
        )
    return brand
