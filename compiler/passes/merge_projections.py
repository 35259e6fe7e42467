"""Projection merging and constant-filter folding.

  π_e(π_f(x)) = π_{e[f]}(x)      when every f is used at most once or is a plain column (so no work
                                  is duplicated)
  σ_TRUE(x) = x
"""

from __future__ import annotations

from .. import plan as P
from ..expr import Col, Lit, columns_used, substitute


def merge_projections(plan):
    return _walk(plan, {})


def _walk(node, memo):
    if id(node) in memo:
        return memo[id(node)][1]
    out = _rewrite(node, memo)
    memo[id(node)] = (node, out)
    return out


def _rewrite(node, memo):
    if isinstance(node, P.Project):
        inner = _walk(node.input, memo)
        if isinstance(inner, P.Project):
            uses = {}
            for e in node.exprs:
                for c in _col_occurrences(e):
                    uses[c] = uses.get(c, 0) + 1
            if all(uses.get(i, 0) <= 1 or isinstance(f, (Col, Lit)) for i, f in enumerate(inner.exprs)):
                return P.Project(inner.input, tuple(substitute(e, inner.exprs) for e in node.exprs), node.names)
        if _is_identity(node.exprs, inner):
            return inner if tuple(f.name for f in inner.fields) == tuple(node.names) else \
                P.Project(inner, node.exprs, node.names)
        return P.Project(inner, node.exprs, node.names)
    if isinstance(node, P.Filter):
        inner = _walk(node.input, memo)
        if isinstance(node.predicate, Lit) and node.predicate.value is True:
            return inner
        return P.Filter(inner, node.predicate)
    return _rebuild(node, memo)


def _is_identity(exprs, inner) -> bool:
    n = len(inner.fields)
    return len(exprs) == n and all(isinstance(e, Col) and e.index == i for i, e in enumerate(exprs))


def _col_occurrences(e):
    stack, out = [e], []
    from ..expr import children
    while stack:
        x = stack.pop()
        if isinstance(x, Col):
            out.append(x.index)
        else:
            stack.extend(children(x))
    return out


def _rebuild(node, memo):
    return P.with_inputs(node, [_walk(c, memo) for c in node.inputs])


__all__ = ["merge_projections", "columns_used"]
