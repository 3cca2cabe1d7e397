"""The customer list (search, filters, keyset pages, bulk actions, export) and static
lists."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecrm.core.forms import add_service_errors
from carecrm.core.scoping import get_visible_or_404
from carecrm.core.search_throttle import throttle_searches
from customers.filters import CustomerFilterSet
from customers.forms_list import (
    BulkAction,
    BulkActionForm,
    CustomerSelectionForm,
    ExportForm,
    ExportFormat,
    ListColumnsForm,
    SavedViewForm,
    SavedViewRenameForm,
    StaticListForm,
)
from customers.list_columns import columns_for
from customers.models import (
    Customer,
    CustomerStatus,
    LifecycleStage,
    RfmSegment,
    StaticList,
    ValueTier,
    VipLevel,
)
from customers.privacy import customer_contact_view
from customers.selectors import (
    CUSTOMER_PAGE_SIZES,
    CustomerSort,
    customer_count_estimate,
    customer_first_page,
    customer_list_page,
    list_columns_of,
    saved_view_for,
    saved_views_of,
    selected_customers,
    static_list_members,
    visible_customers,
    visible_static_lists,
)
from customers.services.bulk import (
    customer_assign_manager,
    customer_tags_add,
    customer_tags_remove,
    tag_for_name,
)
from customers.services.export import (
    XLSX_MAX_ROWS,
    customer_export_csv,
    customer_export_too_large_for_xlsx,
    customer_export_xlsx,
    export_quota_take,
)
from customers.services.list_views import (
    list_columns_remember,
    saved_view_create,
    saved_view_delete,
    saved_view_open,
    saved_view_rename,
    saved_view_set_default,
)
from customers.services.static_lists import (
    static_list_add_customers,
    static_list_create,
    static_list_delete,
    static_list_remove_customers,
    static_list_update,
)

RESULTS_TARGET = "customer-results"
# Each bulk dialog that loads its fields when it opens: the field with the choices first.
BULK_DIALOG_FIELDS = {
    "remove_tag": ["remove_tag"],
    "manager": ["manager"],
    "static_list": ["static_list", "new_list_name"],
}
DETAIL_URL_NAME = "customers:detail"
DEFAULT_PAGE_SIZE = 50
SORTABLE_COLUMNS = [
    ("name", gettext_lazy("Name")),
    ("total_spend", gettext_lazy("Total spend")),
    ("last_purchase", gettext_lazy("Last purchase")),
    ("registered", gettext_lazy("Registered")),
    ("id", gettext_lazy("ID")),
]


def _wants_results_only(request: HttpRequest) -> bool:
    """An htmx request for the results block (filters, sort, pages) — not a history
    restore, which needs the whole page."""
    return bool(
        request.htmx
        and request.htmx.target == RESULTS_TARGET
        and not request.htmx.history_restore_request
    )


def _page_size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("per_page", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return size if size in CUSTOMER_PAGE_SIZES else DEFAULT_PAGE_SIZE


def _sort_headers(sort: CustomerSort) -> dict[str, dict]:
    headers = {}
    for name, label in SORTABLE_COLUMNS:
        active = sort.name == name
        # A second click reverses; the first click sorts "big/new first" except for names.
        if active:
            next_param = name if sort.descending else f"-{name}"
        else:
            next_param = name if name == "name" else f"-{name}"
        headers[name] = {
            "label": label,
            "param": next_param,
            "active": active,
            "descending": sort.descending,
        }
    return headers


def _sort_options(sort: CustomerSort) -> list[dict]:
    options = []
    for name, label in SORTABLE_COLUMNS:
        for descending in (False, True) if name == "name" else (True, False):
            param = f"-{name}" if descending else name
            arrow = "↓" if descending else "↑"
            options.append(
                {"value": param, "label": f"{label} {arrow}", "selected": param == sort.param}
            )
    return options


def _style_filter_form(filterset: CustomerFilterSet) -> None:
    """Bootstrap classes for the sidebar (plain widgets: crispy costs ~10 ms a page here).
    Every field but the search box reloads the results on change; the search box does so
    as the user types (a change event on leaving it would redraw the table and lose the
    rows just ticked)."""
    for name, field in filterset.form.fields.items():
        is_select = isinstance(field.widget, forms.Select)
        css = "form-select form-select-sm" if is_select else "form-control form-control-sm"
        field.widget.attrs["class"] = css if name == "q" else f"{css} js-filter-field"
    for name in filterset.form.errors:
        if name in filterset.form.fields:
            filterset.form.fields[name].widget.attrs["class"] += " is-invalid"


def _table_rows(customers: list[Customer], user) -> list[dict]:
    """What each table row shows. Choice labels are looked up once per page: Django's
    ``get_FOO_display`` rebuilds and re-translates the choices on every call."""
    labels = {
        "vip": {value: str(label) for value, label in VipLevel.choices},
        "tier": {value: str(label) for value, label in ValueTier.choices},
        "lifecycle": {value: str(label) for value, label in LifecycleStage.choices},
        "status": {value: str(label) for value, label in CustomerStatus.choices},
        "rfm": {value: str(label) for value, label in RfmSegment.choices},
    }
    try:
        reverse(DETAIL_URL_NAME, args=[0])
        has_detail_page = True
    except NoReverseMatch:  # the customer page ships separately; rows stay plain text
        has_detail_page = False
    return [
        {
            "customer": customer,
            "detail_url": reverse(DETAIL_URL_NAME, args=[customer.pk]) if has_detail_page else "",
            "contact": customer_contact_view(customer, user),
            "select_label": _("Select %(name)s") % {"name": customer.name},
            "vip_label": labels["vip"].get(customer.vip_level, customer.vip_level),
            "tier_label": labels["tier"].get(customer.value_tier, "")
            if customer.value_tier
            else "",
            "lifecycle_label": labels["lifecycle"].get(customer.lifecycle_stage, ""),
            "status_label": labels["status"].get(customer.status, customer.status),
            "rfm_label": labels["rfm"].get(customer.rfm_segment, "")
            if customer.rfm_segment
            else "",
        }
        for customer in customers
    ]


def _results_context(request: HttpRequest, filterset: CustomerFilterSet) -> dict:
    sort = CustomerSort.parse(request.GET.get("sort"))
    queryset = filterset.qs
    per_page = _page_size(request)
    after, before = request.GET.get("after"), request.GET.get("before")
    if after or before:
        page = customer_list_page(queryset, sort=sort, size=per_page, after=after, before=before)
        count = customer_count_estimate(queryset, page=page, first_page=not page.has_previous)
    else:
        page, count = customer_first_page(queryset, sort=sort, size=per_page)
    state = request.GET.copy()
    for key in ("after", "before", "view"):
        state.pop(key, None)
    columns = list_columns_of(request.user)
    return {
        "filterset": filterset,
        "page": page,
        "rows": _table_rows(page.rows, request.user),
        "count": count,
        "sort": sort,
        "headers": _sort_headers(sort),
        "page_sizes": CUSTOMER_PAGE_SIZES,
        "per_page": per_page,
        "sort_options": _sort_options(sort),
        "filters_query": state.urlencode(),
        "is_filtered": any(
            value for key, value in state.items() if key not in ("sort", "per_page")
        ),
        "show_department": "department" in columns,
        "columns": columns,
        "column_count": len(columns) + 1,
        "results_target": RESULTS_TARGET,
        "next_url": request.get_full_path(),
    }


def _render_list(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    if _wants_results_only(request):
        template = context["results_template"]
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@login_required
@permission_required("customers.view_customer", raise_exception=True)
@require_GET
@throttle_searches
def customer_list(request: HttpRequest) -> HttpResponse:
    views = [] if _wants_results_only(request) else list(saved_views_of(request.user))
    if (default := _default_view_redirect(request, views)) is not None:
        return default
    filterset = CustomerFilterSet(
        request.GET,
        queryset=visible_customers(request.user, include_inactive=True),
        request=request,
    )
    context = _results_context(request, filterset)
    context["results_template"] = "customers/list_results.html"
    if not _wants_results_only(request):
        _style_filter_form(filterset)
        context["bulk_form"] = BulkActionForm(request=request)
        context.update(_saved_views_context(request, views))
    return _render_list(request, "customers/list.html", context)


def _saved_views_context(request: HttpRequest, views: list) -> dict:
    active = request.GET.get("view", "")
    return {
        "saved_views": views,
        "active_view": next((view for view in views if str(view.pk) == active), None),
        "column_choices": [
            {"key": column.key, "label": column.label, "always": column.always}
            for column in columns_for(request.user)
        ],
        "columns_form": ListColumnsForm(user=request.user),
        "saved_view_form": SavedViewForm(),
    }


def _default_view_redirect(request: HttpRequest, views: list) -> HttpResponse | None:
    """A bare visit to the list (no filters, no ``view``) opens the user's default view."""
    if request.GET or request.htmx:
        return None
    view = next((view for view in views if view.is_default), None)
    if view is None:
        return None
    return redirect("customers:saved-view", pk=view.pk)


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


