"""Keeping customer records: the profile, consent per channel and the contact persons of
company customers (care programme §1). Interactions are in ``services.interactions``, orders
and buying intent in ``services.orders``.

Every write goes through these functions — pages, the API and other apps alike — so the
contact rules (E.164 mobiles, one active customer per mobile, lunar birthdays) and the
audit trail live in one place. Derived figures (spend, tiers, scores) are never written
here: segmentation fills them in bulk.
"""

import datetime as dt
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from lunardate import LunarDate

from carecrm.accounts.models import Department, User
from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from carecrm.core.scoping import department_choices_for
from carecrm.header_text import refuse_control_characters
from carecrm.phone import normalise_mobile
from carecrm.regions import normalise_city, normalise_province
from customers.models import (
    Channel,
    ChannelConsent,
    ConsentMethod,
    ContactPerson,
    Customer,
    CustomerKind,
    CustomerStatus,
    Tag,
)

# The profile fields people keep by hand. Everything else on Customer is either derived by
# segmentation or kept by a dedicated workflow (merge, anonymisation, verification).
EDITABLE_FIELDS: tuple[str, ...] = (
    "name",
    "kind",
    "mobile",
    "email",
    "province",
    "city",
    "district",
    "street",
    "birthday",
    "celebrates_lunar_birthday",
    "lunar_birth_month",
    "lunar_birth_day",
    "lunar_birth_leap_month",
    "gender",
    "registered_on",
    "source",
    "industry",
    "region",
    "preferred_categories",
    "preferred_channel",
    "wecom_external_id",
    "push_token",
    "department",
    "relationship_manager",
    "notes",
)
LUNAR_FIELDS = ("lunar_birth_month", "lunar_birth_day", "lunar_birth_leap_month")
DUPLICATE_MOBILE_MESSAGE = _("Another customer already has this mobile phone.")
EARLIEST_BIRTHDAY = dt.date(1900, 1, 31)  # the lunardate tables start on this day
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


# --- contact details ------------------------------------------------------------------


def normalise_email(value: str) -> str:
    """Trimmed and lower-cased, so the same address is always spelled the same way; no
    control characters (the address goes into an email header)."""
    value = (value or "").strip().lower()
    if value:
        refuse_control_characters(value)
        validate_email(value)
    return value


def lunar_birthday_for(birthday: dt.date) -> tuple[int, int, bool]:
    """(month, day, leap month) of the Chinese calendar date a solar birthday falls on."""
    lunar = LunarDate.from_solar_date(birthday.year, birthday.month, birthday.day)
    return lunar.month, lunar.day, bool(lunar.is_leap_month)


# --- customers ------------------------------------------------------------------------


def ensure_active(customer: Customer) -> None:
    """Merged and anonymised records take no new data: it belongs to the surviving record
    (merged) or must not be tied to a person again (anonymised)."""
    if customer.status == CustomerStatus.MERGED:
        raise ValidationError(
            _("This customer was merged into another record; add it to that record instead."),
            code="inactive_customer",
        )
    if customer.status != CustomerStatus.ACTIVE:
        raise ValidationError(
            _("This customer was %(status)s and can no longer be changed.")
            % {"status": customer.get_status_display().lower()},
            code="inactive_customer",
        )


def department_allowed(*, user: User, department: Department) -> bool:
    return department_choices_for(user, Department.objects.all()).filter(pk=department.pk).exists()


def manager_allowed(*, user: User, manager: User, department: Department) -> bool:
    """Staff and managers assign relationship managers of the customer's department only;
    admins may assign anyone who can log in."""
    if not manager.is_active:
        return False
    return user.is_admin_role or manager.department_id == department.pk


