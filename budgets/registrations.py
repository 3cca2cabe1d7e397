"""What the budgets app adds to the navigation and the role groups."""

from django.utils.translation import gettext_lazy as _

from carecrm.core.registry import (
    ALL_ACTIONS,
    READ_ACTIONS,
    WORK_ACTIONS,
    NavItem,
    model_permissions,
    register_demo_seeder,
    register_nav,
    register_role_permissions,
)

register_nav(
    NavItem("budgets", _("Budgets"), "budgets:overview", "cash-coin", 55, "budgets.view_budgetplan")
)

register_role_permissions(
    "staff",
    model_permissions(
        "budgets",
        {
            "annualbudget": READ_ACTIONS,
            "budgetplan": WORK_ACTIONS,
            "budgetline": ALL_ACTIONS,
            "expense": ALL_ACTIONS,
            "planreview": READ_ACTIONS,
        },
    ),
)
register_role_permissions(
    "manager",
    [
        *model_permissions(
            "budgets",
            {
                "annualbudget": READ_ACTIONS,
                "budgetplan": ALL_ACTIONS,
                "budgetline": ALL_ACTIONS,
                "expense": ALL_ACTIONS,
                "planreview": WORK_ACTIONS,
            },
        ),
        "budgets.approve_budgetplan",
    ],
)


def _seed(**kwargs) -> None:
    from budgets.demo import seed_budgets

    seed_budgets(**kwargs)


# Before events (which plan their budgets against these annual budgets).
register_demo_seeder(50, _seed)
