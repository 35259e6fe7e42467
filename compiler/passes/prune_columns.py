"""Dead-column removal: compute only the columns some ancestor reads.

Law: if a parent reads only columns C of π_E(x), then π_E(x) can be replaced by π_{E|C}(x) with the
parent's column references renumbered; the same holds through filters, joins (each side keeps the
columns the parent, the keys and the residual read), semi-joins (the right side keeps its keys),
aggregates (keys always, aggregates only if read) and UNION ALL (each branch alike).  It must not
cross an operator whose multiplicities depend on whole rows — DISTINCT, set operations, top-k,
window functions, a recursive UNION — so those keep every input column; a recursive UNION ALL keeps the
columns its consumer reads and those its step reads for them (_narrow_fixpoint).  Narrower rows mean
smaller arrangements.
A window function whose value nobody reads is not computed, and a window none of whose values is read
is its input (it extends every row, and drops none).  Below a window, a projected column nobody reads
that is a function of the columns kept as they are becomes NULL: two rows that agree on those columns
agree on it, so no two rows become one (the window's multiplicities stay), and an expression that would
fail is not evaluated where DuckDB drops it.
"""

from __future__ import annotations

import dataclasses

from .. import plan as P
from ..expr import Call, Case, Col, Lit, columns_used, remap


def prune_columns(plan):
    new, _ = _prune(plan, set(range(len(plan.fields))), {})
    return new


def _renumber(e, mapping):
    return remap(e, lambda c: Col(mapping[c.index], c.type, c.nullable, c.name))


def _all(node):
    return set(range(len(node.fields)))


def _identity(node):
    return {i: i for i in range(len(node.fields))}


def _prune(node, required: set, memo):
    key = (id(node), frozenset(required))
    hit = memo.get(key)
    if hit is not None:
        return hit[1], hit[2]
    new, mapping = _rewrite(node, required, memo)
    memo[key] = (node, new, mapping)
    return new, mapping


def _narrow(node, mapping, need):
    """A base-table scan feeding a join keeps only the columns needed (smaller arrangements)."""
    if not isinstance(node, (P.Scan, P.Values)) or len(need) >= len(node.fields):
        return node, mapping
    kept = sorted(need)
    fields = node.fields
    proj = P.Project(node, tuple(P.col(fields, i) for i in kept), tuple(fields[i].name for i in kept))
    return proj, {old: new for new, old in enumerate(kept)}


def _columns_in(x, out: set) -> None:
    """The input columns read by the expressions anywhere in ``x`` (tuples and plan dataclasses such as
    WinCall, SortKey, AggCall), added to ``out``."""
    if isinstance(x, (Col, Lit, Call, Case)):
        columns_used(x, out)
    elif isinstance(x, (tuple, list)):
        for y in x:
            _columns_in(y, out)
    elif dataclasses.is_dataclass(x) and not isinstance(x, type):
        for f in dataclasses.fields(x):
            _columns_in(getattr(x, f.name), out)


def _renumbered(x, mapping):
    """``x`` (expressions in tuples and plan dataclasses, as _columns_in reads them) with each column
    reference renumbered by ``mapping``."""
    if isinstance(x, (Col, Lit, Call, Case)):
        return _renumber(x, mapping)
    if isinstance(x, tuple):
        return tuple(_renumbered(y, mapping) for y in x)
    if isinstance(x, list):
        return [_renumbered(y, mapping) for y in x]
    if isinstance(x, (P.SortKey, P.WinCall, P.AggCall)):  # (not their types: no column is in one)
        fields = dataclasses.fields(x)
        return dataclasses.replace(x, **{f.name: _renumbered(getattr(x, f.name), mapping) for f in fields})
    return x


def _nulled(node, read: set):
    """Below a window: ``node`` (a projection) with each column nobody reads that is a function of the
    columns kept as they are replaced by NULL.  Rows that agree on the kept columns agree on such a column,
    so no two rows become one and the window's multiplicities stay; an expression that would fail where
    nothing reads it is not evaluated (as DuckDB drops it)."""
    if not isinstance(node, P.Project):
        return node
    passed = {e.index for i, e in enumerate(node.exprs) if i in read and isinstance(e, Col)}
    exprs = list(node.exprs)
    for i, e in enumerate(exprs):
        if i not in read and not isinstance(e, (Col, Lit)) and columns_used(e) <= passed:
            exprs[i] = Lit(None, e.type)
    return node if exprs == list(node.exprs) else P.Project(node.input, tuple(exprs), node.names)


def _keep_all(node, memo):
    """node with its children pruned as they allow, every output column kept."""
    new, m = _prune(node, _all(node), memo)
    return new, m


