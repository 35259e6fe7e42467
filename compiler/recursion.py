"""WITH RECURSIVE: grouping CTEs into (mutually) recursive groups, typing them, and checking that
each group can be computed as a monotone fixpoint.

A group is a strongly connected set of CTEs.  Each member's body is a UNION [ALL] of terms; terms
that read no member are anchors.  UNION gives set semantics (the least fixpoint of
X = DISTINCT(anchors ∪ terms(X))); UNION ALL gives bag semantics (the sum of all iterations), which
is only well defined when every term reads the group at most once, linearly.  Stratification:
negation (NOT EXISTS, NOT IN, EXCEPT, the NULL side of an outer join), aggregation and ORDER BY/LIMIT
may read a group only from outside it (a lower stratum); through the cycle they are refused, except
in a single UNION CTE, which (like one whose term reads it twice) is evaluated as DuckDB evaluates it,
iteration by iteration (compiler/iterative_recursion.py).
"""

from __future__ import annotations

from sqlglot import exp

from . import plan as P
from .iterative_recursion import not_a_fixpoint, working_table_recursion
from .keyed_recursion import bind_keyed_cte
from .recursion_types import cast_to, unify
from .scope import Bound


def bind_recursive_ctes(qb, ctes) -> None:
    for c in ctes:  # DuckDB's rule for every CTE of a WITH RECURSIVE, recursive or not
        body = c.this
        if isinstance(body, exp.Union):
            if body.args.get("order") is not None:
                raise qb.error(body.args["order"], "ORDER BY in a recursive query is not allowed")
            if body.args.get("limit") is not None or body.args.get("offset") is not None:
                raise qb.error(body.args.get("limit") or body.args["offset"],
                               "LIMIT or OFFSET in a recursive query is not allowed")
    names = [c.alias for c in ctes]
    by_name = {c.alias: c for c in ctes}
    deps = {c.alias: {t.name for t in c.this.find_all(exp.Table) if t.name in by_name} for c in ctes}
    for scc in _sccs(names, deps):
        keyed = [n for n in scc if by_name[n].args.get("key_expressions")]
        if keyed:  # DuckDB's USING KEY recursion (compiler/keyed_recursion.py)
            bind_keyed_cte(qb, by_name[keyed[0]], scc)
        elif len(scc) == 1 and scc[0] not in deps[scc[0]]:
            qb.ctes[scc[0]] = qb.cte_body(by_name[scc[0]])
        else:
            _bind_group(qb, [by_name[n] for n in scc])


