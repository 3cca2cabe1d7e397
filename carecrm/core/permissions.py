from rest_framework.permissions import DjangoModelPermissions


class IsAuthenticatedWithModelPerms(DjangoModelPermissions):
    """Authenticated, and holding the model permission for the action — reading needs
    ``view_*`` too, which plain ``DjangoModelPermissions`` does not ask for."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
    }

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if getattr(view, "_ignore_model_permissions", False):
            return True
        if getattr(view, "queryset", None) is None and not hasattr(view, "get_queryset"):
            return True
        return super().has_permission(request, view)
