"""Extension points: apps add to the home page, the navigation, the customer timeline (its
providers and kind labels), the calendar, the customer page's actions and panels, the role
groups' permissions and the demo data, and hear of orders recorded, by registering here in
their ``AppConfig.ready`` — never by editing another app's views or templates."""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    """An entry of the navigation bar; with ``group`` (a registered ``NavGroup``'s key) it
    sits in that group's menu, so the bar stays one line however many areas there are."""

    key: str
    label: str | Promise
    url_name: str
    icon: str
    order: int
    permission: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class NavGroup:
    """A menu of the navigation bar; it takes the place of its first visible item and
    shows as a plain link when the user may open only one of its items."""

    key: str
    label: str | Promise
    icon: str


@dataclass(frozen=True)
class HomeCard:
    """One figure on the home page: ``value(user)`` is computed within the user's scope."""

    key: str
    label: str | Promise
    value: Callable
    url_name: str | None
    icon: str
    order: int


@dataclass(frozen=True)
class TimelineEntry:
    """One event on a customer's 360° timeline (orders, interactions, messages, ...)."""

    at: "datetime.datetime"
    kind: str
    icon: str
    title: str | Promise
    detail: str = ""
    url: str | None = None
    actor: str = ""


nav_items: list[NavItem] = []
home_cards: list[HomeCard] = []
timeline_providers: list[Callable] = []
demo_seeders: list[tuple[int, Callable]] = []


def _add(registry: list, item, key: Callable) -> None:
    if all(key(existing) != key(item) for existing in registry):
        registry.append(item)


def register_nav(item: NavItem) -> None:
    _add(nav_items, item, lambda i: i.key)


nav_groups: dict[str, NavGroup] = {}


def register_nav_group(group: NavGroup) -> None:
    nav_groups.setdefault(group.key, group)


def register_home_card(card: HomeCard) -> None:
    _add(home_cards, card, lambda c: c.key)


def register_timeline_provider(provider: Callable) -> None:
    """``provider(customer, user) -> iterable of TimelineEntry`` (newest first or any order;
    the customer page merges and sorts them)."""
    _add(timeline_providers, provider, lambda p: p)


def register_demo_seeder(order: int, seeder: Callable) -> None:
    """``seeder(*, rng, options, stdout)`` fills demo data for one app, in ``order``."""
    _add(demo_seeders, (order, seeder), lambda s: s[1])


public_prefixes: list[str] = []


def register_public_prefix(prefix: str) -> None:
    """A URL prefix (``/m/``) of pages customers open without logging in. Errors under it
    (CSRF failure, 404, 500) get the customer-facing page, never a staff or debug page."""
    _add(public_prefixes, prefix, lambda p: p)


# --- roles ------------------------------------------------------------------------------

ALL_ACTIONS = ("view", "add", "change", "delete")
WORK_ACTIONS = ("view", "add", "change")
READ_ACTIONS = ("view",)

role_permissions: dict[str, set[str]] = {}


def model_permissions(app_label: str, models: dict[str, tuple[str, ...]]) -> list[str]:
    """``{"customer": ("view", "add")}`` as ``["customers.view_customer", ...]``."""
    return [
        f"{app_label}.{action}_{model}" for model, actions in models.items() for action in actions
    ]


def register_role_permissions(role: str, permissions: Iterable[str]) -> None:
    """Give the role group ``role`` (``"staff"``, ``"manager"``; admins hold every
    permission) these ``"app_label.codename"`` permissions, synced after every ``migrate``
    (``carecrm.accounts.roles``). Each app registers its own models' permissions; a codename
    that does not exist (yet) is skipped."""
    role_permissions.setdefault(str(role), set()).update(permissions)


# --- timeline kinds ---------------------------------------------------------------------

timeline_kinds: dict[str, str | Promise] = {}


def register_timeline_kind(kind: str, label: str | Promise) -> None:
    """The filter label of the timeline entries of ``kind`` an app's provider produces (an
    unregistered kind is still shown and filterable under its own name)."""
    timeline_kinds.setdefault(kind, label)


# --- customer page actions --------------------------------------------------------------


