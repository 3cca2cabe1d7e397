"""URLs of the product catalogue."""

from django.urls import path

from customers.views import products

urlpatterns = [
    path("", products.product_list, name="products"),
    path("search/", products.product_search, name="product-search"),
    path("new/", products.product_add, name="product-add"),
    path("<int:pk>/edit/", products.product_edit, name="product-edit"),
    path("<int:pk>/toggle/", products.product_toggle, name="product-toggle"),
]
