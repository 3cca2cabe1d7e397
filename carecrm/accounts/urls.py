from django.urls import path

from carecrm.accounts import views

app_name = "accounts"

urlpatterns = [
    path("users/", views.user_list_view, name="user_list"),
    path("users/new/", views.user_create_view, name="user_create"),
    path("users/<int:pk>/", views.user_detail_view, name="user_detail"),
    path("users/<int:pk>/edit/", views.user_edit_view, name="user_edit"),
    path("users/<int:pk>/password/", views.user_password_view, name="user_password"),
    path("users/<int:pk>/active/", views.user_active_view, name="user_active"),
    path("departments/", views.department_list_view, name="department_list"),
    path("departments/<int:pk>/", views.department_edit_view, name="department_edit"),
    path("departments/<int:pk>/delete/", views.department_delete_view, name="department_delete"),
]
