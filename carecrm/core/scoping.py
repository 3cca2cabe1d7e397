"""Row-level access: which records a user may see.

Care programme: staff see their department's customers and the ones they manage; managers
their department; admins everything. A model opts in by declaring ``SCOPE``; every view
and viewset reads through :func:`visible_to` (the API base class does it for you, and a
system check refuses an API viewset over a scoped model that bypasses it).
"""

from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet
from django.http import Http404


@dataclass(frozen=True)
class ScopeRule:
    """Lookup paths from a model to the department that owns a row and the user who
    manages it (``None`` if nobody personally manages such rows)."""

    department: str
    owner: str | None = None


def scope_filter(user, model: type[Model]) -> Q | None:
    """The filter limiting ``model`` to ``user``; ``None`` means unrestricted."""
    rule: ScopeRule = model.SCOPE
    if user.is_admin_role:
        return None
    query = Q(**{rule.department: user.department_id}) if user.department_id else Q(pk__in=[])
    if rule.owner:
        query |= Q(**{rule.owner: user.pk})
    return query


def visible_to(user, queryset: QuerySet) -> QuerySet:
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    query = scope_filter(user, queryset.model)
    return queryset if query is None else queryset.filter(query)


def get_visible_or_404(user, queryset: QuerySet, **lookup):
    """Like ``get_object_or_404`` but 404s for rows outside the user's scope, so a staff
    member cannot even learn that another department's record exists."""
    try:
        return visible_to(user, queryset).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404(str(queryset.model._meta.verbose_name)) from exc


def is_scoped(model: type[Model]) -> bool:
    return isinstance(getattr(model, "SCOPE", None), ScopeRule)


def department_choices_for(user, queryset: QuerySet) -> QuerySet:
    """Departments a user may file records under: admins any, others their own."""
    if user.is_admin_role:
        return queryset
    return queryset.filter(pk=user.department_id)