def _validate_dates(customer: Customer) -> dict[str, list]:
    errors: dict[str, list] = {}
    today = timezone.localdate()
    if customer.birthday:
        if customer.birthday > today:
            errors.setdefault("birthday", []).append(_("The birthday cannot be in the future."))
        elif customer.birthday < EARLIEST_BIRTHDAY:
            errors.setdefault("birthday", []).append(
                _("The birthday must be after %(date)s.") % {"date": EARLIEST_BIRTHDAY}
            )
    if customer.registered_on and customer.registered_on > today:
        errors.setdefault("registered_on", []).append(
            _("The registration date cannot be in the future.")
        )
    return errors


def _apply_lunar_birthday(customer: Customer, *, recompute: bool) -> dict[str, list]:
    """Fill the lunar month/day from the solar birthday when the customer celebrates the
    lunar one and no lunar date was given (or the solar birthday changed)."""
    if not customer.celebrates_lunar_birthday:
        return {}
    given = customer.lunar_birth_month and customer.lunar_birth_day
    if customer.birthday and (recompute or not given):
        month, day, leap = lunar_birthday_for(customer.birthday)
        customer.lunar_birth_month = month
        customer.lunar_birth_day = day
        customer.lunar_birth_leap_month = leap
        return {}
    if not given:
        return {
            "lunar_birth_month": [
                _("Give the solar birthday or the lunar month and day of the birthday.")
            ]
        }
    errors: dict[str, list] = {}
    if not 1 <= customer.lunar_birth_month <= 12:
        errors["lunar_birth_month"] = [_("A lunar month is between 1 and 12.")]
    if not 1 <= customer.lunar_birth_day <= 30:
        errors["lunar_birth_day"] = [_("A lunar day is between 1 and 30.")]
    return errors


def _mobile_taken(customer: Customer) -> bool:
    """Unscoped on purpose: the constraint spans all departments. Callers report it with a
    message that names no record, so nothing outside the user's scope is revealed."""
    if not customer.mobile:
        return False
    return (
        Customer.objects.filter(status=CustomerStatus.ACTIVE, mobile=customer.mobile)
        .exclude(pk=customer.pk)
        .exists()
    )


def _validate_and_normalise(
    customer: Customer, *, user: User, changed: set[str], recompute_lunar: bool
) -> None:
    errors: dict[str, list] = {}
    for field, normalise in (("mobile", normalise_mobile), ("email", normalise_email)):
        try:
            setattr(customer, field, normalise(getattr(customer, field)))
        except ValidationError as exc:
            errors[field] = exc.messages
    customer.province = normalise_province(customer.province)
    customer.city = normalise_city(customer.city)
    customer.name = (customer.name or "").strip()
    if not customer.name:
        errors["name"] = [_("Enter the customer's name.")]
    try:
        refuse_control_characters(customer.name)  # the name goes into email subjects
    except ValidationError as exc:
        errors["name"] = exc.messages
    if (
        not errors.get("mobile")
        and not errors.get("email")
        and not (customer.mobile or customer.email)
    ):
        errors.setdefault("mobile", []).append(
            _("Give at least one contact: a mobile phone or an email address.")
        )
    if "department" in changed and not department_allowed(
        user=user, department=customer.department
    ):
        errors["department"] = [_("You can only file customers in your own department.")]
    manager = customer.relationship_manager
    if (
        manager is not None
        and ("relationship_manager" in changed or "department" in changed)
        and not manager_allowed(user=user, manager=manager, department=customer.department)
    ):
        errors["relationship_manager"] = [
            _("Choose an active relationship manager of the customer's department.")
        ]
    errors.update(_validate_dates(customer))
    if not errors.get("birthday"):
        errors.update(_apply_lunar_birthday(customer, recompute=recompute_lunar))
    if not errors.get("mobile") and _mobile_taken(customer):
        errors["mobile"] = [DUPLICATE_MOBILE_MESSAGE]
    if errors:
        raise ValidationError(errors)
    customer.refresh_derived_contact_fields()