def _selection(
    request: HttpRequest, form: CustomerSelectionForm, *, within: QuerySet | None = None
) -> QuerySet:
    """The customers the submitted selection names, never outside the user's scope."""
    scoped = (
        within if within is not None else visible_customers(request.user, include_inactive=True)
    )
    filterset = CustomerFilterSet(
        QueryDict(form.cleaned_data["filters"]), queryset=scoped, request=request
    )
    if form.cleaned_data["select_all"] and not filterset.is_valid():
        raise ValidationError(_("The list's filters are not valid any more. Reload the page."))
    return selected_customers(
        scoped=scoped,
        filtered=filterset.qs,
        ids=form.cleaned_data["ids"],
        select_all=form.cleaned_data["select_all"],
    )


def _customers(count: int) -> str:
    """ "1 customer" / "2,500 customers" for result messages."""
    return ngettext("%(count)s customer", "%(count)s customers", count) % {
        "count": number_format(count, force_grouping=True)
    }


def _form_errors(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _new_static_list(request: HttpRequest, data: dict) -> StaticList:
    if request.user.department is None:
        raise ValidationError(
            _(
                "Your account has no department: choose an existing list, or create one on the "
                "Static lists page first."
            )
        )
    return static_list_create(
        name=data["new_list_name"], department=request.user.department, user=request.user
    )


@login_required
@permission_required("customers.change_customer", raise_exception=True)
@require_GET
def bulk_dialog_fields(request: HttpRequest, dialog: str) -> HttpResponse:
    """A bulk-action dialog's choices, loaded when the dialog opens: the tags on the user's
    customers read their tag links, and the managers and static lists are queries and
    options no list view should pay for on every request."""
    if dialog not in BULK_DIALOG_FIELDS:
        raise Http404
    if dialog == "static_list" and not request.user.has_perm("customers.change_staticlist"):
        raise PermissionDenied
    form = BulkActionForm(request=request)
    field = form.fields[dialog]
    choices = list(field.choices)  # the one query, kept for the render
    field.choices = choices
    context = {
        "dialog": dialog,
        "fields": [form[name] for name in BULK_DIALOG_FIELDS[dialog]],
        "has_choices": len(choices) > 1,
    }
    return render(request, "customers/list_bulk_dialog_fields.html", context)


@login_required
@permission_required("customers.change_customer", raise_exception=True)
@require_POST
def customer_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkActionForm(request.POST, request=request)
    back = _back(request, reverse("customers:list"))
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return back
    data = form.cleaned_data
    try:
        customers = _selection(request, form)
        if data["action"] == BulkAction.TAG_ADD:
            tag = tag_for_name(data["tag_name"])
            count = customer_tags_add(
                customers=customers, tag=tag, user=request.user, request=request
            )
            message = _("Tag “%(tag)s” added to %(customers)s.")
            messages.success(request, message % {"tag": tag, "customers": _customers(count)})
        elif data["action"] == BulkAction.TAG_REMOVE:
            tag = data["remove_tag"]
            count = customer_tags_remove(
                customers=customers, tag=tag, user=request.user, request=request
            )
            message = _("Tag “%(tag)s” removed from %(customers)s.")
            messages.success(request, message % {"tag": tag, "customers": _customers(count)})
        elif data["action"] == BulkAction.ASSIGN_MANAGER:
            manager = data["manager"]
            count = customer_assign_manager(
                customers=customers, manager=manager, user=request.user, request=request
            )
            if manager is None:
                message = _("Relationship manager removed from %(customers)s.")
            else:
                message = _("%(manager)s is now the relationship manager of %(customers)s.")
            messages.success(
                request, message % {"manager": manager, "customers": _customers(count)}
            )
        elif data["action"] == BulkAction.ADD_TO_LIST:
            with transaction.atomic():
                static_list = data["static_list"] or _new_static_list(request, data)
                count = static_list_add_customers(
                    static_list=static_list, customers=customers, user=request.user
                )
            message = _("%(customers)s added to the list “%(list)s”.")
            messages.success(
                request, message % {"customers": _customers(count), "list": static_list}
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return back


@login_required
@permission_required("customers.export_customer", raise_exception=True)
@require_POST
def customer_export(request: HttpRequest) -> HttpResponse:
    form = ExportForm(request.POST)
    back = _back(request, reverse("customers:list"))
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return back
    within = None
    if form.cleaned_data["static_list"]:
        static_list = get_visible_or_404(
            request.user, StaticList.objects.all(), pk=form.cleaned_data["static_list"]
        )
        within = static_list_members(static_list=static_list, user=request.user)
    try:
        customers = _selection(request, form, within=within)
        file_format = form.cleaned_data["format"]
        if file_format == ExportFormat.XLSX and customer_export_too_large_for_xlsx(customers):
            raise ValidationError(
                _("An Excel sheet holds at most %(max)s rows. Export as CSV or narrow the filter.")
                % {"max": f"{XLSX_MAX_ROWS:,}"}
            )
        export_quota_take(user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return back
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if file_format == ExportFormat.CSV:
        response = StreamingHttpResponse(
            customer_export_csv(customers=customers, user=request.user, request=request),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.csv"'
        return response
    return FileResponse(
        customer_export_xlsx(customers=customers, user=request.user, request=request),
        as_attachment=True,
        filename=f"customers-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- Columns and saved views of the customer list ---------------------------------------


def _list_url(query: str = "", view_pk: int | None = None) -> str:
    params = QueryDict(query, mutable=True)
    if view_pk is not None:
        params["view"] = str(view_pk)
    encoded = params.urlencode()
    return reverse("customers:list") + (f"?{encoded}" if encoded else "")


@login_required
@permission_required("customers.view_customer", raise_exception=True)
@require_POST
def customer_list_columns(request: HttpRequest) -> HttpResponse:
    """Remember the columns ticked in the chooser; htmx then reloads the results."""
    form = ListColumnsForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(request, reverse("customers:list"))
    list_columns_remember(user=request.user, columns=form.cleaned_data["columns"])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Trigger"] = "customer-columns-changed"
        return response
    return _back(request, reverse("customers:list"))


@login_required
@permission_required("customers.view_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def saved_view_index(request: HttpRequest) -> HttpResponse:
    """The user's saved views: save the current list as one (POST), rename, delete, make
    one the default."""
    form = SavedViewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            view = saved_view_create(
                user=request.user,
                name=form.cleaned_data["name"],
                query=form.cleaned_data["query"],
                columns=list_columns_of(request.user),
                is_default=form.cleaned_data["is_default"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
            return redirect(_list_url(view.query, view.pk))
    views = [
        {
            "view": view,
            "rename_form": SavedViewRenameForm(
                initial={"name": view.name}, prefix=f"view-{view.pk}"
            ),
        }
        for view in saved_views_of(request.user)
    ]
    status = 400 if form.errors else 200
    return render(
        request, "customers/list_views.html", {"form": form, "views": views}, status=status
    )


@login_required
@permission_required("customers.view_customer", raise_exception=True)
@require_GET
def saved_view_show(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a saved view: its filters and sort in the address, its columns on screen."""
    view = saved_view_for(request.user, pk)
    saved_view_open(view=view, user=request.user)
    return redirect(_list_url(view.query, view.pk))


@login_required
@permission_required("customers.view_customer", raise_exception=True)
@require_POST
def saved_view_rename_view(request: HttpRequest, pk: int) -> HttpResponse:
    view = saved_view_for(request.user, pk)
    form = SavedViewRenameForm(request.POST, prefix=f"view-{view.pk}")
    if form.is_valid():
        try:
            saved_view_rename(view=view, user=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("View renamed to “%(name)s”.") % {"name": view.name})
    else:
        messages.error(request, _form_errors(form))
    return redirect("customers:saved-views")


@login_required
@permission_required("customers.view_customer", raise_exception=True)
@require_POST
def saved_view_default_view(request: HttpRequest, pk: int) -> HttpResponse:
    view = saved_view_for(request.user, pk)
    make_default = request.POST.get("is_default") == "1"
    saved_view_set_default(view=view, user=request.user, is_default=make_default)
    if make_default:
        message = _("“%(name)s” now opens when you visit the customer list.")
    else:
        message = _("“%(name)s” no longer opens by default.")
    messages.success(request, message % {"name": view.name})
    return redirect("customers:saved-views")


@login_required
@permission_required("customers.view_customer", raise_exception=True)
@require_POST
def saved_view_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    view = saved_view_for(request.user, pk)
    name = view.name
    saved_view_delete(view=view, user=request.user)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": name})
    return redirect("customers:saved-views")


# --- Static lists --------------------------------------------------------------------


@login_required
@permission_required("customers.view_staticlist", raise_exception=True)
@require_GET
def static_list_index(request: HttpRequest) -> HttpResponse:
    lists = visible_static_lists(request.user).order_by("name")
    return render(request, "customers/static_list_index.html", {"lists": lists})


@login_required
@permission_required("customers.add_staticlist", raise_exception=True)
@require_http_methods(["GET", "POST"])
def static_list_new(request: HttpRequest) -> HttpResponse:
    form = StaticListForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        department = form.cleaned_data.get("department") or request.user.department
        if department is None:
            form.add_error(None, _("Your account has no department; ask an administrator."))
        else:
            try:
                static_list = static_list_create(
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    department=department,
                    user=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("List “%(list)s” created.") % {"list": static_list})
                return redirect("customers:static-list", pk=static_list.pk)
    return render(request, "customers/static_list_form.html", {"form": form, "static_list": None})


@login_required
@permission_required("customers.change_staticlist", raise_exception=True)
@require_http_methods(["GET", "POST"])
def static_list_edit(request: HttpRequest, pk: int) -> HttpResponse:
    static_list = get_visible_or_404(request.user, StaticList.objects.all(), pk=pk)
    initial = {"name": static_list.name, "description": static_list.description}
    form = StaticListForm(request.POST or None, initial=initial, user=request.user, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            static_list_update(
                static_list=static_list,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("List “%(list)s” saved.") % {"list": static_list})
            return redirect("customers:static-list", pk=static_list.pk)
    context = {"form": form, "static_list": static_list}
    return render(request, "customers/static_list_form.html", context)


@login_required
@permission_required("customers.view_staticlist", raise_exception=True)
@require_GET
@throttle_searches
def static_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    static_list = get_visible_or_404(
        request.user, StaticList.objects.select_related("department", "created_by"), pk=pk
    )
    members = static_list_members(static_list=static_list, user=request.user)
    filterset = CustomerFilterSet(request.GET, queryset=members, request=request)
    context = _results_context(request, filterset)
    _style_filter_form(filterset)
    context.update(
        static_list=static_list,
        results_template="customers/static_list_results.html",
    )
    return _render_list(request, "customers/static_list_detail.html", context)


@login_required
@permission_required("customers.change_staticlist", raise_exception=True)
@require_POST
def static_list_remove(request: HttpRequest, pk: int) -> HttpResponse:
    static_list = get_visible_or_404(request.user, StaticList.objects.all(), pk=pk)
    back = _back(request, reverse("customers:static-list", args=[static_list.pk]))
    form = CustomerSelectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return back
    members = static_list_members(static_list=static_list, user=request.user)
    try:
        customers = _selection(request, form, within=members)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return back
    count = static_list_remove_customers(
        static_list=static_list, customers=customers, user=request.user
    )
    messages.success(
        request,
        _("%(customers)s removed from “%(list)s”.")
        % {"customers": _customers(count), "list": static_list},
    )
    return back


@login_required
@permission_required("customers.delete_staticlist", raise_exception=True)
@require_POST
def static_list_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    static_list = get_visible_or_404(request.user, StaticList.objects.all(), pk=pk)
    static_list_delete(static_list=static_list, user=request.user)
    messages.success(request, _("List “%(list)s” deleted.") % {"list": static_list})
    return redirect("customers:static-lists")
