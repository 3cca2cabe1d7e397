"""Base classes every ``/api/v1/`` viewset builds on."""

import datetime as dt

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, viewsets
from rest_framework.views import exception_handler

from carecrm.core.scoping import visible_to


class ScopedViewSetMixin:
    """Limits ``get_queryset`` to the requesting user's scope. Subclasses override
    ``get_base_queryset`` (not ``get_queryset``) to add select_related or annotations."""

    def get_base_queryset(self):
        return super().get_queryset()

    def get_queryset(self):
        return visible_to(self.request.user, self.get_base_queryset())


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class ScopedReadOnlyModelViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


# The largest id a database column holds (PostgreSQL bigint, SQLite INTEGER).
MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """An object's id in a query string: a whole number from 1 to ``MAX_ID``, anything
    else a 400 naming the parameter (a bare ``NumberFilter`` takes ``1e30`` and fails
    in the database)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class _UtcIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return value
        try:
            return value.astimezone(dt.UTC)
        except OverflowError as exc:  # 0001-01-01T00:00+05:00 is before year 1 in UTC
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date and time in a query string, compared in UTC: any offset Python
    reads works (PostgreSQL refuses offsets beyond ±15:59 with a 500 otherwise)."""

    field_class = _UtcIsoDateTimeField


def drf_validation_error(error: DjangoValidationError) -> exceptions.ValidationError:
    """A service's ``ValidationError`` as the 400 every ``/api/v1/`` endpoint answers:
    ``{"field": ["message", ...]}``, with what concerns the request as a whole (a plain
    message, or ``__all__``) under ``non_field_errors``."""
    if hasattr(error, "error_dict"):
        detail = {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    else:
        detail = {"non_field_errors": error.messages}
    return exceptions.ValidationError(detail)


def api_exception_handler(exc, context):
    """DRF's ``EXCEPTION_HANDLER``: a service-layer refusal that reaches the view (Django's
    ``ValidationError``, ``PermissionDenied``) is a clear 400 or 403 in JSON, never a 500,
    in the same shape on every endpoint."""
    if isinstance(exc, DjangoValidationError):
        exc = drf_validation_error(exc)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return exception_handler(exc, context)
