"""What the budgets app adds to the navigation and the role groups."""

from django.utils.translation import gettext_lazy as _

from carecrm.core.registry import (
    ALL_ACTIONS,
    READ_ACTIONS,
    WORK_ACTIONS,
    HomeCard,
    NavItem,
    model_permissions,
    register_demo_seeder,
    register_home_card,
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


def _awaiting_my_approval(user) -> int:
    from budgets.selectors.overview import plans_awaiting_approval

    return plans_awaiting_approval(user).count()


register_home_card(
    HomeCard(
        "budgets_awaiting_approval",
        _("Budgets awaiting my approval"),
        _awaiting_my_approval,
        "budgets:overview",
        "cash-coin",
        55,
    )
)
