"""The OpenAPI schema of ``/api/v1/`` (drf-spectacular), made to say what the API really
answers. ``ApiAutoSchema`` (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``) adds to every
operation the errors it can return, with their bodies:

- 400 ``ValidationError`` where a request body, filters or paging are read: an object
  naming each field (``non_field_errors`` for the request as a whole) with a list of
  messages, nested the same way for nested objects and lists; or ``ErrorDetail`` for a
  body that cannot be parsed at all;
- 403 ``ErrorDetail`` wherever a sign-in or a permission is needed (not signed in, a token
  that is unknown or expired, a role or department that may not do it — the session
  authenticator comes first, so DRF answers 403 rather than 401);
- 404 ``ErrorDetail`` for an ``{id}`` outside the caller's scope and a page or cursor
  that does not exist;
- 413 ``ErrorDetail`` where a body is read, for one over the upload limit
  (``carecrm.core.uploads``), and 415 for a Content-Type it does not take;
- 429 ``ErrorDetail`` with ``Retry-After`` wherever a throttle applies.

It also keeps the schema true to DRF's output where drf-spectacular's defaults are not:
a read-only choice field of a model field that may be blank documents ``""``, and a time
is ``HH:MM[:SS[.ffffff]]`` (JSON Schema's ``time`` format requires a UTC offset, which
DRF does not write).
"""

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.permissions import AllowAny

ERROR_DETAIL = "ErrorDetail"
VALIDATION_ERROR = "ValidationError"
TIME_PATTERN = r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"

_COMPONENTS = {
    ERROR_DETAIL: {
        "type": "object",
        "description": "Why the request was refused, in the user's language.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
        "example": {"detail": "No CareCampaign matches the given query."},
    },
    VALIDATION_ERROR: {
        "type": "object",
        "description": (
            "What is wrong with the request, by field: each field name "
            "(``non_field_errors`` for the request as a whole) maps to a list of "
            "messages; a nested object maps to the same shape, a list of objects to a "
            "list of such shapes (an empty one for an item without errors)."
        ),
        "additionalProperties": {
            "oneOf": [
                {
                    "type": "array",
                    "items": {
                        "oneOf": [
                            {"type": "string"},
                            {"$ref": f"#/components/schemas/{VALIDATION_ERROR}"},
                        ]
                    },
                },
                {"$ref": f"#/components/schemas/{VALIDATION_ERROR}"},
            ]
        },
        "example": {"mobile": ["Enter a valid mobile number."]},
    },
}
_DESCRIPTIONS = {
    "400": "The request is not valid: the messages say what to change.",
    "403": (
        "Not signed in, an unknown or expired token, or a role or department that may not do this."
    ),
    "404": "No such object within the caller's scope, or no such page.",
    "413": "The body is larger than the upload limit (REQUEST_MAX_BYTES).",
    "415": "The body's Content-Type is not one this operation reads (see its requestBody).",
    "429": "Too many requests: retry after the number of seconds in Retry-After.",
}
_WRITE_METHODS = ("POST", "PUT", "PATCH")


class ApiAutoSchema(AutoSchema):
    def _component(self, name: str) -> dict:
        component = ResolvedComponent(
            name=name,
            type=ResolvedComponent.SCHEMA,
            schema=_COMPONENTS[name],
            object=name,
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _error_codes(self) -> dict[str, str]:
        codes = {}
        paginated = self._is_list_view() and self._get_paginator() is not None
        filtered = self._is_list_view() and bool(self.get_filter_backends())
        if self.method in _WRITE_METHODS or paginated or filtered:
            codes["400"] = VALIDATION_ERROR
        permissions = self.view.get_permissions()
        if not all(isinstance(permission, AllowAny) for permission in permissions):
            codes["403"] = ERROR_DETAIL
        if "{" in self.path or paginated:
            codes["404"] = ERROR_DETAIL
        if self.method in _WRITE_METHODS:
            codes["413"] = ERROR_DETAIL
            codes["415"] = ERROR_DETAIL
        if self.view.get_throttles():
            codes["429"] = ERROR_DETAIL
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, name in self._error_codes().items():
            if code in responses:
                continue
            schema = self._component(name)
            if code == "400":
                # A body that cannot be parsed (not JSON, not the declared content type)
                # is refused before any field is read: {"detail": "JSON parse error …"}.
                schema = {"oneOf": [schema, self._component(ERROR_DETAIL)]}
            response = {
                "description": _DESCRIPTIONS[code],
                "content": {"application/json": {"schema": schema}},
            }
            if code == "429":
                response["headers"] = {
                    "Retry-After": {
                        "schema": {"type": "integer"},
                        "description": "Seconds to wait before the next request.",
                    }
                }
            responses[code] = response
        return responses

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if isinstance(field, serializers.ChoiceField) and field.read_only:
            model_field = _model_field(field)
            if model_field is not None:
                field.allow_blank = field.allow_blank or model_field.blank
                field.allow_null = field.allow_null or model_field.null
        if isinstance(field, serializers.TimeField):
            schema = {"type": "string", "pattern": TIME_PATTERN, "example": "09:30:00"}
            if field.allow_null:
                schema["nullable"] = True
            if field.read_only:
                schema["readOnly"] = True
            return schema
        return super()._map_serializer_field(field, direction, bypass_extensions)


def _model_field(field):
    """The model field a ModelSerializer field stands for, if any."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or "." in field.source:
        return None
    try:
        return model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return None
