"""Base classes every ``/api/v1/`` viewset builds on."""

from rest_framework import viewsets

from carecrm.core.scoping import visible_to


class ScopedViewSetMixin:
    """Limits ``get_queryset`` to the requesting user's scope. Subclasses override
    ``get_base_queryset`` (not ``get_queryset``) to add select_related or annotations."""

    def get_base_queryset(self):
        return super().get_queryset()

    def get_queryset(self):
        return visible_to(self.request.user, self.get_base_queryset())


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class ScopedReadOnlyModelViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
