"""Keyset pages for API lists that grow with the business (messages, segment members).

The answer keeps the shape of DRF's page-number pages — ``count``, ``next``,
``previous``, ``results`` — so a client that follows ``next`` works unchanged; but
``next``/``previous`` carry a cursor (``?cursor=`` forwards, ``?before=`` backwards)
instead of a page number, and ``count`` comes from ``carecrm.core.counts`` (exact for a
short list, else an estimate; ``count_exact`` says which) instead of ``COUNT(*)`` over
millions of rows. ``?page=N`` still works for old clients, without a count of its own,
at OFFSET's cost. An unreadable cursor answers 404 ``Invalid cursor`` (as DRF's own
cursor pages do), never silently page 1, so a client cannot loop.

A viewset names its sorts in ``keyset_sorts`` (``ordering`` parameter name → ``SortKey``)
and its default in ``keyset_default`` (``-created_at``).
"""

from django.core.paginator import InvalidPage
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

from carecrm.core.counts import first_page_with_count, list_count
from carecrm.core.keyset import InvalidCursor, SortKey, keyset_paginate


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    before_query_param = "before"
    page_query_param = "page"
    invalid_cursor_message = _("Invalid cursor")

    def __init__(
        self,
        *,
        sorts: dict[str, SortKey] | None = None,
        default: str | None = None,
    ):
        """``sorts``/``default`` for a list that is not its viewset's own (an action's)."""
        self.sorts, self.default = sorts, default

    def _sort(self, request, view) -> tuple[SortKey, bool]:
        sorts: dict[str, SortKey] = self.sorts or view.keyset_sorts
        default = self.default or view.keyset_default
        wanted = (request.query_params.get("ordering") or "").split(",")[0].strip()
        if wanted.removeprefix("-") not in sorts:
            wanted = default
        return sorts[wanted.removeprefix("-")], wanted.startswith("-")

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.size = api_settings.PAGE_SIZE
        params = request.query_params
        after = params.get(self.cursor_query_param) or None
        before = params.get(self.before_query_param) or None
        self.legacy_page = None
        if not (after or before) and params.get(self.page_query_param):
            return self._legacy_page(queryset, params[self.page_query_param])
        key, descending = self._sort(request, view)
        if not (after or before):
            self.page, self.count = first_page_with_count(
                queryset, key=key, descending=descending, size=self.size
            )
            return self.page.rows
        try:
            self.page = keyset_paginate(
                queryset, key=key, descending=descending, size=self.size, after=after, before=before
            )
        except InvalidCursor as exc:
            raise NotFound(self.invalid_cursor_message) from exc
        self.count = list_count(
            queryset,
            page=self.page,
            first_page=not self.page.has_previous,
        )
        return self.page.rows

    def _legacy_page(self, queryset, value: str):
        """``?page=N`` of the page-number pages this replaced: OFFSET, no count."""
        try:
            number = int(value)
            if number < 1:
                raise InvalidPage
        except (ValueError, InvalidPage) as exc:
            raise NotFound(_("Invalid page.")) from exc
        start = (number - 1) * self.size
        rows = list(queryset[start : start + self.size + 1])
        if not rows and number > 1:
            raise NotFound(_("Invalid page."))
        self.legacy_page = (number, len(rows) > self.size)
        return rows[: self.size]

    def get_paginated_response(self, data):
        url = self.request.build_absolute_uri()
        for name in (self.cursor_query_param, self.before_query_param, self.page_query_param):
            url = remove_query_param(url, name)
        if self.legacy_page is not None:
            number, has_next = self.legacy_page
            page_url = lambda n: replace_query_param(url, self.page_query_param, n)  # noqa: E731
            return Response(
                {
                    "count": None,
                    "count_exact": False,
                    "next": page_url(number + 1) if has_next else None,
                    "previous": page_url(number - 1) if number > 1 else None,
                    "results": data,
                }
            )
        page = self.page
        return Response(
            {
                "count": self.count.value,
                "count_exact": self.count.exact,
                "next": replace_query_param(url, self.cursor_query_param, page.next_cursor)
                if page.has_next
                else None,
                "previous": replace_query_param(url, self.before_query_param, page.previous_cursor)
                if page.has_previous
                else None,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "count_exact", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "nullable": True,
                    "description": "How many rows match: exact when count_exact, else an "
                    "estimate; null on a ?page=N page.",
                },
                "count_exact": {"type": "boolean"},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        def param(name: str, description: str, schema_type: str = "string") -> dict:
            return {
                "name": name,
                "required": False,
                "in": "query",
                "description": description,
                "schema": {"type": schema_type},
            }

        return [
            param(self.cursor_query_param, "The page after this cursor (from `next`)."),
            param(self.before_query_param, "The page before this cursor (from `previous`)."),
            param(
                self.page_query_param,
                "Deprecated: a page number (OFFSET, no count). Follow `next` instead.",
                "integer",
            ),
        ]
