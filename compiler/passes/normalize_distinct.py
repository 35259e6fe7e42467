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


def normalize_distinct(plan):
    return _walk(plan, False, {})


def _walk(node, under_distinct: bool, memo):
    key = (id(node), under_distinct)
    if key in memo:
        return memo[key][1]
    out = _rewrite(node, under_distinct, memo)
    memo[key] = (node, out)
    return out


def _rewrite(node, d: bool, memo):
    if isinstance(node, P.Distinct):
        inner = _walk(node.input, True, memo)
        return inner if d else P.Distinct(inner)
    if isinstance(node, P.Filter):
        return P.Filter(_walk(node.input, d, memo), node.predicate)
    if isinstance(node, P.Project):
        return P.Project(_walk(node.input, d, memo), node.exprs, node.names)
    if isinstance(node, P.Join):
        return P.Join(_walk(node.left, d, memo), _walk(node.right, d, memo), node.kind, node.left_keys,
                      node.right_keys, node.null_safe, node.residual)
    if isinstance(node, P.UnionAll):
        return P.UnionAll(tuple(_walk(p, d, memo) for p in node.parts), node.fields)
    if isinstance(node, P.Semijoin):
        return P.Semijoin(_walk(node.left, d, memo), _walk(node.right, True, memo), node.left_keys,
                          node.right_keys, node.null_safe, node.mode)
    if isinstance(node, P.SetOp):
        # EXCEPT / INTERSECT (set forms) only test membership, so their inputs may drop a DISTINCT
        set_form = node.kind in ("except", "intersect")
        return P.SetOp(_walk(node.left, set_form, memo), _walk(node.right, set_form, memo), node.kind)
    if isinstance(node, P.Aggregate):
        return P.Aggregate(_walk(node.input, False, memo), node.keys, node.aggs, node.names)
    if isinstance(node, P.TopK):
        return P.TopK(_walk(node.input, False, memo), node.order, node.limit, node.offset, node.partition)
    if isinstance(node, P.Window):
        return P.Window(_walk(node.input, False, memo), node.partition, node.order, node.calls, node.names)
    if isinstance(node, P.Fixpoint):
        # the bodies' own DISTINCT (UNION) is implied by node.distinct; keep bodies' multiplicities
        return P.Fixpoint(node.names, tuple(_walk(b, False, memo) for b in node.bodies), node.distinct,
                          node.index, node.group, node.fields, node.max_iterations)
    return node
