"""The administrators' pages for users and departments (``/settings/users/``,
``/settings/departments/``), and the page where an invited user sets their password."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carecrm.accounts.forms import (
    DepartmentForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
    UserPasswordForm,
)
from carecrm.accounts.models import Department, Role
from carecrm.accounts.selectors import (
    audit_lines_for,
    department_customer_count,
    departments_with_counts,
    label_roles,
    managed_customer_count,
    user_for_admin,
    user_list,
)
from carecrm.accounts.services import (
    department_delete,
    department_save,
    user_add,
    user_send_password_link,
    user_set_active,
    user_set_password,
    user_update,
)
from carecrm.core.forms import add_service_errors

USERS_PERMISSION = "accounts.change_user"
DEPARTMENTS_PERMISSION = "accounts.change_department"
PAGE_SIZE = 50


def _admin_page(permission: str):
    def decorate(view):
        return login_required(permission_required(permission, raise_exception=True)(view))

    return decorate


@_admin_page(USERS_PERMISSION)
@require_http_methods(["GET"])
def user_list_view(request: HttpRequest) -> HttpResponse:
    filters = UserFilterForm(request.GET or None)
    values = filters.cleaned_data if filters.is_valid() else {}
    users = user_list(
        query=(values.get("q") or "").strip(),
        department=values.get("department"),
        role=values.get("role") or "",
        active=values.get("active") or "",
    )
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    kept = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "accounts/user_list.html",
        {
            "filters": filters,
            "page": page,
            "users": label_roles(page.object_list),
            "querystring_base": urlencode(kept) + "&" if kept else "",
            "filtered": bool(kept),
        },
    )


@_admin_page(USERS_PERMISSION)
@require_http_methods(["GET", "POST"])
def user_create_view(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_add(
                actor=request.user,
                username=data["username"],
                display_name=data["display_name"],
                email=data["email"],
                phone=data["phone"],
                department=data["department"],
                role=data["role"],
                password=data["password"] if not form.invite else None,
                invite=form.invite,
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if form.invite:
                messages.success(
                    request,
                    _("%(name)s is created and an invitation was sent to %(email)s.")
                    % {"name": user, "email": user.email},
                )
            else:
                messages.success(
                    request,
                    _("%(name)s is created and can log in with the initial password.")
                    % {"name": user},
                )
            return redirect("accounts:user_detail", pk=user.pk)
    return render(
        request, "accounts/user_form.html", {"form": form, "role_options": form.role_options()}
    )


def _user_or_404(pk: int):
    user = user_for_admin(pk)
    if user is None:
        raise Http404(_("user"))
    return user


def _detail(request, target, *, edit_form=None, password_form=None, status=200):
    edit_form = edit_form or UserEditForm(
        initial={
            "display_name": target.display_name,
            "email": target.email,
            "phone": target.phone,
            "department": target.department_id,
            "role": target.role_key,
        }
    )
    return render(
        request,
        "accounts/user_detail.html",
        {
            "target": target,
            "role_label_text": Role(target.role_key).label,
            "edit_form": edit_form,
            "role_options": edit_form.role_options(),
            "password_form": password_form or UserPasswordForm(),
            "managed_customers": managed_customer_count(target),
            "department_customers": department_customer_count(target.department),
            "audit_lines": audit_lines_for(target),
            "is_self": target.pk == request.user.pk,
        },
        status=status,
    )


@_admin_page(USERS_PERMISSION)
@require_http_methods(["GET"])
def user_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _user_or_404(pk))


@_admin_page(USERS_PERMISSION)
@require_POST
def user_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    target = _user_or_404(pk)
    form = UserEditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        old_department = target.department
        try:
            events = user_update(
                actor=request.user,
                user=target,
                display_name=data["display_name"],
                email=data["email"],
                phone=data["phone"],
                role=data["role"],
                department=data["department"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if not events:
                messages.info(request, _("Nothing was changed."))
            else:
                messages.success(
                    request, _("The changes to %(name)s are saved.") % {"name": target}
                )
            if "department_moved" in events:
                messages.info(request, _move_note(target, old_department, data["department"]))
            return redirect("accounts:user_detail", pk=target.pk)
    return _detail(request, target, edit_form=form, status=400)


def _move_note(user, old, new) -> str:
    """What a department move means for what the user sees (``carecrm.core.scoping``)."""
    if user.is_admin_role:
        return _(
            "Administrators see every department: the move changes only where they are listed."
        )
    return _(
        "Their %(count)d customers stay where they are, with them as relationship manager, "
        "so they still see those; otherwise they now see %(new)s's records instead of "
        "%(old)s's."
    ) % {
        "count": managed_customer_count(user),
        "old": old or _("no department"),
        "new": new or _("no department"),
    }


@_admin_page(USERS_PERMISSION)
@require_POST
def user_password_view(request: HttpRequest, pk: int) -> HttpResponse:
    target = _user_or_404(pk)
    if request.POST.get("action") == "send_link":
        try:
            user_send_password_link(actor=request.user, user=target, request=request)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("A link to set a new password was sent to %(email)s.") % {"email": target.email},
            )
        return redirect("accounts:user_detail", pk=target.pk)
    form = UserPasswordForm(request.POST)
    if form.is_valid():
        try:
            user_set_password(
                actor=request.user,
                user=target,
                password=form.cleaned_data["password"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The new password of %(name)s is set.") % {"name": target})
            return redirect("accounts:user_detail", pk=target.pk)
    return _detail(request, target, password_form=form, status=400)


@_admin_page(USERS_PERMISSION)
@require_POST
def user_active_view(request: HttpRequest, pk: int) -> HttpResponse:
    target = _user_or_404(pk)
    active = request.POST.get("active") == "1"
    try:
        changed = user_set_active(actor=request.user, user=target, active=active, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if changed and active:
            messages.success(request, _("%(name)s can log in again.") % {"name": target})
        elif changed:
            messages.success(
                request, _("%(name)s is deactivated and can no longer log in.") % {"name": target}
            )
    return redirect("accounts:user_detail", pk=target.pk)


# --- departments -----------------------------------------------------------------------


@_admin_page(DEPARTMENTS_PERMISSION)
@require_http_methods(["GET", "POST"])
def department_list_view(request: HttpRequest) -> HttpResponse:
    form = DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            department = department_save(
                actor=request.user, department=None, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s is created.") % {"name": department})
            return redirect("accounts:department_list")
    return render(
        request,
        "accounts/department_list.html",
        {"departments": departments_with_counts(), "form": form},
        status=400 if form.is_bound else 200,
    )


@_admin_page(DEPARTMENTS_PERMISSION)
@require_http_methods(["GET", "POST"])
def department_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    department = get_object_or_404(Department, pk=pk)
    form = DepartmentForm(
        request.POST or None,
        initial={"name": department.name, "code": department.code, "region": department.region},
    )
    if request.method == "POST" and form.is_valid():
        try:
            department_save(
                actor=request.user, department=department, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": form.cleaned_data["name"]})
            return redirect("accounts:department_list")
    counted = departments_with_counts().get(pk=department.pk)
    return render(
        request,
        "accounts/department_form.html",
        {"department": counted, "form": form, "audit_lines": audit_lines_for(department)},
        status=400 if form.is_bound else 200,
    )


@_admin_page(DEPARTMENTS_PERMISSION)
@require_POST
def department_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    department = get_object_or_404(Department, pk=pk)
    try:
        department_delete(actor=request.user, department=department, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("accounts:department_edit", pk=department.pk)
    messages.success(request, _("%(name)s is deleted.") % {"name": department.name})
    return redirect("accounts:department_list")


# --- an invited user sets their password -----------------------------------------------


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The one-time link of an invitation or a password reset (Django's reset tokens)."""

    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("set_password_done")


class SetPasswordDoneView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/set_password_done.html"
