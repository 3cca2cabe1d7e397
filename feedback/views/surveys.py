from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render

from carecrm.core.scoping import visible_to
from feedback.models import Survey


@login_required
@permission_required("feedback.view_survey", raise_exception=True)
def survey_list(request):
    surveys = visible_to(request.user, Survey.objects.select_related("department"))[:200]
    return render(request, "feedback/survey_list.html", {"surveys": surveys})
