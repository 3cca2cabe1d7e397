"""The columns of the customer list a user may choose from, and the default set.

The name column is always shown (it links to the customer); the department column is
offered to admins only (others see one department). Stored choices are kept in this order
whatever order they were ticked in, and unknown keys are dropped, so a column removed
later never breaks a saved view.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ListColumn:
    key: str
    label: str | Promise
    admin_only: bool = False
    always: bool = False


LIST_COLUMNS: tuple[ListColumn, ...] = (
    ListColumn("name", _("Name"), always=True),
    ListColumn("mobile", _("Mobile")),
    ListColumn("email", _("Email")),
    ListColumn("department", _("Department"), admin_only=True),
    ListColumn("manager", _("Manager")),
    ListColumn("tier", _("Value tier")),
    ListColumn("vip", _("VIP level")),
    ListColumn("lifecycle", _("Lifecycle")),
    ListColumn("rfm", _("RFM segment")),
    ListColumn("total_spend", _("Total spend")),
    ListColumn("last_purchase", _("Last purchase")),
    ListColumn("tags", _("Tags")),
    ListColumn("city", _("City / region")),
    ListColumn("registered", _("Registered")),
    ListColumn("created", _("Created")),
    ListColumn("id", _("ID")),
)
COLUMN_KEYS = frozenset(column.key for column in LIST_COLUMNS)
DEFAULT_COLUMNS: tuple[str, ...] = (
    "name",
    "mobile",
    "department",
    "manager",
    "tier",
    "vip",
    "total_spend",
    "last_purchase",
    "tags",
)


def columns_for(user) -> list[ListColumn]:
    """The columns ``user`` may choose from."""
    is_admin = bool(getattr(user, "is_admin_role", False))
    return [column for column in LIST_COLUMNS if is_admin or not column.admin_only]


def clean_columns(keys, user) -> list[str]:
    """``keys`` as a valid column set for ``user``: known, allowed, in the list's order,
    with the name column; the default set when none was given."""
    wanted = {str(key) for key in keys or ()} & COLUMN_KEYS or set(DEFAULT_COLUMNS)
    return [column.key for column in columns_for(user) if column.key in wanted or column.always]
