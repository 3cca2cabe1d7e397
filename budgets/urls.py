from django.urls import path

from budgets.views import exports, overview, plans

app_name = "budgets"

urlpatterns = [
    path("", overview.budget_overview, name="overview"),
    path("annual/", overview.annual_list, name="annual"),
    path("annual/<int:pk>/edit/", overview.annual_edit, name="annual-edit"),
    path("settings/", overview.budget_settings_view, name="settings"),
    path("plans/new/", plans.plan_create, name="plan-create"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan"),
    path("plans/<int:pk>/lines/add/", plans.line_add, name="line-add"),
    path("plans/<int:pk>/contingency/", plans.plan_contingency, name="contingency"),
    path("plans/<int:pk>/submit/", plans.plan_submit, name="submit"),
    path("plans/<int:pk>/approve/", plans.plan_approve, name="approve"),
    path("plans/<int:pk>/return/", plans.plan_return, name="return"),
    path("plans/<int:pk>/over-cap/", plans.plan_over_cap, name="over-cap"),
    path("plans/<int:pk>/expenses/add/", plans.expense_add, name="expense-add"),
    path("plans/<int:pk>/export.xlsx", exports.plan_xlsx, name="export-xlsx"),
    path("plans/<int:pk>/export.pdf", exports.plan_pdf, name="export-pdf"),
    path("lines/<int:pk>/edit/", plans.line_edit, name="line-edit"),
    path("lines/<int:pk>/delete/", plans.line_delete, name="line-delete"),
    path("lines/<int:pk>/move/", plans.line_move, name="line-move"),
    path("expenses/<int:pk>/edit/", plans.expense_edit, name="expense-edit"),
    path("expenses/<int:pk>/delete/", plans.expense_delete, name="expense-delete"),
    path("expenses/<int:pk>/receipt/", plans.expense_receipt, name="receipt"),
]
