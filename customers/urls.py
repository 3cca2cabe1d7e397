from django.urls import include, path

app_name = "customers"

urlpatterns = [
    path("", include("customers.urls_records")),
    path("", include("customers.urls_detail")),
    path("products/", include("customers.urls_products")),
    path("imports/", include("customers.urls_imports")),
    path("quality/", include("customers.urls_quality")),
]
