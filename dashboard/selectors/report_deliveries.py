"""Who receives the monthly care report, for which scope and in which language, and
which deliveries are still owed."""

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from carecrm.accounts.models import Role, User
from carecrm.core.scoping import visible_to
from dashboard.models import DeliveryStatus, ReportDelivery
from dashboard.scope import DashboardScope

# A daily run tries a failed email again up to this many times; after that it stays
# "failed" on the reports page until someone sends it again.
MAX_ATTEMPTS = 7
DUE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


def _in_group(name: str) -> Exists:
    return Exists(User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=name))


def report_recipients() -> QuerySet:
    """Active users with an email address who are administrators (every department's
    report) or managers of a department (their department's); annotated ``admin``."""
    admins = Q(is_superuser=True) | Q(in_admin_group=True)
    managers = Q(in_manager_group=True, department__isnull=False)
    return (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .annotate(in_admin_group=_in_group(Role.ADMIN), in_manager_group=_in_group(Role.MANAGER))
        .filter(admins | managers)
        .order_by("pk")
    )


def recipient_scope(user: User) -> DashboardScope | None:
    """The scope of the report ``user`` receives now — all departments for an admin,
    their department for a manager — or None when they receive none (inactive, no
    email address, no longer a manager, a manager without a department)."""
    if not user.is_active or not user.email:
        return None
    if user.is_admin_role:
        return DashboardScope(user)
    if user.is_manager_role and user.department_id:
        return DashboardScope(user)
    return None


def report_language(user: User) -> str:
    """The language of ``user``'s emailed report. Users have no language preference of
    their own (``carecrm.accounts.User``), so it is the installation's language; the
    one place to change when they get one."""
    return settings.LANGUAGE_CODE


def deliveries_due() -> QuerySet:
    """Deliveries not yet sent that a run should try (oldest first)."""
    return ReportDelivery.objects.filter(
        status__in=DUE_STATUSES, attempts__lt=MAX_ATTEMPTS
    ).order_by("pk")


def visible_deliveries(user) -> QuerySet:
    """The deliveries ``user`` may see: a manager their department's and their own,
    an admin all of them."""
    return visible_to(
        user, ReportDelivery.objects.select_related("recipient", "department")
    ).order_by("-period_start", "-pk")
