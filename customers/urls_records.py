"""URLs of the customer list, its bulk actions and export, and static lists."""

from django.urls import path

from customers.views import records

urlpatterns = [
    path("", records.customer_list, name="list"),
    path("bulk/", records.customer_bulk, name="bulk"),
    path("export/", records.customer_export, name="export"),
    path("lists/", records.static_list_index, name="static-lists"),
    path("lists/new/", records.static_list_new, name="static-list-new"),
    path("lists/<int:pk>/", records.static_list_detail, name="static-list"),
    path("lists/<int:pk>/edit/", records.static_list_edit, name="static-list-edit"),
    path("lists/<int:pk>/remove/", records.static_list_remove, name="static-list-remove"),
    path("lists/<int:pk>/delete/", records.static_list_delete_view, name="static-list-delete"),
]
