"""What the customers app adds to the shared navigation, home page and demo data."""

from django.apps import apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from carecrm.core.bench import register_suite
from carecrm.core.registry import (
    ALL_ACTIONS,
    READ_ACTIONS,
    WORK_ACTIONS,
    HomeCard,
    NavGroup,
    NavItem,
    model_permissions,
    register_demo_seeder,
    register_home_card,
    register_nav,
    register_nav_group,
    register_role_permissions,
    register_timeline_provider,
)
from customers.demo import seed_customers


def _visible_customer_count(user) -> int:
    from customers.selectors import visible_customers

    return visible_customers(user).count()


def _verifications_due(user) -> int:
    from customers.services.quality import verifications_due

    return verifications_due(user).count()


def _quality_timeline(customer, user):
    from customers.selectors_quality import quality_timeline

    return quality_timeline(customer, user)


def _ensure_default_schedules(sender, using="default", **kwargs) -> None:
    from customers.services.quality import verification_schedule_ensure

    verification_schedule_ensure(using=using)


def _open_follow_ups(user) -> int:
    from customers.selectors import open_follow_ups

    return open_follow_ups(user).count()


register_nav_group(NavGroup("customers", _("Customers"), "people"))
register_nav(
    NavItem(
        "customers",
        _("Customers"),
        "customers:list",
        "people",
        10,
        "customers.view_customer",
        group="customers",
    )
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
register_nav(
    NavItem(
        "products",
        _("Products"),
        "customers:products",
        "box-seam",
        12,
        "customers.view_product",
        group="customers",
    )
)
register_nav(
    NavItem(
        "data_quality",
        _("Data quality"),
        "customers:duplicates",
        "shield-check",
        15,
        "customers.view_customer",
        group="customers",
    )
)
register_home_card(
    HomeCard(
        "verifications_due",
        _("Verifications due"),
        _verifications_due,
        "customers:verifications",
        "patch-check",
        30,
    )
)
register_timeline_provider(_quality_timeline)
# Default beat schedule, created when missing after every migrate (never overwritten).
post_migrate.connect(
    _ensure_default_schedules,
    sender=apps.get_app_config("customers"),
    dispatch_uid="customers-default-beat-schedules",
)
register_demo_seeder(10, seed_customers)


def _bench(*, scale: float, stdout) -> list:
    """Issue 4's figures: the import, then the list page at 1,000,000 customers."""
    from customers.bench import bench_import
    from customers.bench_list import bench_list

    figures = bench_import(scale=scale, stdout=stdout)
    return figures + bench_list(scale=scale, stdout=stdout)


register_suite("customers", _bench)


def _bench_import_memory(*, scale: float, stdout) -> list:
    """Peak RSS and time of importing a 50 MB CSV and a 50 MB XLSX in a child process."""
    from customers.bench import bench_import_memory

    return bench_import_memory(scale=scale, stdout=stdout)


register_suite("import_memory", _bench_import_memory)


# --- role permissions: this app's models, per role (carecrm.accounts.roles syncs them) ---

register_role_permissions(
    "staff",
    model_permissions(
        "customers",
        {
            "customer": WORK_ACTIONS,
            "order": WORK_ACTIONS,
            "orderline": WORK_ACTIONS,
            "intentevent": WORK_ACTIONS,
            "interaction": WORK_ACTIONS,
            "importjob": ("view", "add"),
            "importpreset": ALL_ACTIONS,
            "staticlist": ALL_ACTIONS,
            "verificationtask": WORK_ACTIONS,
            "tag": WORK_ACTIONS,
            # The catalogue: staff pick from it and read its sales; managers keep it.
            "product": READ_ACTIONS,
        },
    ),
)
register_role_permissions(
    "manager",
    [
        *model_permissions(
            "customers",
            {
                "customer": ALL_ACTIONS,
                "order": ALL_ACTIONS,
                "orderline": ALL_ACTIONS,
                "intentevent": ALL_ACTIONS,
                "interaction": ALL_ACTIONS,
                "importjob": ("view", "add"),
                "importpreset": ALL_ACTIONS,
                "staticlist": ALL_ACTIONS,
                "verificationtask": ALL_ACTIONS,
                "tag": ALL_ACTIONS,
                "customermerge": READ_ACTIONS,
                # Not delete: a sold product is deactivated (order lines protect it).
                "product": WORK_ACTIONS,
            },
        ),
        "customers.view_customer_pii",
        "customers.export_customer",
        "customers.merge_customer",
        "customers.anonymise_customer",
    ],
)