def _sccs(names, deps):
    """Strongly connected components in dependency order (Tarjan; dependencies first)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(deps[v], key=names.index):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp, key=names.index))

    for v in names:
        if v not in index:
            visit(v)
    return out


def _terms(qb, node, name):
    """The UNION terms of a CTE body and whether the unions are distinct (UNION) or not."""
    if isinstance(node, exp.Union) and not node.args.get("order") and not node.args.get("limit"):
        lt, ld = _terms(qb, node.this, name)
        rt, rd = _terms(qb, node.expression, name)
        d = bool(node.args.get("distinct"))
        for sub in (ld, rd):
            if sub is not None and sub != d:
                raise qb.error(node, f"recursive CTE {name} mixes UNION and UNION ALL")
        return lt + rt, d
    return [node], None


def _bind_group(qb, ctes) -> None:
    qb._groups += 1
    gid = qb._groups
    members = [c.alias for c in ctes]
    info = {}
    for c in ctes:
        terms, distinct = _terms(qb, c.this, c.alias)
        rec = [t for t in terms if any(x.name in members for x in t.find_all(exp.Table))]
        anchors = [t for t in terms if t not in rec]
        cols = [x.name for x in c.args["alias"].columns] if c.args.get("alias") is not None else []
        info[c.alias] = dict(cte=c, terms=terms, anchors=anchors, rec=rec, distinct=bool(distinct), cols=cols)
    fields, bound_terms = {}, {n: {} for n in members}
    for n in members:
        for t in info[n]["anchors"]:
            bound_terms[n][id(t)] = qb.query(t)
        if info[n]["anchors"]:
            fields[n] = unify(qb, n, [bound_terms[n][id(t)] for t in info[n]["anchors"]], info[n])
    # members without an anchor take their types from the first term that can be bound
    progress = True
    while len(fields) < len(members) and progress:
        progress = False
        for n in members:
            if n in fields:
                continue
            for t in info[n]["rec"]:
                needed = {x.name for x in t.find_all(exp.Table) if x.name in members}
                if needed <= set(fields):
                    _register(qb, fields, gid)
                    b = qb.query(t)
                    bound_terms[n][id(t)] = b
                    fields[n] = unify(qb, n, [b], info[n])
                    progress = True
                    break
    missing = [n for n in members if n not in fields]
    if missing:
        raise qb.error(info[missing[0]]["cte"], f"cannot determine the column types of recursive CTE "
                                                f"{missing[0]}: it has no non-recursive term")
    # a column is NOT NULL in the fixpoint if it is in every term, given that it is in the group:
    # start from the anchors' nullability and widen until the terms agree (at most once per column)
    fields = {n: tuple(P.Field(f.name, f.type, _anchor_nullable(bound_terms[n], info[n], i)) for i, f in enumerate(fs))
              for n, fs in fields.items()}
    # The column types are the anchors' (as DuckDB types them): a recursive term's values are cast to
    # them, so a DECIMAL(2,1) anchor doubled until 12.0 fails, and an INTEGER anchor plus 0.5 rounds.
    while True:
        _register(qb, fields, gid)
        plans, raw = {}, {}
        for n in members:
            plans[n], raw[n] = [], []
            for t in info[n]["terms"]:
                b = bound_terms[n].get(id(t))
                if b is None or t in info[n]["rec"]:
                    b = qb.query(t)
                if len(b.names) != len(fields[n]):
                    raise qb.error(t, f"each term of recursive CTE {n} must have {len(fields[n])} columns, "
                                      f"not {len(b.names)}")
                raw[n].append(b.plan)
        widened = {}
        for n in members:
            cols = []
            for i, f in enumerate(fields[n]):
                cols.append(P.Field(f.name, f.type, f.nullable or any(plan.fields[i].nullable for plan in raw[n])))
            widened[n] = tuple(cols)
        if widened == fields:
            for n in members:
                plans[n] = [(t, cast_to(qb, plan, fields[n], t)) for t, plan in zip(info[n]["terms"], raw[n])]
            break
        fields = widened
    if len(members) == 1 and info[members[0]]["distinct"] and qb.dialect.name == "duckdb":
        n = members[0]
        rec = [(t, plan) for t, plan in plans[n] if t in info[n]["rec"]]
        if any(not_a_fixpoint(qb, plan, gid, _check_term, (qb, plan, gid, members, n, t, False))
               for t, plan in rec):
            node = working_table_recursion(qb, n, [p for t, p in plans[n] if t not in info[n]["rec"]],
                                           [p for t, p in rec], fields[n], gid)
            qb.ctes[n] = Bound(node, [f.name for f in fields[n]])
            return
    bodies = []
    for n in members:
        parts = []
        for t, plan in plans[n]:
            if t in info[n]["rec"]:
                _check_term(qb, plan, gid, members, n, t, linear=not info[n]["distinct"])
            parts.append(plan)
        body = parts[0] if len(parts) == 1 else P.UnionAll(tuple(parts), fields[n])
        bodies.append(body)
    distinct = tuple(info[n]["distinct"] for n in members)
    for k, n in enumerate(members):
        node = P.Fixpoint(tuple(members), tuple(bodies), distinct, k, gid, fields[n], qb.max_iterations)
        qb.ctes[n] = Bound(node, [f.name for f in fields[n]])


def _anchor_nullable(bound_terms, info, i) -> bool:
    anchors = [bound_terms[id(t)] for t in info["anchors"] if id(t) in bound_terms]
    return not anchors or any(b.plan.fields[i].nullable for b in anchors)


def _register(qb, fields, gid) -> None:
    for n, f in fields.items():
        qb.ctes[n] = P.RecRef(n, f, gid)


# what makes a position non-monotone (negation/aggregation through the cycle)
def _check_term(qb, plan, gid, members, name, term_ast, linear: bool) -> None:
    uses = []

    def visit(node, reason):
        if isinstance(node, P.RecRef):
            if node.group == gid:
                if reason is not None:
                    cycle = " -> ".join(members + [members[0]]) if len(members) > 1 else f"{name} -> {name}"
                    raise qb.error(term_ast, f"recursive CTE {name} is not stratifiable: the cycle {cycle} "
                                             f"goes through {reason}")
                uses.append(node)
            return
        if isinstance(node, P.Aggregate):
            visit(node.input, "an aggregation")
        elif isinstance(node, P.TopK):
            visit(node.input, "ORDER BY … LIMIT")
        elif isinstance(node, P.Window):
            visit(node.input, "a window function")
        elif isinstance(node, P.Distinct):
            visit(node.input, "DISTINCT inside a UNION ALL recursion" if linear else reason)
        elif isinstance(node, P.SetOp):
            visit(node.left, reason if not linear else f"{node.kind.upper()} inside a UNION ALL recursion")
            visit(node.right, "the right side of EXCEPT" if node.kind.startswith("except") else
                  (reason if not linear else "INTERSECT inside a UNION ALL recursion"))
        elif isinstance(node, P.Semijoin):
            visit(node.left, reason)
            visit(node.right, (reason if not linear else "a subquery inside a UNION ALL recursion")
                  if node.mode == "semi" else "a negation (NOT EXISTS / NOT IN)")
        elif isinstance(node, P.Join):
            visit(node.left, "the NULL-padded side of an outer join" if node.kind in ("right", "full") else reason)
            visit(node.right, "the NULL-padded side of an outer join" if node.kind in ("left", "full") else reason)
        elif isinstance(node, P.Fixpoint):
            for b in node.bodies:
                visit(b, reason)
        else:
            for child in node.inputs:
                visit(child, reason)

    visit(plan, None)
    if linear and len(uses) > 1:
        raise qb.error(term_ast, f"recursive CTE {name} uses UNION ALL but its recursive term reads the recursion "
                                 f"{len(uses)} times; use UNION (set semantics) for non-linear recursion")
