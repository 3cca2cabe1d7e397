"""``POST /api/v1/auth/token/``: a user's API token, renewed once it can no longer be used
(expired, or issued before a password change)."""

import math

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response

from carecrm.accounts.tokens import token_problem

_TOKEN = inline_serializer("IssuedToken", {"token": serializers.CharField()})
_LOCKED = inline_serializer("LoginLockedOut", {"detail": serializers.CharField()})


def _lockout_response() -> Response:
    """The same lockout the login page applies (django-axes), said plainly: an integrator
    retrying with the right password must learn to wait, not that the password is wrong."""
    seconds = math.ceil(float(settings.AXES_COOLOFF_TIME) * 3600)
    minutes = math.ceil(seconds / 60)
    return Response(
        {
            "detail": _(
                "Too many failed logins for this user from this address: logging in is "
                "locked for %(minutes)d minutes."
            )
            % {"minutes": minutes}
        },
        status=status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(seconds)},
    )


class ObtainExpiringAuthToken(ObtainAuthToken):
    @extend_schema(
        responses={
            200: _TOKEN,
            429: OpenApiResponse(
                _LOCKED, description="Locked out after repeated failed logins; see Retry-After."
            ),
        }
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False):
                return _lockout_response()
            serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token = Token.objects.filter(user=user).select_related("user").first()
        if token is not None and token_problem(token):
            token.delete()
            token = None
        if token is None:
            token = Token.objects.create(user=user)
        return Response({"token": token.key})
