"""Set operations: UNION [ALL | BY NAME], EXCEPT [ALL], INTERSECT [ALL], with their ORDER BY / LIMIT.

Laws: both sides have the same number of columns, each column the common type of its two sides;
UNION is DISTINCT(UNION ALL); EXCEPT / INTERSECT ALL keep multiplicities (max(a - b, 0), min(a, b)),
their DISTINCT forms work on sets; BY NAME matches columns by name and fills the missing with NULL.
"""

from __future__ import annotations

from sqlglot import exp

from .. import plan as P
from ..expr import Lit
from ..scope import Bound
from ..aggregate_states import WHERE_REFUSED, is_state
from ..types import NULLTYPE, common_type
from .builders import call


def _by_name(b: Bound, names) -> Bound:
    """A side of UNION BY NAME with its columns in the order of ``names`` (NULL where it has none)."""
    own = list(b.names)
    fields = b.plan.fields
    exprs = [P.col(fields, i) for i in range(b.prefix)]
    for n in names:
        i = own.index(n) if n in own else None
        exprs.append(P.col(fields, b.prefix + i) if i is not None else Lit(None, NULLTYPE))
    out = tuple(fields[i].name for i in range(b.prefix)) + tuple(names)
    return Bound(P.Project(b.plan, tuple(exprs), out), list(names), b.prefix)


def _cast_plan(plan, types):
    fields = plan.fields
    if all(f.type == t for f, t in zip(fields, types)):
        return plan
    exprs = []
    for i, (f, t) in enumerate(zip(fields, types)):
        c = P.col(fields, i)
        if f.type != t and f.type.kind != "null":
            c = call("cast", [c], t, t)
        elif f.type.kind == "null":
            c = Lit(None, t)
        exprs.append(c)
    return P.Project(plan, tuple(exprs), tuple(f.name for f in fields))


def _union_fields(parts):
    first = parts[0].fields
    out = []
    for i, f in enumerate(first):
        t = f.type
        nullable = f.nullable
        for p in parts[1:]:
            g = p.fields[i]
            t = common_type(t, g.type) or t
            nullable = nullable or g.nullable
        out.append(P.Field(f.name, t, nullable))
    return tuple(out)


class SetOperationBinding:
    """QueryBinder methods for the constructs above (mixed into QueryBinder)."""

    def set_operation(self, node, outer) -> Bound:
        left = self.query(node.this, outer)
        right = self.query(node.expression, outer)
        if node.args.get("by_name"):
            if not isinstance(node, exp.Union):
                raise self.error(node, f"{type(node).__name__.upper()} BY NAME is not supported")
            # names are normalized (frontend): equal names are the same column, in every dialect
            for side in (left, right):
                dup = next((n for n in side.names if side.names.count(n) > 1), None)
                if dup is not None:
                    raise self.error(node, f"UNION BY NAME: column {dup!r} appears twice on one side")
            seen = set(left.names)
            names = list(left.names) + [n for n in right.names if n not in seen]
            left, right = _by_name(left, names), _by_name(right, names)
        lw, rw = len(left.names), len(right.names)
        if lw != rw:
            raise self.error(node, f"each side of {type(node).__name__.upper()} must have the same number "
                                   f"of columns ({lw} and {rw})")
        lf, rf = left.plan.fields, right.plan.fields
        types = []
        for i in range(len(lf)):
            t = common_type(lf[i].type, rf[i].type)
            if t is None:
                raise self.error(node, f"column {i + 1 - left.prefix} has types {lf[i].type} and {rf[i].type} "
                                       f"that cannot be combined")
            types.append(t if t.kind != "null" else lf[i].type)
        lp = _cast_plan(left.plan, types)
        rp = _cast_plan(right.plan, types)
        distinct = bool(node.args.get("distinct"))
        if (distinct or not isinstance(node, exp.Union)) and any(is_state(t) for t in types):
            raise self.error(node, WHERE_REFUSED.format(what="in UNION, EXCEPT or INTERSECT (only UNION ALL)"))
        if isinstance(node, exp.Union):
            fields = tuple(P.Field(f.name, t, f.nullable or g.nullable)
                           for f, g, t in zip(lp.fields, rp.fields, types))
            plan = P.UnionAll((lp, rp), fields)
            if distinct:
                plan = P.Distinct(plan)
        elif isinstance(node, exp.Except):
            plan = P.SetOp(lp, rp, "except" if distinct else "except_all")
        else:
            plan = P.SetOp(lp, rp, "intersect" if distinct else "intersect_all")
        b = Bound(plan, left.names, left.prefix)
        return self.finish_set_operation(node, b)

    def finish_set_operation(self, node, b: Bound) -> Bound:
        order_node = node.args.get("order")
        limit, offset, percent, bounds = self.limit_offset(node)
        keys = []
        if order_node is not None:
            fields = b.plan.fields
            for o in order_node.expressions:
                e = o.this
                idx = None
                if isinstance(e, exp.Column) and e.name in b.names:
                    idx = b.prefix + b.names.index(e.name)
                elif isinstance(e, exp.Literal) and not e.is_string:
                    idx = b.prefix + self.order_position(e) - 1
                if idx is None or not b.prefix <= idx < len(fields):
                    raise self.error(e, "ORDER BY of a set operation must name an output column")
                desc = bool(o.args.get("desc"))
                nf = o.args.get("nulls_first")
                if nf is None:
                    nf = not desc if self.dialect.name == "sqlite" else False
                keys.append(P.SortKey(P.col(fields, idx), desc, bool(nf)))
        if limit is not None or offset or percent is not None or bounds is not None:
            part = tuple(P.col(b.plan.fields, i) for i in range(b.prefix))
            return Bound(P.TopK(b.plan, tuple(keys), limit, offset, part, percent=percent, bounds=bounds), b.names, b.prefix, limit == 1, tuple(keys))
        return Bound(b.plan, b.names, b.prefix, False, tuple(keys))
