from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render

from carecrm.core.scoping import visible_to
from feedback.models import FeedbackItem


@login_required
@permission_required("feedback.view_feedbackitem", raise_exception=True)
def item_list(request):
    items = visible_to(request.user, FeedbackItem.objects.select_related("department"))[:200]
    return render(request, "feedback/item_list.html", {"items": items})
