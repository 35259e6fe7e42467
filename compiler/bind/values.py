"""VALUES lists as queries and FROM items.

Law: every row has the same number of columns, each column the common type of its values; a VALUES
of constants is a constant relation, any other a UNION ALL of one-row projections.
"""

from __future__ import annotations

from sqlglot import exp

from .. import plan as P
from ..bind_expr import ExprBinder
from ..expr import Lit
from ..scope import Bound, Rel
from ..types import NULLTYPE
from .set_operations import _union_fields


class ValuesBinding:
    """QueryBinder methods for the constructs above (mixed into QueryBinder)."""

    def values(self, node: exp.Values, outer) -> Bound:
        rows = node.expressions
        if not rows:
            raise self.error(node, "VALUES needs at least one row")
        unit = Rel(P.Values(((),), ()))
        bound_rows = []
        for r in rows:
            items = r.expressions if isinstance(r, exp.Tuple) else [r]
            eb = ExprBinder(self, unit)
            bound_rows.append([eb.bind(x) for x in items])
        width = len(bound_rows[0])
        if any(len(r) != width for r in bound_rows):
            raise self.error(node, "all VALUES rows must have the same number of columns")
        eb = ExprBinder(self, unit)
        columns = []
        for i in range(width):
            col_exprs, _ = eb.unify([r[i] for r in bound_rows], node, "VALUES")
            columns.append(col_exprs)
        alias = node.args.get("alias")
        names = [c.name for c in alias.columns] if alias is not None and alias.columns else []
        names = names + [f"col{i}" for i in range(len(names), width)]
        if all(isinstance(c[j], Lit) for c in columns for j in range(len(rows))):
            fields = tuple(P.Field(names[i], columns[i][0].type if columns[i][0].type.kind != "null" else NULLTYPE,
                                   any(x.value is None for x in columns[i])) for i in range(width))
            plan = P.Values(tuple(tuple(columns[i][j].value for i in range(width)) for j in range(len(rows))),
                            fields)
        else:
            parts = [P.Project(P.Values(((),), ()), tuple(columns[i][j] for i in range(width)), tuple(names))
                     for j in range(len(rows))]
            plan = parts[0] if len(parts) == 1 else P.UnionAll(tuple(parts), _union_fields(parts))
        if outer is not None:
            p = len(outer.domain.fields)
            j = P.Join(outer.domain, plan, "inner", (), (), ())
            plan = j
            return Bound(plan, names, p)
        return Bound(plan, names)
