"""Pages customers reach from a message, without logging in: unsubscribe (one-click
POST per RFC 8058 too), preferences, the open pixel, click and SMS short-link redirects.
Each URL carries a signed per-message token (``delivery.tokens``)."""

from django.urls import path, re_path

from delivery.views import public

app_name = "delivery"

urlpatterns = [
    path("m/u/<str:token>/", public.unsubscribe_view, name="unsubscribe"),
    path(
        "m/u/<str:token>/preferences/",
        public.unsubscribe_preferences_view,
        name="unsubscribe-preferences",
    ),
    path("m/p/<str:token>/", public.preferences_view, name="preferences"),
    path("m/o/<str:token>.gif", public.open_pixel_view, name="open"),
    path("m/c/<str:token>/<int:index>/", public.click_view, name="click"),
    path("s/<str:token>/<int:index>", public.short_link_view, name="short"),
    re_path(r"^(?:m|s)/(?P<rest>.*)$", public.unknown_link_view),
]