def _rewrite(node, required, memo):
    if isinstance(node, P.Project):
        kept = [i for i in range(len(node.exprs)) if i in required]
        used = set()
        for i in kept:
            columns_used(node.exprs[i], used)
        child, m = _prune(node.input, used, memo)
        exprs = tuple(_renumber(node.exprs[i], m) for i in kept)
        names = tuple(node.names[i] for i in kept)
        return P.Project(child, exprs, names), {old: new for new, old in enumerate(kept)}
    if isinstance(node, P.Filter):
        child, m = _prune(node.input, required | columns_used(node.predicate), memo)
        return P.Filter(child, _renumber(node.predicate, m)), m
    if isinstance(node, P.Join):
        nl = len(node.left.fields)
        need = set(required)
        if node.residual is not None:
            columns_used(node.residual, need)
        left_need = {i for i in need if i < nl}
        right_need = {i - nl for i in need if i >= nl}
        for k in node.left_keys:
            columns_used(k, left_need)
        for k in node.right_keys:
            columns_used(k, right_need)
        left, lm = _narrow(*_prune(node.left, left_need, memo), left_need)
        right, rm = _narrow(*_prune(node.right, right_need, memo), right_need)
        nl2 = len(left.fields)
        mapping = dict(lm)
        mapping.update({i + nl: j + nl2 for i, j in rm.items()})
        residual = _renumber(node.residual, mapping) if node.residual is not None else None
        join = P.Join(left, right, node.kind, tuple(_renumber(k, lm) for k in node.left_keys),
                      tuple(_renumber(k, rm) for k in node.right_keys), node.null_safe, residual)
        if node.kind != "inner" or len(required) >= len(join.fields):
            return join, mapping
        # the parent reads fewer columns than the joined row has (keys, say, or columns only the
        # residual reads): an inner join builds only those (the projection becomes the join's output
        # row when lowered), so its output rows are narrower and consolidate more
        kept = sorted(required)
        fields = join.fields
        proj = P.Project(join, tuple(P.col(fields, mapping[i]) for i in kept),
                         tuple(fields[mapping[i]].name for i in kept))
        return proj, {old: new for new, old in enumerate(kept)}
    if isinstance(node, P.Semijoin):
        nl = len(node.left.fields)
        left_need = {i for i in required if i < nl}
        for k in node.left_keys:
            columns_used(k, left_need)
        right_need = set()
        for k in node.right_keys:
            columns_used(k, right_need)
        left, lm = _prune(node.left, left_need, memo)
        right, rm = _prune(node.right, right_need, memo)
        mapping = dict(lm)
        if node.mode == "mark":
            mapping[nl] = len(left.fields)
        return (P.Semijoin(left, right, tuple(_renumber(k, lm) for k in node.left_keys),
                           tuple(_renumber(k, rm) for k in node.right_keys), node.null_safe, node.mode), mapping)
    if isinstance(node, P.Aggregate):
        nk = len(node.keys)
        kept_aggs = [j for j in range(len(node.aggs)) if nk + j in required]
        used = set()
        for k in node.keys:
            columns_used(k, used)
        for j in kept_aggs:
            a = node.aggs[j]
            for e in (a.arg, a.filter) + tuple(o[0] for o in a.order):
                if e is not None:
                    columns_used(e, used)
        child, m = _prune(node.input, used, memo)

        def agg(a):
            return P.AggCall(a.fn, _renumber(a.arg, m) if a.arg is not None else None, a.distinct,
                             _renumber(a.filter, m) if a.filter is not None else None, a.type, a.nullable,
                             tuple((_renumber(o, m), d, nf) for o, d, nf in a.order), a.param)

        new = P.Aggregate(child, tuple(_renumber(k, m) for k in node.keys), tuple(agg(node.aggs[j]) for j in kept_aggs),
                          node.names[:nk] + tuple(node.names[nk + j] for j in kept_aggs))
        mapping = {i: i for i in range(nk)}
        mapping.update({nk + j: nk + n for n, j in enumerate(kept_aggs)})
        return new, mapping
    if isinstance(node, P.UnionAll):
        kept = sorted(required)
        parts = []
        for part in node.parts:
            child, m = _prune(part, set(kept), memo)
            if [m[i] for i in kept] != list(range(len(kept))) or len(child.fields) != len(kept):
                fields = child.fields
                child = P.Project(child, tuple(P.col(fields, m[i]) for i in kept), tuple(fields[m[i]].name for i in kept))
            parts.append(child)
        fields = tuple(node.fields[i] for i in kept)
        return P.UnionAll(tuple(parts), fields), {old: new for new, old in enumerate(kept)}
    if isinstance(node, P.Distinct):
        child, _ = _keep_all(node.input, memo)
        return P.Distinct(child), _identity(node)
    if isinstance(node, P.SetOp):
        left, _ = _keep_all(node.left, memo)
        right, _ = _keep_all(node.right, memo)
        return P.SetOp(left, right, node.kind), _identity(node)
    if isinstance(node, P.TopK):
        child, _ = _keep_all(node.input, memo)
        bounds = _keep_all(node.bounds, memo)[0] if node.bounds is not None else None
        return (P.TopK(child, node.order, node.limit, node.offset, node.partition, node.ties, node.percent, bounds),
                _identity(node))
    if isinstance(node, P.Window):
        n_in = len(node.input.fields)
        read = {i for i in required if i < n_in}
        calls = [j for j in range(len(node.calls)) if n_in + j in required]
        if not calls:  # no window value is read: the rows as they came (a window keeps every row)
            return _prune(node.input, read, memo)
        kept = tuple(node.calls[j] for j in calls)
        _columns_in((node.partition, node.order, kept), read)
        # every column below is kept (rows that differ only in one nobody reads would become one row of
        # weight 2, which a window recomputes whole), but the unread values of a window right below: its
        # rows are its input's, which were already one row where they were equal
        need = set(range(n_in))
        if isinstance(node.input, P.Window):
            base = len(node.input.input.fields)
            need -= {base + j for j in range(len(node.input.calls)) if base + j not in read}
        child, m = _prune(_nulled(node.input, read), need, memo)
        partition, order = node.partition, node.order
        if any(m[i] != i for i in m):
            partition, order, kept = _renumbered((partition, order, kept), m)
        n_child = len(child.fields)
        mapping = {i: m[i] for i in range(n_in) if i in m}
        mapping.update({n_in + j: n_child + n for n, j in enumerate(calls)})
        return P.Window(child, partition, order, kept, tuple(node.names[j] for j in calls)), mapping
    if isinstance(node, P.RecRef):
        seen = memo.get(("recref", node.group, node.name))
        if isinstance(seen, set):  # _narrow_fixpoint asks which of its columns the step reads
            seen |= required
        elif seen is not None:  # _narrow_fixpoint's narrowed reference
            return seen
        return node, _identity(node)
    if isinstance(node, P.Fixpoint):
        narrowed = _narrow_fixpoint(node, required)
        if narrowed is not None:
            return narrowed
        bodies = tuple(_keep_all(b, memo)[0] for b in node.bodies)
        return (P.Fixpoint(node.names, bodies, node.distinct, node.index, node.group, node.fields,
                           node.max_iterations), _identity(node))
    return node, _identity(node)


