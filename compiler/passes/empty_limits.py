"""LIMIT 0 is empty: a top-k that keeps no row is replaced by a constant relation of no rows.

Law: TopK(x, limit 0) = ∅ for every x (with ties kept or not: there is no last row to tie with), so
nothing below it is computed, as a batch engine does not compute it either (DuckDB's optimizer
empties a LIMIT 0 before it runs): an expression there that would fail on some row fails nowhere.
A computed limit (LIMIT (SELECT …)) or a percentage is left alone: its value is known only per step.
"""

from __future__ import annotations

from .. import plan as P
from .rule import TOP_DOWN, Rule


def _empty(node):
    if isinstance(node, P.TopK) and node.limit == 0 and node.percent is None and node.bounds is None:
        return P.Values((), node.fields)
    return None


# top-down: the rows below an emptied top-k are never visited
empty_limits = Rule("empty_limits", _empty, TOP_DOWN)
