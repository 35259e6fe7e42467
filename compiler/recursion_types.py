"""The column types of a recursive CTE: its anchors' types unified (as DuckDB types them), a term's
columns cast to them, and a recursive term bound until its nullability agrees with theirs."""

from __future__ import annotations

from . import plan as P
from .bind_expr import ExprBinder
from .scope import Rel
from .types import INTEGER, common_type


def unify(qb, name, bounds, info):
    first = bounds[0]
    width = len(first.names)
    names = list(info["cols"]) + first.names[len(info["cols"]):]
    if info["cols"] and len(info["cols"]) != width:
        raise qb.error(info["cte"], f"recursive CTE {name} names {len(info['cols'])} columns but its query "
                                    f"has {width}")
    out = []
    for i in range(width):
        t = first.plan.fields[i].type
        for b in bounds[1:]:
            if len(b.names) != width:
                raise qb.error(info["cte"], f"each term of recursive CTE {name} must have {width} columns")
            t = common_type(t, b.plan.fields[i].type) or t
        if t.kind == "null":
            t = INTEGER
        out.append(P.Field(names[i], t, True))
    return tuple(out)


def cast_to(qb, plan, fields, node):
    src = plan.fields
    if all(a.type == b.type for a, b in zip(src, fields)) and all(a.name == b.name for a, b in zip(src, fields)):
        return plan
    eb = ExprBinder(qb, Rel(plan))
    exprs = []
    for i, f in enumerate(fields):
        c = P.col(src, i)
        if c.type != f.type:
            if common_type(c.type, f.type) is None:
                raise qb.error(node, f"column {f.name} of the recursive term has type {c.type}, which does not "
                                     f"match {f.type}")
            c = eb.coerce(c, f.type, node)
        exprs.append(c)
    return P.Project(plan, tuple(exprs), tuple(f.name for f in fields))


def bind_widening(qb, name, step_ast, fields, register):
    """Bind the recursive term ``step_ast`` with the CTEs ``register(fields)`` puts in ``qb.ctes``,
    widening ``fields``' nullability until the term agrees (at most once per column); returns (the
    bound term, the fields, what ``register`` returned last).  ``qb.ctes`` is restored afterwards."""
    saved = dict(qb.ctes)
    try:
        while True:
            extra = register(fields)
            step = qb.query(step_ast)
            if len(step.names) != len(fields):
                raise qb.error(step_ast, f"each term of recursive CTE {name} must have {len(fields)} columns, "
                                         f"not {len(step.names)}")
            widened = tuple(P.Field(f.name, f.type, f.nullable or step.plan.fields[i].nullable)
                            for i, f in enumerate(fields))
            if widened == fields:
                return step, fields, extra
            fields = widened
    finally:
        qb.ctes.clear()
        qb.ctes.update(saved)
