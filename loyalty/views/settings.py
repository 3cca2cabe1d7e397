"""The loyalty rules page, for administrators."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carecrm.core.forms import add_service_errors
from loyalty.forms import SettingsForm
from loyalty.selectors.settings import loyalty_settings
from loyalty.services.settings import FIELDS, loyalty_settings_update


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_admin_role:
        raise PermissionDenied(_("Only an administrator can change the loyalty rules."))
    current = loyalty_settings()
    form = SettingsForm(
        request.POST or None, initial={name: getattr(current, name) for name in FIELDS}
    )
    if request.method == "POST" and form.is_valid():
        try:
            loyalty_settings_update(user=request.user, values=dict(form.cleaned_data))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The loyalty rules are saved."))
            return redirect("loyalty:settings")
    return render(request, "loyalty/settings.html", {"form": form, "settings": current})
