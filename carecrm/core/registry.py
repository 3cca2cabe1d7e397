"""Extension points: apps add to the home page, the navigation, the customer timeline
and the demo data by registering here in their ``AppConfig.ready`` — never by editing
another app's views or templates."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    icon: str
    order: int
    permission: str | None = None


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
