"""What a budget plan can belong to. An app whose records carry a budget (events) registers
its kind once, so the budget pages can name and link the owner without importing it."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class OwnerKind:
    """``url(owner_id)`` is the owner's staff page; ``label`` names the kind ("Event")."""

    key: str
    label: str | Promise
    url: Callable[[int], str]


owner_kinds: dict[str, OwnerKind] = {}


def register_owner_kind(kind: OwnerKind) -> None:
    owner_kinds[kind.key] = kind
