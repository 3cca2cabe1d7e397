"""Name and email "contains" search that stays fast for one- and two-character terms.

On PostgreSQL each customer row carries ``search_grams`` (migration
``0013_search_grams``): the distinct one- and two-character pieces of ``UPPER(name)``
(prefixed ``n``) and ``UPPER(email)`` (prefixed ``e``), kept in step by a trigger and
GIN-indexed. A term's pieces are computed in SQL by ``customer_term_grams`` (a constant
the planner folds), so ``search_grams @> customer_term_grams(term, 'n')`` finds every row
that can contain the term through the index; Django's own ``icontains`` then rechecks
the candidates, so the result is exactly ``icontains``'s, wildcard escaping included.
Other databases run the plain ``icontains``.
"""

from django.db.models import F
from django.db.models.expressions import Col
from django.db.models.lookups import IContains

from customers.models import Customer

GRAM_PREFIXES = {"name": "n", "email": "e"}


class GramIContains(IContains):
    """``icontains`` on a customer's name or email, narrowed first by the gram index.

    The gram column is named from the alias the compiler gave the left-hand column, so
    the condition stays right when Django re-aliases the table (a subquery, a join)."""

    def as_postgresql(self, compiler, connection):
        lhs, term = self.lhs, self.rhs
        if not (
            isinstance(lhs, Col)
            and lhs.target.model._meta.concrete_model is Customer
            and lhs.target.column in GRAM_PREFIXES
            and isinstance(term, str)
            and term
        ):
            return self.as_sql(compiler, connection)
        sql, params = IContains.as_sql(self, compiler, connection)
        grams = f"{compiler.quote_name_unless_alias(lhs.alias)}.search_grams"
        return (
            f"({grams} @> customer_term_grams(%s, %s) AND {sql})",
            (term, GRAM_PREFIXES[lhs.target.column], *params),
        )


def gram_icontains(field: str, term: str) -> GramIContains:
    """A filter condition: ``<field>__icontains=term``, index-assisted on PostgreSQL."""
    return GramIContains(F(field), term)
