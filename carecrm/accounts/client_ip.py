"""The address a request really came from, for the login lockout (django-axes calls it,
``AXES_CLIENT_IP_CALLABLE``). Behind a reverse proxy ``REMOTE_ADDR`` is the proxy, and one
client's failures would lock everybody out."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """``REMOTE_ADDR``; behind ``TRUSTED_PROXY_COUNT`` proxies, the address the outermost of
    them saw (each proxy appends the address that connected to it to X-Forwarded-For, so
    entries further left are whatever the client chose to send and are never trusted)."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote
    return candidate
