"""Binding ``WITH RECURSIVE t(cols) USING KEY (k, …) AS (anchor UNION [ALL] step)``: DuckDB's keyed
recursion, a union table with one row per key that each iteration's rows overwrite.

The definition (DuckDB 2.0's, which runtime/nested/keyed.py implements): the anchor's rows are the
first iteration; in each further iteration ``step`` reads ``t`` as the rows the previous iteration
produced (UNION: those that changed the union table; UNION ALL: all of them) and ``recurring.t`` as
the union table; its rows replace their keys' rows; the recursion stops after an iteration that
changes nothing (UNION) or produces nothing (UNION ALL).  As in DuckDB, the top-level UNION splits
the body: its left side is the anchor (which may not read ``t``), its right side the step; the
column types are the anchor's, and the step's values are cast to them.

Because a later iteration overwrites an earlier one, this is not a monotone fixpoint: the step may
read ``t`` any number of times, under aggregation or negation, with no stratification to check.
The plan node is a ``KeyedFixpoint``; lowering (compiler/keyed_lowering.py) makes it an operator
that recomputes the recursion when an input changes.

Aggregates in USING KEY (``USING KEY (k, min(v))``, DuckDB 2.0's aggregating form) are bound by
compiler/keyed_aggregation.py.  Refused, each at its position: a key that is not a column of ``t``, a
body that is not ``anchor UNION [ALL] step``, an anchor that reads ``t``, a USING KEY CTE mutually recursive with another CTE or reading
the CTE of an enclosing recursion, and a recursive CTE inside the step that reads ``t``.
"""

from __future__ import annotations

from sqlglot import exp

from . import plan as P
from .aggregates import is_aggregate
from .keyed_aggregation import bind_aggregating
from .recurring import recurring_name
from .recursion_types import bind_widening, cast_to, unify
from .scope import Bound


def bind_keyed_cte(qb, cte: exp.CTE, group_members) -> None:
    """Bind the USING KEY CTE ``cte`` into ``qb.ctes``; ``group_members`` are the CTEs of its
    strongly connected group (it must be alone in it)."""
    name = cte.alias
    if len(group_members) > 1:
        others = ", ".join(m for m in group_members if m != name)
        raise qb.error(cte, f"recursive CTE {name} with USING KEY is mutually recursive with {others}: "
                            f"not supported")
    body = cte.this
    if not isinstance(body, exp.Union) or any(body.args.get(a) for a in ("order", "limit", "offset")):
        raise qb.error(body, f"recursive CTE {name} with USING KEY must be anchor UNION [ALL] recursive term")
    recname = recurring_name(name)
    anchor_ast, step_ast = body.this, body.expression
    for t in anchor_ast.find_all(exp.Table):
        if t.name in (name, recname):
            raise qb.error(t, f"the anchor (the first term) of recursive CTE {name} cannot read {name}")
    qb._groups += 1
    gid = qb._groups
    anchor = qb.query(anchor_ast)
    cols = [c.name for c in cte.args["alias"].columns] if cte.args.get("alias") is not None else []
    fields = unify(qb, name, [anchor], dict(cte=cte, cols=cols))
    fields = tuple(P.Field(f.name, f.type, anchor.plan.fields[i].nullable) for i, f in enumerate(fields))
    keys = _key_positions(qb, cte, [f.name for f in fields])
    if cte.meta.get("key_aggregates"):
        node, step = bind_aggregating(qb, cte, name, anchor, anchor_ast, step_ast, fields, keys, gid, recname,
                                      bool(body.args.get("distinct")))
        _check_reads(qb, anchor.plan, gid, name, anchor_ast)
        _check_reads(qb, step.plan, gid, name, step_ast)
        qb.ctes[name] = Bound(node, [f.name for f in fields])
        return

    def register(fields):
        qb.ctes[name] = P.RecRef(name, fields, gid)
        qb.ctes[recname] = P.RecRef(recname, fields, gid)

    step, fields, _ = bind_widening(qb, name, step_ast, fields, register)
    _check_reads(qb, anchor.plan, gid, name, anchor_ast)
    _check_reads(qb, step.plan, gid, name, step_ast)
    node = P.KeyedFixpoint(name, cast_to(qb, anchor.plan, fields, anchor_ast), cast_to(qb, step.plan, fields, step_ast),
                           keys, bool(body.args.get("distinct")), gid, recname, fields, qb.max_iterations)
    qb.ctes[name] = Bound(node, [f.name for f in fields])


def _key_positions(qb, cte, names) -> tuple:
    out = []
    for k in cte.args["key_expressions"]:
        if is_aggregate(k) or isinstance(k, (exp.AggFunc, exp.Anonymous)) or \
                (isinstance(k, exp.Alias) and isinstance(k.this, (exp.AggFunc, exp.Anonymous))):
            raise qb.error(k, f"an aggregate in USING KEY ({k.sql()}) is not supported; USING KEY takes "
                              f"column names")
        if isinstance(k, exp.Column) and not k.table:
            k = k.this
        if not isinstance(k, exp.Identifier):
            raise qb.error(k, f"USING KEY takes column names of {cte.alias}, not {k.sql()}")
        if k.name not in names:
            raise qb.error(k, f"USING KEY names {k.name}, which is not a column of {cte.alias}")
        i = names.index(k.name)
        if i not in out:
            out.append(i)
    return tuple(out)


def _check_reads(qb, plan, gid, name, term_ast) -> None:
    """Refuse what the keyed operator cannot run: a read of another recursion's relation (an
    enclosing recursive CTE's), or a recursion nested in the term that reads this one."""
    outer = P.free_groups(plan) - {gid}
    if outer:
        ref = next(p for p in P.walk(plan) if isinstance(p, P.RecRef) and p.group in outer)
        raise qb.error(term_ast, f"recursive CTE {name} with USING KEY reads {ref.name}, a recursive CTE it "
                                 f"is nested in: not supported")
    for p in P.walk(plan):
        if isinstance(p, (P.Fixpoint, P.KeyedFixpoint)) and gid in P.free_groups(p):
            raise qb.error(term_ast, f"a recursive CTE inside the recursive term of {name} (USING KEY) that "
                                     f"reads {name} is not supported")
