"""Distinct normalization, only where the DBSP laws allow it (paper §4.2):

  distinct(distinct(x)) = distinct(x)
  distinct(f(distinct(x))) = distinct(f(x))    for f a filter, projection, join (either side),
                                                union, or the left side of a semi/anti/mark join
  a ⋉ distinct(b) = a ⋉ b                      (a semi/anti/mark join only asks whether b has a row)

An inner DISTINCT is removed only on such paths; it is kept below anything that reads
multiplicities: aggregation, EXCEPT ALL / INTERSECT ALL, top-k, window functions, and the plain
output of a view.
"""

from __future__ import annotations

from .. import plan as P
from .rule import TOP_DOWN, Rule


def _strip(node):
    """node without the DISTINCTs reachable from it through operators that keep "some row" (filter,
    projection, join, union, a semi-join's left side): to be used where only that matters."""
    if isinstance(node, P.Distinct):
        return _strip(node.input)
    if isinstance(node, (P.Filter, P.Project, P.Join, P.UnionAll)):
        return _over(node, [_strip(c) for c in node.inputs])
    if isinstance(node, P.Semijoin):
        return _over(node, [_strip(node.left), _strip(node.right)])
    return node


def _over(node, inputs):
    return node if all(a is b for a, b in zip(inputs, node.inputs)) else P.with_inputs(node, inputs)


def _normalize(node):
    if isinstance(node, P.Distinct):
        return _over(node, [_strip(node.input)])
    if isinstance(node, P.Semijoin):  # only whether the right side has a row matters
        return _over(node, [node.left, _strip(node.right)])
    if isinstance(node, P.SetOp) and node.kind in ("except", "intersect"):
        # the set forms only test membership, so their inputs may drop a DISTINCT
        return _over(node, [_strip(node.left), _strip(node.right)])
    return None


# top-down: the outermost DISTINCT of a chain keeps the one that is needed
normalize_distinct = Rule("normalize_distinct", _normalize, TOP_DOWN)
