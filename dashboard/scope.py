"""Whose figures a dashboard or report shows.

Staff see their department and the customers they manage, managers their department,
admins everything or one department they pick: within the rule of every list
(:mod:`carecrm.core.scoping`), so a figure never counts a customer its reader could not
open. A department picked by anyone but an admin is ignored rather than trusted.

A manager's figures are their department's only — not also the odd record they own in
another department, which the lists show them — so every manager of a department reads
the same figures and shares one cached copy (:attr:`DashboardScope.cache_key`).
"""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from carecrm.accounts.models import Department
from carecrm.core.scoping import visible_to
from customers.models import Customer, CustomerStatus

MAX_ID = 2**63 - 1


def department_by_id(value: str | int | None) -> Department | None:
    """The department whose id ``value`` spells, or None for anything else."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    if not 1 <= pk <= MAX_ID:
        return None
    return Department.objects.filter(pk=pk).first()


@dataclass(frozen=True)
class DashboardScope:
    user: object
    department: Department | None = None

    @classmethod
    def for_user(cls, user, department_id: str | int | None = None) -> "DashboardScope":
        if not user.is_admin_role or not department_id:
            return cls(user)
        department = department_by_id(department_id)
        return cls(user, department) if department is not None else cls(user)

    @property
    def label(self) -> str:
        if self.department is not None:
            return self.department.name
        if self.user.is_admin_role:
            return _("All departments")
        if self.user.is_manager_role:
            return self.user.department.name if self.user.department_id else _("No department")
        return _("My department and my customers")

    @property
    def department_id(self) -> int | None:
        """The one department every figure is cut to (None: admins' all, or staff)."""
        if self.department is not None:
            return self.department.pk
        if self.user.is_manager_role:
            return self.user.department_id
        return None

    @property
    def cache_key(self) -> str:
        """Two users with this key see exactly the same rows."""
        if self.user.is_admin_role:
            return f"d{self.department.pk}" if self.department else "all"
        if self.user.is_manager_role and self.user.department_id:
            return f"d{self.user.department_id}"
        return f"d{self.user.department_id}-u{self.user.pk}"

    def restrict(self, queryset: QuerySet) -> QuerySet:
        """``queryset`` (of any model with a ``SCOPE`` rule) cut to this scope."""
        queryset = visible_to(self.user, queryset)
        if self.department_id is not None:
            queryset = queryset.filter(**{queryset.model.SCOPE.department: self.department_id})
        return queryset

    def customers(self) -> QuerySet:
        """Live customers in scope: merged and anonymised records are not customers."""
        return self.restrict(Customer.objects.filter(status=CustomerStatus.ACTIVE))

    def list_query(self) -> dict[str, str]:
        """Filter parameters that make a list page show this scope (admins' department)."""
        return {"department": str(self.department.pk)} if self.department else {}
