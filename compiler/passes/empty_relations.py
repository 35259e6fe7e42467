"""Relations known to be empty before any row arrives are replaced by a constant relation of no rows.

Laws: TopK(x, limit 0) = ∅ for every x (with ties kept or not: there is no last row to tie with), and
σ_c(x) = ∅ when the condition c is the constant FALSE or NULL (a row passes a filter only where its
condition is TRUE; the binder folds a constant condition such as ``NULL < 0.5`` to its value).  So
nothing below is computed, as a batch engine does not compute it either (DuckDB's optimizer empties a
LIMIT 0 and a filter that is never true before it runs): an expression there that would fail on some
row fails nowhere.  A computed limit (LIMIT (SELECT …)) or a percentage is left alone: its value is
known only per step; so is a condition that reads a row.  A global aggregate over an emptied input still
has its one row (COUNT(*) 0): only the filter below it is replaced.
"""

from __future__ import annotations

from .. import plan as P
from ..expr import Lit
from .rule import TOP_DOWN, Rule


_NEVER_TRUE = (False, None)  # (a BOOLEAN condition's constant: 0 is no condition's value)


def _empty(node):
    if isinstance(node, P.TopK) and node.limit == 0 and node.percent is None and node.bounds is None:
        return P.Values((), node.fields)
    if isinstance(node, P.Filter) and isinstance(node.predicate, Lit) and node.predicate.value in _NEVER_TRUE:
        return P.Values((), node.fields)
    return None


# top-down: the rows below an emptied relation are never visited
empty_relations = Rule("empty_relations", _empty, TOP_DOWN)
