"""Masking of personal data (PIPL art. 51) for users without ``view_customer_pii``.

Every page, API response and export that shows a phone number or an address goes through
these functions, so the rule lives in one place.
"""

import re

PII_PERMISSION = "customers.view_customer_pii"

# What a free text (a provider's error, say) may hold of someone's contact details: an
# address, or a phone number of 7 to 15 digits, written with spaces or dashes or not.
EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_IN_TEXT = re.compile(r"(?<![\w.:+-])\+?\d(?:[ -]?\d){6,14}+(?!\w|[.:]\d)")


def can_see_pii(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(PII_PERMISSION))


def mask_phone(phone: str) -> str:
    """+8613812345678 → 138****5678 (national digits, middle four hidden)."""
    if not phone:
        return ""
    digits = phone[3:] if phone.startswith("+86") else phone.lstrip("+")
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_email(email: str) -> str:
    """zhang.wei@example.cn → z***@example.cn."""
    if not email or "@" not in email:
        return email
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"


def mask_contacts_in_text(text: str) -> str:
    """Every email address and phone number inside a free text masked as above, e.g.
    "550 5.1.1 <zhang.wei@example.cn>: rejected" → "550 5.1.1 <z***@example.cn>: rejected"."""
    if not text:
        return text
    text = EMAIL_IN_TEXT.sub(lambda match: mask_email(match.group()), text)
    return PHONE_IN_TEXT.sub(lambda match: mask_phone(re.sub(r"[ -]", "", match.group())), text)


def text_for(user, text: str) -> str:
    """A free text as ``user`` may see it: intact with the PII permission (auditors need
    the provider's exact words), contacts masked without."""
    return text if can_see_pii(user) else mask_contacts_in_text(text)


def mask_street(street: str) -> str:
    """Keep province/city/district (needed for regional work), hide the street address."""
    return "****" if street else ""


def display_phone(phone: str) -> str:
    """+8613812345678 → 138 1234 5678; other countries stay in E.164."""
    if phone.startswith("+86") and len(phone) == 14:
        national = phone[3:]
        return f"{national[:3]} {national[3:7]} {national[7:]}"
    return phone


def customer_contact_view(customer, user) -> dict:
    """The contact fields of one customer as this user may see them."""
    if can_see_pii(user):
        return {
            "mobile": display_phone(customer.mobile),
            "email": customer.email,
            "street": customer.street,
            "masked": False,
        }
    return {
        "mobile": mask_phone(customer.mobile),
        "email": mask_email(customer.email),
        "street": mask_street(customer.street),
        "masked": True,
    }