def _save_customer(customer: Customer) -> None:
    """Save, turning a lost race on the unique active mobile into the same form error."""
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as exc:
        if customer.mobile and _mobile_taken(customer):
            raise ValidationError({"mobile": [DUPLICATE_MOBILE_MESSAGE]}) from exc
        raise


def _tag_objects(names: Iterable[str]) -> list[Tag]:
    cleaned = []
    for name in names:
        name = name.strip()[:50]
        if name and name not in cleaned:
            cleaned.append(name)
    return [Tag.objects.get_or_create(name=name)[0] for name in cleaned]


def _is_given(value) -> bool:
    return value is not None and value is not False and value not in ("", [])


def _check_fields(data: Mapping) -> None:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable by hand: {', '.join(sorted(unknown))}")


@transaction.atomic
def customer_create(
    *,
    user: User,
    data: Mapping,
    tags: Iterable[str] | None = None,
    request=None,
) -> Customer:
    """Create a customer from the editable fields in ``data`` (see ``EDITABLE_FIELDS``).

    Raises ``ValidationError`` (keyed by field) for bad contacts, dates, a department or
    relationship manager the user may not choose, or a mobile another customer has.
    """
    _check_fields(data)
    customer = Customer(created_by=user if user.pk else None)
    for field, value in data.items():
        setattr(customer, field, value)
    if customer.department_id is None:
        if user.department_id is None:
            raise ValidationError({"department": [_("Choose a department.")]})
        customer.department_id = user.department_id
    _validate_and_normalise(
        customer, user=user, changed=set(data) | {"department"}, recompute_lunar=False
    )
    _save_customer(customer)
    if tags is not None:
        customer.tags.set(_tag_objects(tags))
    audit_record(
        actor=user,
        action=AuditAction.CREATE,
        customer_id=customer.pk,
        obj=customer,
        detail={"fields": sorted(field for field, value in data.items() if _is_given(value))},
        request=request,
    )
    return customer


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    user: User,
    data: Mapping,
    tags: Iterable[str] | None = None,
    request=None,
) -> list[str]:
    """Apply the editable fields in ``data``; returns the names of the fields that changed
    (also written to the audit trail — names only, never the personal values)."""
    _check_fields(data)
    ensure_active(customer)
    before = {field: getattr(customer, field) for field in EDITABLE_FIELDS}
    for field, value in data.items():
        setattr(customer, field, value)
    # Normalise first, so "138 1234 5678" over "+8613812345678" is no change.
    changed_raw = {field for field in data if getattr(customer, field) != before[field]}
    recompute_lunar = "birthday" in changed_raw and not (changed_raw & set(LUNAR_FIELDS))
    _validate_and_normalise(
        customer, user=user, changed=changed_raw, recompute_lunar=recompute_lunar
    )
    changed = [field for field in EDITABLE_FIELDS if getattr(customer, field) != before[field]]
    if tags is not None:
        new_tags = _tag_objects(tags)
        if {tag.pk for tag in new_tags} != set(customer.tags.values_list("pk", flat=True)):
            customer.tags.set(new_tags)
            changed.append("tags")
    if not changed:
        return []
    _save_customer(customer)
    audit_record(
        actor=user,
        action=AuditAction.CHANGE,
        customer_id=customer.pk,
        obj=customer,
        detail={"fields": changed},
        request=request,
    )
    return changed


# --- consent --------------------------------------------------------------------------


