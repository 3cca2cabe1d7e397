"""Views customers reach from a message (no login). Being written in the
'preferences' branch; these answer 404 until then."""

from django.http import Http404


def unsubscribe_view(request, token):
    raise Http404


def preferences_view(request, token):
    raise Http404


def open_pixel_view(request, token):
    raise Http404


def click_view(request, token, index):
    raise Http404


def short_link_view(request, token, index):
    raise Http404
