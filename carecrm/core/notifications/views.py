"""The user's notifications: the list page and opening one (which marks it read)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from carecrm.core.notifications.selectors import notifications_for
from carecrm.core.notifications.services import (
    notification_mark_read,
    notifications_mark_all_read,
)


@login_required
def notification_list_view(request: HttpRequest) -> HttpResponse:
    page = Paginator(notifications_for(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "core/notifications.html", {"page_obj": page})


@login_required
def notification_open_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark read and go where the notice points (the list when it points nowhere safe)."""
    notification = get_object_or_404(notifications_for(request.user), pk=pk)
    notification_mark_read(notification=notification, user=request.user)
    if notification.url and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(notification.url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all_view(request: HttpRequest) -> HttpResponse:
    notifications_mark_all_read(user=request.user)
    return redirect("notifications:list")
