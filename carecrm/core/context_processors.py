from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject

from carecrm.core.branding.selectors import current_brand
from carecrm.core.registry import nav_groups, nav_items


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
        entry = {"key": item.key, "label": item.label, "url": url, "icon": item.icon}
        entry["active"] = active
        group = nav_groups.get(item.group or "")
        if group is None:
            items.append(entry)
            continue
        menu = next((e for e in items if e.get("group") == group.key), None)
        if menu is None:
            menu = {"group": group.key, "label": group.label, "icon": group.icon, "children": []}
            menu["active"] = False
            items.append(menu)
        menu["children"].append(entry)
        menu["active"] = menu["active"] or active
    # A menu of one is a plain link.
    return {
        "nav_items": [e["children"][0] if len(e.get("children", ())) == 1 else e for e in items]
    }


def brand(request):
    """``brand`` (company_name, sms_signature, signature_tag, contact_line, logo_url) on
    every page, so customer pages other views render (errors, RSVP, surveys) show it too.
    Read only when a template uses it: pages that do not cost no query."""
    return {"brand": SimpleLazyObject(current_brand)}
