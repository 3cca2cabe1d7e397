"""Which kinds of sender count against frequency caps: the class each registered kind's
messages get (care: counted; service: exempt), as admins set it or, until they do, as
the kind's app registered it."""

from dataclasses import dataclass

from django.utils.functional import Promise

from delivery.models import MessageClass, SourceKindClass
from delivery.registry import source_kind, source_kinds


@dataclass(frozen=True)
class KindClass:
    key: str
    label: str | Promise
    default: str
    message_class: str
    setting: SourceKindClass | None

    @property
    def counts_against_caps(self) -> bool:
        return self.message_class == MessageClass.CARE

    @property
    def changed(self) -> bool:
        """Whether admins chose a class other than the registered default."""
        return self.message_class != self.default


def _default(key: str) -> str:
    try:
        return source_kind(key).message_class
    except LookupError:
        return MessageClass.CARE


def source_kind_class(kind: str) -> str:
    """The class of the next messages of ``kind`` (one indexed read)."""
    setting = SourceKindClass.objects.filter(kind=kind).values_list("counts_against_caps").first()
    if setting is None:
        return _default(kind)
    return MessageClass.CARE if setting[0] else MessageClass.SERVICE


def kind_classes() -> list[KindClass]:
    """Every registered kind of sender with its class, in the order of their labels."""
    settings = {row.kind: row for row in SourceKindClass.objects.select_related("updated_by")}
    rows = []
    for key, kind in source_kinds.items():
        setting = settings.get(key)
        rows.append(
            KindClass(
                key=key,
                label=kind.label,
                default=kind.message_class,
                message_class=setting.message_class if setting else kind.message_class,
                setting=setting,
            )
        )
    return sorted(rows, key=lambda row: str(row.label))
