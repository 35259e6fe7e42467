"""Filter pushdown: move each WHERE conjunct as close to the rows it reads as the laws allow.

Laws (σ = filter, π = projection):
  σ_p(σ_q(x)) = σ_{p∧q}(x)
  σ_p(π_e(x)) = π_e(σ_{p[e]}(x))                      (p with the projection inlined)
  σ_p(a ⋈ b) = σ_p(a) ⋈ b  when p reads only a's columns, likewise for b (inner joins; for a left
                           join only the left side, for a right join only the right side)
  σ_{l = r}(a ⋈ b) = a ⋈_{l = r} b                  (an equality across the sides becomes a key)
  σ_p(a ⋉ b) = σ_p(a) ⋉ b                            (semi/anti/mark joins: p on left columns)
  σ_p(a ∪ b) = σ_p(a) ∪ σ_p(b)
  σ_p(γ_K;A(x)) = γ_K;A(σ_{p[K]}(x))                 when p reads only the grouping keys K and K is not
                                                      empty: p holds for every row of a group or for none
                                                      (a HAVING on the keys; DuckDB pushes it too, so the
                                                      rows of groups it drops are not aggregated there either)
  (A ∧ B) ∨ (A ∧ C) = A ∧ (B ∨ C)                   (a conjunct common to every OR branch is factored
                                                      out first, so it can become a key; Kleene logic)
Never through a global aggregate (it has a row even over no rows), a conjunct that reads an aggregate,
top-k, window functions, or set difference (that would change results).
"""

from __future__ import annotations

from .. import plan as P
from ..expr import Call, columns_used, conjuncts, factor_or, has_volatile, shift, substitute
from .split_join import split_condition


def push_filters(plan):
    return _push(plan, [], {})


def _and_all(preds):
    out = None
    for p in preds:
        out = p if out is None else Call("and", (out, p), p.type, out.nullable or p.nullable)
    return out


def _wrap(node, preds):
    return P.Filter(node, _and_all(preds)) if preds else node


def _push(node, preds, memo):
    """node with the conjuncts ``preds`` (over node's fields) applied, pushed down."""
    if not preds:
        key = id(node)
        if key in memo:
            return memo[key][1]
    out = _push_into(node, preds, memo)
    if not preds:
        memo[id(node)] = (node, out)
    return out


def _push_into(node, preds, memo):
    if isinstance(node, P.Filter):
        return _push(node.input, preds + conjuncts(factor_or(node.predicate)), memo)
    if isinstance(node, P.Project):
        down, keep = [], []
        for p in preds:
            inlined = substitute(p, node.exprs)
            if has_volatile(inlined):
                keep.append(p)
            else:
                down.append(inlined)
        return _wrap(P.Project(_push(node.input, down, memo), node.exprs, node.names), keep)
    if isinstance(node, P.Join):
        return _push_join(node, preds, memo)
    if isinstance(node, P.Semijoin):
        n = len(node.left.fields)
        down = [p for p in preds if max(columns_used(p), default=-1) < n]
        keep = [p for p in preds if p not in down]
        return _wrap(P.Semijoin(_push(node.left, down, memo), _push(node.right, [], memo), node.left_keys,
                                node.right_keys, node.null_safe, node.mode), keep)
    if isinstance(node, P.UnionAll):
        return P.UnionAll(tuple(_push(p, list(preds), memo) for p in node.parts), node.fields)
    if isinstance(node, P.Distinct):
        return P.Distinct(_push(node.input, preds, memo))
    if isinstance(node, P.Aggregate) and node.keys:
        nk = len(node.keys)
        on_keys = [p for p in preds if max(columns_used(p), default=-1) < nk and not has_volatile(p)]
        keep = [p for p in preds if not any(p is k for k in on_keys)]
        down = [substitute(p, node.keys) for p in on_keys]
        return _wrap(P.Aggregate(_push(node.input, down, memo), node.keys, node.aggs, node.names), keep)
    return _wrap(_rebuild(node, memo), preds)


def _push_join(node: P.Join, preds, memo):
    nl = len(node.left.fields)
    left, right, keep = [], [], []
    lk, rk, safe = list(node.left_keys), list(node.right_keys), list(node.null_safe)
    residual = conjuncts(factor_or(node.residual)) if node.residual is not None else []
    for p in preds:
        cols = columns_used(p)
        if cols and max(cols) < nl and node.kind in ("inner", "left"):
            left.append(p)
        elif cols and min(cols) >= nl and node.kind in ("inner", "right"):
            right.append(shift(p, -nl))
        elif node.kind == "inner" and cols and not has_volatile(p):  # (a temporal filter stays a filter)
            l2, r2, s2, res = split_condition(p, nl)
            lk += l2
            rk += r2
            safe += s2
            if res is not None:
                residual.append(res)
        else:
            keep.append(p)
    if node.kind == "inner" and residual:
        # residual conjuncts of an inner join that read one side only can go below it too
        rest = []
        for r in conjuncts(_and_all(residual)):
            cols = columns_used(r)
            if cols and max(cols) < nl:
                left.append(r)
            elif cols and min(cols) >= nl:
                right.append(shift(r, -nl))
            else:
                rest.append(r)
        residual = rest
    elif node.kind in ("left", "right") and residual:
        # ON conjuncts that read only the padded side filter that side before the join
        rest = []
        for r in conjuncts(_and_all(residual)):
            cols = columns_used(r)
            if node.kind == "left" and cols and min(cols) >= nl:
                right.append(shift(r, -nl))
            elif node.kind == "right" and cols and max(cols) < nl:
                left.append(r)
            else:
                rest.append(r)
        residual = rest
    if node.kind in ("left", "right", "full") and residual:
        l2, r2, s2, res = split_condition(_and_all(residual), nl)
        lk += l2
        rk += r2
        safe += s2
        residual = [res] if res is not None else []
    j = P.Join(_push(node.left, left, memo), _push(node.right, right, memo), node.kind, tuple(lk), tuple(rk),
               tuple(safe), _and_all(residual))
    return _wrap(j, keep)


def _rebuild(node, memo):
    """node with its children pushed (no predicates reach below it)."""
    return P.with_inputs(node, [_push(c, [], memo) for c in node.inputs])
