"""The admins' page for the programme targets the dashboard draws its lines at."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dashboard.forms_targets import ProgrammeTargetsForm
from dashboard.models import ProgrammeTargets
from dashboard.services.targets import targets_update


@login_required
@permission_required("dashboard.change_programmetargets", raise_exception=True)
@require_http_methods(["GET", "POST"])
def targets_edit(request: HttpRequest) -> HttpResponse:
    targets = ProgrammeTargets.current()
    form = ProgrammeTargetsForm(request.POST or None, instance=targets)
    if request.method == "POST" and form.is_valid():
        try:
            targets_update(values=form.cleaned_data, user=request.user, request=request)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The programme targets are saved."))
            return redirect("dashboard:targets")
    return render(request, "dashboard/targets.html", {"form": form, "targets": targets})