def _narrow_fixpoint(node, required: set):
    """A recursive CTE (one relation, UNION ALL) computing only the columns read by its consumer and by
    its own step for those (its step's conditions, joins and keys included), or None.  Law: if the
    columns C of body(X) depend only on the columns C of X, then π_C(fix body) = fix body_C, where
    body_C is the body pruned to C reading π_C(X): by induction every iteration's rows are the
    projections of the whole recursion's, as many of them (UNION ALL keeps every row), so it ends after
    as many iterations.  UNION's duplicates are judged on whole rows, so it keeps every column; so does a
    body holding another recursion (its columns are narrowed on their own, with their own step)."""
    if len(node.names) != 1 or node.distinct[0] or len(required) >= len(node.fields):
        return None
    if any(isinstance(n, (P.Fixpoint, P.KeyedFixpoint)) or (isinstance(n, P.RecRef) and n.group != node.group)
           for n in P.walk(node.bodies[0])):
        return None
    key = ("recref", node.group, node.names[0])
    need = set(required)
    while True:  # the columns the step reads of the rows it is given grow the columns it must compute
        reads: set = set()
        _prune(node.bodies[0], need, {key: reads})
        if reads <= need:
            break
        need |= reads
    if len(need) >= len(node.fields):
        return None
    kept = sorted(need)
    mapping = {old: new for new, old in enumerate(kept)}
    fields = tuple(node.fields[i] for i in kept)
    ref = P.RecRef(node.names[0], fields, node.group)
    body, m = _prune(node.bodies[0], need, {key: (ref, mapping)})
    if [m[i] for i in kept] != list(range(len(kept))) or len(body.fields) != len(kept):
        body = P.Project(body, tuple(P.col(body.fields, m[i]) for i in kept),
                         tuple(body.fields[m[i]].name for i in kept))
    return P.Fixpoint(node.names, (body,), node.distinct, node.index, node.group, fields, node.max_iterations), mapping