@dataclass(frozen=True)
class CustomerAction:
    """A link on the customer page that belongs to another app (record an opt-out, start a
    campaign for this customer, ...). ``url(customer)`` builds its address; it is shown to
    users with ``permission`` while the customer is active, in ``place`` ("consents": the
    consent card's header; "more": the page's "More" menu)."""

    key: str
    label: str | Promise
    url: Callable
    icon: str
    order: int
    place: str = "more"
    permission: str | None = None


customer_actions: list[CustomerAction] = []


def register_customer_action(action: CustomerAction) -> None:
    _add(customer_actions, action, lambda a: a.key)


# --- calendar ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarEntry:
    """One dated thing on the calendar page that belongs to another app (an event, ...).
    ``at`` is a date or an aware datetime; ``kind`` groups entries (``"event"``)."""

    at: "datetime.date | datetime.datetime"
    title: str | Promise
    url: str | None
    kind: str
    icon: str = "calendar-event"
    badge: str | Promise = ""

    @property
    def on(self) -> "datetime.date":
        if isinstance(self.at, datetime.datetime):
            from django.utils import timezone

            return timezone.localdate(self.at) if timezone.is_aware(self.at) else self.at.date()
        return self.at


calendar_providers: list[Callable] = []


def register_calendar_provider(provider: Callable) -> None:
    """``provider(user, start_date, end_date) -> list of CalendarEntry`` on those days
    (both included), within the user's scope."""
    _add(calendar_providers, provider, lambda p: p)


def calendar_entries(user, start: "datetime.date", end: "datetime.date") -> list[CalendarEntry]:
    """Every provider's entries between two dates, in date order."""
    entries = [entry for provider in calendar_providers for entry in provider(user, start, end)]
    return sorted((e for e in entries if start <= e.on <= end), key=lambda e: (e.on, str(e.title)))


# --- panels on another app's record page ------------------------------------------------


@dataclass(frozen=True)
class PanelAction:
    """A button on a panel (redeem points, set the referrer, ...), already filtered by
    the panel's provider to what the user may do."""

    key: str
    label: str | Promise
    url: str
    icon: str = ""


@dataclass(frozen=True)
class Panel:
    """A small card an app adds to another app's record page (a campaign's survey
    results, a customer's loyalty points, ...): data, not HTML — label/value rows, an
    optional link, buttons and a short note."""

    key: str
    title: str | Promise
    rows: list = field(default_factory=list)  # [(label, value), ...]
    url: str | None = None
    url_label: str | Promise = ""
    actions: list[PanelAction] = field(default_factory=list)
    note: str | Promise = ""


record_panels: dict[str, list[Callable]] = {}


def register_record_panel(record_kind: str, fn: Callable) -> None:
    """``fn(record, user) -> Panel | None`` on every page of ``record_kind`` records
    (``"campaign"``, ``"customer"``); ``None`` when it has nothing to add for that record
    or user. A provider on the customer page runs a constant few queries, whatever the
    customer's history (the page's query budget is fixed)."""
    providers = record_panels.setdefault(record_kind, [])
    if fn not in providers:
        providers.append(fn)


def panels_for(record_kind: str, record, user) -> list[Panel]:
    """The registered panels of ``record_kind`` that have something to show."""
    panels = (fn(record, user) for fn in record_panels.get(record_kind, []))
    return [panel for panel in panels if panel is not None]


# --- orders recorded --------------------------------------------------------------------

order_listeners: list[Callable] = []


def register_order_listener(listener: Callable) -> None:
    """``listener(order_ids)`` runs after orders are recorded, corrected or imported, once
    their transaction commits (loyalty accrues points for them). It should queue work,
    not do it: it runs in the request or the import that wrote the orders."""
    _add(order_listeners, listener, lambda fn: fn)


def orders_recorded(order_ids: Iterable[int]) -> None:
    """Tell the registered listeners, after the current transaction commits (at once
    outside one), that these orders are new or changed; a rollback tells nobody."""
    ids = list(order_ids)
    if not ids or not order_listeners:
        return
    from django.db import transaction

    def notify() -> None:
        for listener in list(order_listeners):
            listener(ids)

    transaction.on_commit(notify)
