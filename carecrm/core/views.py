from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from carecrm.core.registry import home_cards


@login_required
def home(request: HttpRequest) -> HttpResponse:
    cards = []
    for card in sorted(home_cards, key=lambda c: c.order):
        try:
            url = reverse(card.url_name) if card.url_name else None
        except NoReverseMatch:
            url = None
        cards.append(
            {"label": card.label, "value": card.value(request.user), "url": url, "icon": card.icon}
        )
    return render(request, "core/home.html", {"cards": cards})


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for the load balancer and docker-compose."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
