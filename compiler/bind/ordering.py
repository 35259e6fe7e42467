"""ORDER BY, LIMIT / OFFSET / FETCH FIRST, and the constant integers they take.

Laws: an ORDER BY key is a select-list alias, a position or an expression (a bare name in an
expression is an input column if there is one, else an alias); NULLs sort as the dialect says
(last in DuckDB, first for DESC in Postgres, first for ASC in SQLite); SELECT DISTINCT orders only by
selected expressions; LIMIT and OFFSET are non-negative integer constants.
"""

from __future__ import annotations

from sqlglot import exp

from .. import plan as P
from ..bind_expr import ExprBinder
from ..expr import Col, Lit
from ..scope import Rel


class OrderingBinding:
    """QueryBinder methods for the constructs above (mixed into QueryBinder)."""

    def limit_offset(self, node):
        limit = None
        offset = 0
        lim = node.args.get("limit")
        if isinstance(lim, exp.Fetch):  # FETCH FIRST n ROWS ONLY: LIMIT n (FIRST ROW ONLY: 1)
            opts = lim.args.get("limit_options")
            if opts is not None and (opts.args.get("percent") or opts.args.get("with_ties")):
                raise self.error(lim, "FETCH … PERCENT / WITH TIES is not supported")
            count = lim.args.get("count")
            limit = self.constant_int(count, "FETCH FIRST") if count is not None else 1
        elif lim is not None:
            e = lim.args.get("expression") or lim.this
            limit = self.constant_int(e, "LIMIT")
            if lim.args.get("offset") is not None:
                offset = self.constant_int(lim.args["offset"], "OFFSET")
        off = node.args.get("offset")
        if off is not None:
            offset = self.constant_int(off.args.get("expression") or off.this, "OFFSET")
        return limit, offset

    def order_position(self, e) -> int:
        """ORDER BY 2: a position in the select list (ORDER BY 2.5 is refused, as DuckDB does:
        ordering by a constant has no effect)."""
        if not e.is_int:
            raise self.error(e, f"ORDER BY a non-integer literal ({e.sql()}) has no effect")
        return int(e.this)

    def constant_int(self, e, what: str, signed: bool = False) -> int:
        rel = Rel(P.Values(((),), ()))
        v = ExprBinder(self, rel).bind(e)
        if not isinstance(v, Lit) or not isinstance(v.value, int) or isinstance(v.value, bool) or \
                (v.value < 0 and not signed):
            raise self.error(e, f"{what} must be {'an' if signed else 'a non-negative'} integer constant")
        return v.value

    def order_by(self, order_node, select, exprs, eb: ExprBinder, prefix: int, distinct: bool):
        """Sort keys over the projected row [prefix, exprs, hidden...] and the hidden expressions."""
        aliases = {}
        for i, p in enumerate(select.expressions):
            aliases.setdefault(p.alias_or_name, i)
        proj_asts = [p.this if isinstance(p, exp.Alias) else p for p in select.expressions]
        keys, hidden = [], []
        width = prefix + len(exprs)
        for o in order_node.expressions:
            e = o.this
            idx = None
            if isinstance(e, exp.Column) and not e.table and e.name in aliases:
                idx = prefix + aliases[e.name]
            elif isinstance(e, exp.Literal) and not e.is_string:
                n = self.order_position(e)
                if not 1 <= n <= len(exprs):
                    raise self.error(e, f"ORDER BY position {n} is not in the select list")
                idx = prefix + n - 1
            elif e in proj_asts:
                idx = prefix + proj_asts.index(e)
            if idx is not None:
                t = exprs[idx - prefix]
                key = Col(idx, t.type, t.nullable)
            else:
                if distinct:
                    raise self.error(e, "for SELECT DISTINCT, ORDER BY expressions must appear in the select list")
                # inside an ORDER BY expression a bare name is an input column if there is one, else
                # a select-list alias standing for its expression (as DuckDB and Postgres resolve it)
                e = e.transform(lambda n: self.order_name(n, eb.rel, aliases, proj_asts))
                b = eb.bind(e)
                hidden.append(b)
                key = Col(width + len(hidden) - 1, b.type, b.nullable)
            desc = bool(o.args.get("desc"))
            nulls_first = o.args.get("nulls_first")
            if nulls_first is None:
                nulls_first = desc if self.dialect.name in ("postgres",) else (not desc if self.dialect.name == "sqlite" else False)
            keys.append(P.SortKey(key, desc, bool(nulls_first)))
        return keys, hidden

    def order_name(self, n, rel: Rel, aliases, proj_asts):
        if not (isinstance(n, exp.Column) and not n.table):
            return n
        owners = sorted({alias for alias, name in rel.scope if name == n.name})
        if len(owners) == 1:
            return exp.column(n.name, table=owners[0])
        if len(owners) > 1:
            raise self.error(n, f"ambiguous column name {n.name!r} in ORDER BY")
        if n.name in aliases:
            return proj_asts[aliases[n.name]].copy()
        return n
