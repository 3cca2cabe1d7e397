"""Masking of personal data (PIPL art. 51) for users without ``view_customer_pii``.

Every page, API response and export that shows a phone number or an address goes through
these functions, so the rule lives in one place.
"""

PII_PERMISSION = "customers.view_customer_pii"


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
