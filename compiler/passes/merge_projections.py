"""Projection merging and constant-filter folding.

  π_e(π_f(x)) = π_{e[f]}(x)      when every f is used at most once or is a plain column (so no work
                                  is duplicated)
  σ_TRUE(x) = x
"""

from __future__ import annotations

from .. import plan as P
from ..expr import Col, Lit, children, substitute
from .rule import BOTTOM_UP, Rule


def _merge(node):
    if isinstance(node, P.Project):
        inner = node.input
        if isinstance(inner, P.Project):
            uses = {}
            for e in node.exprs:
                for c in _col_occurrences(e):
                    uses[c] = uses.get(c, 0) + 1
            if all(uses.get(i, 0) <= 1 or isinstance(f, (Col, Lit)) for i, f in enumerate(inner.exprs)):
                return P.Project(inner.input, tuple(substitute(e, inner.exprs) for e in node.exprs), node.names)
        if _is_identity(node.exprs, inner) and tuple(f.name for f in inner.fields) == tuple(node.names):
            return inner
        return None
    if isinstance(node, P.Filter):
        if isinstance(node.predicate, Lit) and node.predicate.value is True:
            return node.input
    return None


# bottom-up: a projection's input is already merged, so one level at a time suffices
merge_projections = Rule("merge_projections", _merge, BOTTOM_UP)


def _is_identity(exprs, inner) -> bool:
    n = len(inner.fields)
    return len(exprs) == n and all(isinstance(e, Col) and e.index == i for i, e in enumerate(exprs))


def _col_occurrences(e):
    stack, out = [e], []
    while stack:
        x = stack.pop()
        if isinstance(x, Col):
            out.append(x.index)
        else:
            stack.extend(children(x))
    return out
