"""API tokens that end: a token works for ``API_TOKEN_DAYS`` after it was issued, and
never after its user's password changed (a leaked token dies with the old password).
``POST /api/v1/auth/token/`` (``carecrm.accounts.api``) hands out a fresh token when the
old one can no longer be used, the same one otherwise."""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def token_problem(token: Token) -> str:
    """Why this token may not be used any more ("" if it may)."""
    if token.created < timezone.now() - dt.timedelta(days=settings.API_TOKEN_DAYS):
        return _("The API token has expired: ask for a new one at /api/v1/auth/token/.")
    changed = token.user.password_changed_at
    if changed is not None and token.created < changed:
        return _(
            "The API token was issued before the password was changed: ask for a new one "
            "at /api/v1/auth/token/."
        )
    return ""


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        problem = token_problem(token)
        if problem:
            raise exceptions.AuthenticationFailed(problem)
        return user, token
