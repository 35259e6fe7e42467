"""The scopes binding works in, shared by the query binder (binder.py), subqueries
(subqueries.py) and WITH RECURSIVE (recursion.py): ``Bound``, a query bound to a plan; ``Rel``,
the relation a SELECT's expressions are evaluated over, with the names visible in it; ``Outer``, a
correlated subquery's view of its enclosing query.  Plain data, so those modules import it and not
each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from . import plan as P
from .expr import Col
from .bind.messages import _describe
from .frontend import unknown_column, using_columns


@dataclass
class Bound:
    """A bound query: its plan, output names, the number of leading correlation columns, whether it
    yields at most one row per correlation value, and its ORDER BY over the output (if any)."""

    plan: object
    names: list
    prefix: int = 0
    single: bool = False
    order: tuple = ()
    # when ORDER BY reads expressions outside the select list: the plan that still carries them as
    # trailing columns (``order`` then refers to its columns), so rows() can be put in that order
    ordered_plan: object = None


@dataclass
class Outer:
    """A correlated subquery's view of its enclosing query: the domain of the outer values it
    reads (a distinct relation) and where each outer column sits in it."""

    domain: object
    columns: dict  # (alias, column) -> index in domain


@dataclass
class Rel:
    """The relation a SELECT's expressions are evaluated over.  Binding a subquery may replace
    ``plan`` by one with more columns appended; existing column indices never move."""

    plan: object
    scope: dict = field(default_factory=dict)  # (alias, column) -> index
    ast_map: dict = field(default_factory=dict)  # expression AST -> index (after GROUP BY)
    grouped: bool = False
    prefix: int = 0  # a correlated derived table: its leading columns are the correlation domain
    pairs_with: tuple | None = None  # a LATERAL item: the columns its domain columns join (else the domain's)
    # scalar subqueries joined to ``plan`` (their AST, compared by structure -> their value): a subquery
    # written twice (a value and its ORDER BY key) is joined once and is one expression
    scalars: dict = field(default_factory=dict)

    def col(self, i: int) -> Col:
        return P.col(self.plan.fields, i)

    @property
    def width(self) -> int:
        return len(self.plan.fields)

    def resolve(self, node, qb) -> Col:
        """The column a name (or an outer aggregate, mapped by its tree) stands for."""
        i = self.ast_map.get(node) if self.ast_map else None
        if i is None and isinstance(node, exp.Column):
            i = self.scope.get((node.table, node.name))
        if i is None:
            if self.grouped:
                # a.x inside COALESCE(a.x, b.x) is the USING column x the user wrote
                name = node.name if using_columns(node.parent) else node.sql()
                raise qb.error(node, f"column {name!r} must appear in the GROUP BY clause or be used "
                                     f"in an aggregate function")
            if isinstance(node, exp.AggFunc):  # an aggregate of only outer columns, where the outer query cannot aggregate
                text = _describe(node, qb.dialect.name)
                raise qb.error(node, f"aggregate function {text} reads only columns of an enclosing query, so it is "
                                     f"that query's aggregate (SQL's rule), and aggregates are not allowed where the "
                                     f"subquery stands (in a WHERE, an ON, a GROUP BY)")
            raise qb.error(node, unknown_column(node.sql()))
        return self.col(i)
