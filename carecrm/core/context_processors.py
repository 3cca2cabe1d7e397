from django.urls import NoReverseMatch, reverse

from carecrm.core.registry import nav_items


def navigation(request):
    """The navigation bar: every registered area the user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for item in sorted(nav_items, key=lambda i: i.order):
        if item.permission and not user.has_perm(item.permission):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = request.path.startswith(url) if url != "/" else request.path == "/"
        items.append(
            {"key": item.key, "label": item.label, "url": url, "icon": item.icon, "active": active}
        )
    return {"nav_items": items}
