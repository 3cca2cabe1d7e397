"""``/api/v1/products/``: the product catalogue, for every role; managers and admins add
and correct products (``add_product``/``change_product``), nobody deletes one (a sold
product is deactivated: ``"active": false``). Sales figures are over the orders the
caller may see, as on the products page."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, serializers, viewsets
from rest_framework.pagination import CursorPagination

from carecrm.core.api import drf_validation_error
from customers.models import Product
from customers.selectors_products import products_with_sales
from customers.services.products import product_create, product_update


class ProductSerializer(serializers.ModelSerializer):
    orders = serializers.IntegerField(read_only=True, help_text="Purchases that sold it.")
    units = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text="Net quantity sold."
    )
    revenue = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True, help_text="Net revenue, CNY."
    )
    sku = serializers.CharField(max_length=40, required=False, allow_blank=True, allow_null=True)

    class Meta:
        model = Product
        fields = (
            "id",
            "name",
            "category",
            "sku",
            "list_price",
            "active",
            "orders",
            "units",
            "revenue",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "created_at", "updated_at")
        # Uniqueness is the service's to check (one message on the page and here).
        validators: list = []
        extra_kwargs = {"sku": {"validators": []}}

    def create(self, validated_data: dict) -> Product:
        request = self.context["request"]
        try:
            return product_create(user=request.user, request=request, **validated_data)
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from exc

    def update(self, product: Product, validated_data: dict) -> Product:
        request = self.context["request"]
        try:
            product_update(product=product, user=request.user, request=request, **validated_data)
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from exc
        return product


class ProductApiFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name, SKU or category")
    category = django_filters.CharFilter()
    active = django_filters.BooleanFilter()

    class Meta:
        model = Product
        fields: list[str] = []

    def search(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(Q(name__icontains=word) | Q(sku__icontains=word))
        return queryset


class ProductPagination(CursorPagination):
    page_size = 50
    max_page_size = 500
    page_size_query_param = "page_size"
    ordering = "id"


class ProductViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The catalogue (one for the company), with each product's sales in the caller's
    scope. ``q`` searches name and SKU; ``category`` and ``active`` filter."""

    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    filterset_class = ProductApiFilter
    filter_backends = [DjangoFilterBackend]
    pagination_class = ProductPagination

    def get_queryset(self):
        return products_with_sales(self.request.user)

    # The answer to a write carries the sales figures too, as the schema promises.
    def perform_create(self, serializer) -> None:
        serializer.save()
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_update(self, serializer) -> None:
        serializer.save()
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)


def register(router) -> None:
    router.register("products", ProductViewSet, basename="product")
