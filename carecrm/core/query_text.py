"""Query-string text as the filters may use it: no NUL or other control characters.

PostgreSQL refuses NUL in text, so ``?q=%00`` on any list became a server error; other
C0 characters are never typed into a search box. ``QueryTextMiddleware`` cleans every
GET parameter once, before any view, filter set or DRF viewset reads it, so a new list
is covered without doing anything.
"""

import re

from django.http import HttpRequest, QueryDict

# Tab, line feed, vertical tab, form feed, carriage return: pasted whitespace, kept as a space.
_WHITESPACE_CONTROLS = re.compile(r"[\t\n\v\f\r]")
_OTHER_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def clean_query_text(value: str) -> str:
    """``value`` without control characters (C0 and DEL); control whitespace becomes a space."""
    return _OTHER_CONTROLS.sub("", _WHITESPACE_CONTROLS.sub(" ", value))


def clean_query_dict(params: QueryDict) -> QueryDict:
    """A copy of ``params`` with every key and value cleaned (``params`` itself if clean)."""
    if not any(
        _OTHER_CONTROLS.search(text) or _WHITESPACE_CONTROLS.search(text)
        for key, values in params.lists()
        for text in (key, *values)
    ):
        return params
    cleaned = QueryDict(mutable=True, encoding=params.encoding)
    for key, values in params.lists():
        for value in values:
            cleaned.appendlist(clean_query_text(key), clean_query_text(value))
    cleaned._mutable = False
    return cleaned


class QueryTextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        request.GET = clean_query_dict(request.GET)
        return self.get_response(request)
