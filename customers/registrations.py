"""What the customers app adds to the shared navigation, home page and demo data."""

from django.utils.translation import gettext_lazy as _

from carecrm.core.bench import register_suite
from carecrm.core.registry import HomeCard, NavItem, register_home_card, register_nav


def _visible_customer_count(user) -> int:
    from customers.selectors import visible_customers

    return visible_customers(user).count()


def _open_follow_ups(user) -> int:
    from customers.selectors import open_follow_ups

    return open_follow_ups(user).count()


register_nav(
    NavItem("customers", _("Customers"), "customers:list", "people", 10, "customers.view_customer")
)
register_home_card(
    HomeCard(
        "customers",
        _("Customers I can see"),
        _visible_customer_count,
        "customers:list",
        "people",
        10,
    )
)
register_home_card(
    HomeCard(
        "follow_ups",
        _("Open follow-ups"),
        _open_follow_ups,
        "customers:follow-ups",
        "telephone-outbound",
        20,
    )
)


def _bench(*, scale: float, stdout) -> list:
    from customers.bench import bench_import

    return bench_import(scale=scale, stdout=stdout)


register_suite("customers", _bench)
