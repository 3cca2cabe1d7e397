"""URLs of the customer list, its bulk actions and export, and static lists."""

from django.urls import path

from customers.views import records

urlpatterns = [
    path("", records.customer_list, name="list"),
    path("bulk/", records.customer_bulk, name="bulk"),
    path(
        "bulk/fields/<slug:dialog>/",
        records.bulk_dialog_fields,
        name="bulk-dialog-fields",
    ),
    path("export/", records.customer_export, name="export"),
    path("columns/", records.customer_list_columns, name="list-columns"),
    path("views/", records.saved_view_index, name="saved-views"),
    path("views/<int:pk>/", records.saved_view_show, name="saved-view"),
    path("views/<int:pk>/rename/", records.saved_view_rename_view, name="saved-view-rename"),
    path("views/<int:pk>/default/", records.saved_view_default_view, name="saved-view-default"),
    path("views/<int:pk>/delete/", records.saved_view_delete_view, name="saved-view-delete"),
    path("lists/", records.static_list_index, name="static-lists"),
    path("lists/new/", records.static_list_new, name="static-list-new"),
    path("lists/<int:pk>/", records.static_list_detail, name="static-list"),
    path("lists/<int:pk>/edit/", records.static_list_edit, name="static-list-edit"),
    path("lists/<int:pk>/remove/", records.static_list_remove, name="static-list-remove"),
    path("lists/<int:pk>/delete/", records.static_list_delete_view, name="static-list-delete"),
]
