"""Refusing an oversized request body by its declared length, before anything reads it."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _


class RequestSizeLimitMiddleware:
    """Answer 413 to a request whose ``Content-Length`` is over ``REQUEST_MAX_BYTES``.

    It sits before ``CsrfViewMiddleware`` because that middleware reads ``request.POST``,
    which makes Django stream the whole upload to a temporary file first. A proxy in front
    should enforce the same limit so the bytes never reach gunicorn at all."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.REQUEST_MAX_BYTES:
            message = _("The upload is larger than %(size)d MB; split it into several files.")
            message %= {"size": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
            if request.path.startswith("/api/"):  # programs read JSON, as DRF's errors
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(
                message,
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
