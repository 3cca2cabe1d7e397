"""URLs of the customer imports screens."""

from django.urls import path

from customers.views import imports

urlpatterns = [
    path("", imports.import_list, name="import-list"),
    path("new/", imports.import_new, name="import-new"),
    path("template/", imports.import_template, name="import-template"),
    path("<int:pk>/", imports.import_detail, name="import-detail"),
    path("<int:pk>/mapping/", imports.import_mapping, name="import-mapping"),
    path("<int:pk>/progress/", imports.import_progress, name="import-progress"),
    path("<int:pk>/rejected-rows/", imports.import_rejected_rows, name="import-rejected-rows"),
    path("<int:pk>/repeat/", imports.import_repeat, name="import-repeat"),
    path("presets/<int:pk>/delete/", imports.import_preset_remove, name="import-preset-delete"),
]
