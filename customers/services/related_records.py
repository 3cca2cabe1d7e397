"""Every table that holds rows belonging to a customer, discovered from the model graph.

Merging, exporting (PIPL art. 45) and anonymising (art. 47) must reach every row about a
person — including rows of models that later apps add (messages, feedback, events) — so
they walk ``Customer._meta`` here instead of listing models by hand.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import models

from customers.models import Customer


@dataclass(frozen=True)
class RelatedTable:
    """One table pointing at ``Customer`` through ``customer_field``.

    For the auto-created table behind a many-to-many field (tags, static lists)
    ``other_field`` names the column pointing at the other side; it is empty for ordinary
    foreign keys.
    """

    model: type[models.Model]
    customer_field: str
    other_field: str = ""

    @property
    def is_membership(self) -> bool:
        return bool(self.other_field)

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def other_model(self) -> type[models.Model] | None:
        if not self.other_field:
            return None
        return self.model._meta.get_field(self.other_field).related_model


def customer_related_tables() -> Iterator[RelatedTable]:
    """Foreign keys (and one-to-one keys) to ``Customer`` from any installed model, and the
    link tables of many-to-many relations in both directions.

    Relations declared with ``related_name="+"`` are skipped on purpose: they mark a
    reference *about* a customer that must keep pointing at the original row (for example
    ``CustomerMerge.merged``).
    """
    for relation in Customer._meta.related_objects:
        if relation.many_to_many:
            through = relation.through
            if through._meta.auto_created:
                yield RelatedTable(
                    through,
                    relation.field.m2m_reverse_field_name(),
                    relation.field.m2m_field_name(),
                )
            # An explicit through model is reached through its own foreign key below.
            continue
        yield RelatedTable(relation.related_model, relation.field.name)
    for field in Customer._meta.many_to_many:
        through = field.remote_field.through
        if through._meta.auto_created:
            yield RelatedTable(through, field.m2m_field_name(), field.m2m_reverse_field_name())


def child_relations(model: type[models.Model]) -> Iterator[tuple[type[models.Model], str]]:
    """Rows hanging off a customer's rows (order → order lines): reverse one-to-many keys,
    excluding ones back to ``Customer`` itself."""
    for relation in model._meta.related_objects:
        if relation.many_to_many or relation.related_model is Customer:
            continue
        yield relation.related_model, relation.field.name


def concrete_values(obj: models.Model) -> dict:
    """A row's stored values by field name (foreign keys as ids), ready for JSON with
    ``DjangoJSONEncoder``."""
    values = {}
    for field in obj._meta.concrete_fields:
        value = field.value_from_object(obj)
        if isinstance(field, models.FileField):
            value = value.name if value else ""
        values[field.name] = value
    return values