@transaction.atomic
def consent_set(
    *,
    customer: Customer,
    channel: Channel | str,
    granted: bool,
    method: ConsentMethod | str,
    user: User | None,
    note: str = "",
    at: dt.datetime | None = None,
    request=None,
) -> ChannelConsent:
    """Record a customer's decision for one channel (PIPL art. 13/15).

    The row holds the latest decision; every decision is also an audit entry, which is the
    consent history shown on the customer's timeline.
    """
    channel = Channel(channel)
    method = ConsentMethod(method)
    at = at or timezone.now()
    consent = (
        ChannelConsent.objects.select_for_update()
        .filter(customer=customer, channel=channel)
        .first()
    )
    previous = None if consent is None else consent.granted
    if consent is None:
        consent = ChannelConsent(customer=customer, channel=channel)
    consent.granted = granted
    consent.method = method
    consent.note = note.strip()[:200]
    consent.changed_at = at
    consent.recorded_by = user if user is not None and user.pk else None
    # A decision made here rests on itself, not on an imported file's basis.
    consent.basis, consent.basis_date, consent.basis_source = "", None, ""
    consent.save()
    audit_record(
        actor=user,
        action=AuditAction.CONSENT,
        customer_id=customer.pk,
        obj=consent,
        detail={
            "channel": channel.value,
            "granted": granted,
            "previous": previous,
            "method": method.value,
            "note": consent.note,
            "changed_at": at.isoformat(),
        },
        request=request,
    )
    return consent


# --- contact persons ------------------------------------------------------------------

CONTACT_PERSON_FIELDS = ("name", "title", "mobile", "email", "is_primary")


def _save_contact_person(person: ContactPerson) -> None:
    errors: dict[str, list] = {}
    person.name = (person.name or "").strip()
    if not person.name:
        errors["name"] = [_("Enter the contact person's name.")]
    for field, normalise in (("mobile", normalise_mobile), ("email", normalise_email)):
        try:
            setattr(person, field, normalise(getattr(person, field)))
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)
    if person.is_primary:
        ContactPerson.objects.filter(customer=person.customer, is_primary=True).exclude(
            pk=person.pk
        ).update(is_primary=False)
    person.save()


@transaction.atomic
def contact_person_add(
    *, customer: Customer, user: User, data: Mapping, request=None
) -> ContactPerson:
    """Add a contact person to a company customer; the first one becomes the primary."""
    ensure_active(customer)
    if customer.kind != CustomerKind.COMPANY:
        raise ValidationError(_("Only company customers have contact persons."))
    unknown = set(data) - set(CONTACT_PERSON_FIELDS)
    if unknown:
        raise TypeError(f"Not a contact person field: {', '.join(sorted(unknown))}")
    person = ContactPerson(customer=customer, **data)
    if not customer.contact_persons.exists():
        person.is_primary = True
    _save_contact_person(person)
    audit_record(
        actor=user,
        action=AuditAction.CREATE,
        customer_id=customer.pk,
        obj=person,
        detail={"fields": sorted(k for k, v in data.items() if _is_given(v))},
        request=request,
    )
    return person


@transaction.atomic
def contact_person_update(
    *, person: ContactPerson, user: User, data: Mapping, request=None
) -> list[str]:
    unknown = set(data) - set(CONTACT_PERSON_FIELDS)
    if unknown:
        raise TypeError(f"Not a contact person field: {', '.join(sorted(unknown))}")
    before = {field: getattr(person, field) for field in CONTACT_PERSON_FIELDS}
    for field, value in data.items():
        setattr(person, field, value)
    _save_contact_person(person)
    changed = [f for f in CONTACT_PERSON_FIELDS if getattr(person, f) != before[f]]
    if changed:
        audit_record(
            actor=user,
            action=AuditAction.CHANGE,
            customer_id=person.customer_id,
            obj=person,
            detail={"fields": changed},
            request=request,
        )
    return changed


@transaction.atomic
def contact_person_remove(*, person: ContactPerson, user: User, request=None) -> None:
    customer_id = person.customer_id
    audit_record(
        actor=user,
        action=AuditAction.CHANGE,
        customer_id=customer_id,
        obj=person,
        detail={"removed": "contact_person"},
        request=request,
    )
    was_primary = person.is_primary
    person.delete()
    if was_primary:
        successor = ContactPerson.objects.filter(customer_id=customer_id).order_by("pk").first()
        if successor is not None:
            successor.is_primary = True
            successor.save(update_fields=["is_primary"])
