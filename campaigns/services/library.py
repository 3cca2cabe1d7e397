"""Writing the shared content library and the company's own days."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from campaigns.content import clean_content
from campaigns.models import CompanyDay, CompanyDayKind, ContentTemplate
from carecrm.core.scoping import visible_to


def _check_department(user, department) -> None:
    if not user.is_admin_role and (department is None or department.pk != user.department_id):
        raise PermissionDenied(_("You can only file this under your own department."))


@transaction.atomic
def content_template_save(*, user, template: ContentTemplate, fields: dict) -> ContentTemplate:
    """Create or change a library template (email HTML is sanitised like campaign content)."""
    if (
        template.pk
        and not visible_to(user, ContentTemplate.objects.filter(pk=template.pk)).exists()
    ):
        raise PermissionDenied(_("This template belongs to another department."))
    for name, value in fields.items():
        setattr(template, name, value)
    _check_department(user, template.department)
    cleaned = clean_content(
        channel=template.channel,
        subject=template.subject,
        body=template.body,
        html_body=template.html_body,
    )
    for name, value in cleaned.items():
        setattr(template, name, value)
    if not template.pk:
        template.created_by = user
    template.full_clean()
    template.save()
    return template


@transaction.atomic
def content_template_delete(*, user, template: ContentTemplate) -> None:
    if not visible_to(user, ContentTemplate.objects.filter(pk=template.pk)).exists():
        raise PermissionDenied(_("This template belongs to another department."))
    template.delete()


@transaction.atomic
def company_day_save(*, user, day: CompanyDay, fields: dict) -> CompanyDay:
    """A company-defined day; an anniversary belongs to its customer's department."""
    for name, value in fields.items():
        setattr(day, name, value)
    if day.kind == CompanyDayKind.CUSTOMER_ANNIVERSARY and day.customer_id:
        day.department_id = day.customer.department_id
    else:
        day.customer = None
        _check_department(user, day.department)
    if not day.pk:
        day.created_by = user
    day.full_clean()
    day.save()
    return day


@transaction.atomic
def company_day_delete(*, user, day: CompanyDay) -> None:
    if not visible_to(user, CompanyDay.objects.filter(pk=day.pk)).exists():
        raise PermissionDenied(_("This day belongs to another department."))
    try:
        day.delete()
    except ProtectedError as exc:
        raise ValidationError(_("A campaign uses this day; change the campaign first.")) from exc
