from django.core.checks import Error, register


@register()
def api_viewsets_are_scoped(app_configs, **kwargs):
    """A viewset over a scoped model must filter through ``ScopedViewSetMixin``; otherwise
    one forgotten ``filter`` would expose every department's customers."""
    from carecrm.core.api import ScopedViewSetMixin
    from carecrm.core.scoping import is_scoped
    from carecrm.urls import api_router

    errors = []
    for prefix, viewset, _basename in api_router.registry:
        queryset = getattr(viewset, "queryset", None)
        if queryset is None or not is_scoped(queryset.model):
            continue
        if not issubclass(viewset, ScopedViewSetMixin):
            errors.append(
                Error(
                    f"API viewset {viewset.__name__} at /api/v1/{prefix}/ serves the scoped "
                    f"model {queryset.model.__name__} without ScopedViewSetMixin.",
                    id="carecrm.E001",
                )
            )
    return errors
