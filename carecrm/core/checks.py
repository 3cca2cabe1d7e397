from django.core.checks import Error, register


def unscoped_viewset_errors(router) -> list[Error]:
    """One error per viewset of ``router`` that serves a scoped model without
    ``ScopedViewSetMixin``."""
    from carecrm.core.api import ScopedViewSetMixin
    from carecrm.core.scoping import is_scoped

    errors = []
    for prefix, viewset, _basename in router.registry:
        queryset = getattr(viewset, "queryset", None)
        if queryset is None or not is_scoped(queryset.model):
            continue
        if not issubclass(viewset, ScopedViewSetMixin):
            errors.append(
                Error(
                    f"API viewset {viewset.__name__} at /api/v1/{prefix}/ serves the scoped "
                    f"model {queryset.model.__name__} without ScopedViewSetMixin.",
                    hint="Subclass carecrm.core.api.ScopedModelViewSet (or the read-only one).",
                    obj=viewset,
                    id="carecrm.E001",
                )
            )
    return errors


@register()
def api_viewsets_are_scoped(app_configs, **kwargs):
    """A viewset over a scoped model must filter through ``ScopedViewSetMixin``; otherwise
    one forgotten ``filter`` would expose every department's customers."""
    from carecrm.urls import api_router

    return unscoped_viewset_errors(api_router)
