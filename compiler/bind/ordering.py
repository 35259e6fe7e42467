"""ORDER BY, LIMIT / OFFSET / FETCH FIRST, and the constant integers they take.

Laws: an ORDER BY key is a select-list alias, a position or an expression (a bare name in an
expression is an input column if there is one, else an alias); NULLs sort as the dialect says
(last in DuckDB, first for DESC in Postgres, first for ASC in SQLite); SELECT DISTINCT orders only by
selected expressions; LIMIT and OFFSET are constant expressions cast to BIGINT, non-negative (NULL:
no limit); LIMIT p PERCENT keeps floor(p / 100 * count) rows, p a constant from 0 to 100.
"""

from __future__ import annotations

from sqlglot import exp

from .. import plan as P
from ..bind_expr import ExprBinder
from ..codegen import _NOT_CONSTANT, Codegen
from ..errors import CompileError
from ..expr import Col, Lit, is_constant
from ..positions import keyword_position
from ..scope import Rel
from ..types import BIGINT, DOUBLE


class OrderingBinding:
    """QueryBinder methods for the constructs above (mixed into QueryBinder)."""

    def limit_offset(self, node) -> tuple[int | None, int, float | None, P.Plan | None]:
        """(limit, offset, percent, bounds) of a query: LIMIT n [OFFSET m], OFFSET m, FETCH FIRST n
        ROWS ONLY, or LIMIT p PERCENT / LIMIT p % (limit None and percent p: the first floor(p / 100 *
        count) rows after the offset, count being all the rows, as DuckDB computes it).  A LIMIT or
        OFFSET that reads a subquery is computed: ``bounds`` is then the plan of its one row."""
        bounds = self.computed_bounds(node)
        if bounds is not None:
            lim = node.args.get("limit")
            opts = lim.args.get("limit_options") if isinstance(lim, exp.Limit) else None
            percent = self.limit_percent(lim.args.get("expression") or lim.this) \
                if opts is not None and opts.args.get("percent") else None
            return None, 0, percent, bounds
        limit = None
        offset = 0
        percent = None
        lim = node.args.get("limit")
        if isinstance(lim, exp.Fetch):  # FETCH FIRST n ROWS ONLY: LIMIT n (FIRST ROW ONLY: 1)
            opts = lim.args.get("limit_options")
            if opts is not None and (opts.args.get("percent") or opts.args.get("with_ties")):
                raise self.error(lim, "FETCH … PERCENT / WITH TIES is not supported")
            count = lim.args.get("count")
            limit = self.constant_int(count, "FETCH FIRST") if count is not None else 1
        elif lim is not None:
            e = lim.args.get("expression") or lim.this
            opts = lim.args.get("limit_options")
            if opts is not None and opts.args.get("with_ties"):
                raise self.error(lim, "LIMIT … WITH TIES is not supported")
            if opts is not None and opts.args.get("percent"):
                percent = self.limit_percent(e)
            else:
                limit = self.limit_count(e, "LIMIT")
            if lim.args.get("offset") is not None:
                offset = self.limit_count(lim.args["offset"], "OFFSET") or 0
        off = node.args.get("offset")
        if off is not None:
            offset = self.limit_count(off.args.get("expression") or off.this, "OFFSET") or 0
        return limit, offset, percent, None

    def computed_bounds(self, node) -> P.Plan | None:
        """LIMIT / OFFSET expressions that read a subquery (LIMIT (SELECT MAX(i) FROM t)): the plan of
        ``SELECT limit, offset`` (one row; NULL for a limit left out, 0 for an offset), which the
        top-k reads as its data changes; None when both are constants.  Integers only: DuckDB
        converts a computed DECIMAL otherwise than a constant one."""
        lim, off = node.args.get("limit"), node.args.get("offset")
        lim_e = (lim.args.get("expression") or lim.this) if isinstance(lim, exp.Limit) else None
        off_e = (off.args.get("expression") or off.this) if off is not None else \
            (lim.args.get("offset") if isinstance(lim, exp.Limit) else None)
        if not any(e is not None and e.find(exp.Select) is not None for e in (lim_e, off_e)):
            return None
        if isinstance(node, exp.SetOperation):  # (sqlglot leaves the names in its subqueries unresolved)
            raise self.error(lim_e if lim_e is not None else off_e,
                             "a LIMIT / OFFSET computed by a subquery on UNION / INTERSECT / EXCEPT is not supported")
        opts = lim.args.get("limit_options") if isinstance(lim, exp.Limit) else None
        if opts is not None and opts.args.get("with_ties"):
            raise self.error(lim, "LIMIT … WITH TIES is not supported")
        if opts is not None and opts.args.get("percent"):  # a constant percentage, a computed offset
            if lim_e.find(exp.Select) is not None:
                raise self.error(lim_e, "a LIMIT … PERCENT computed by a subquery is not supported")
            lim_e = None
        row = exp.select(lim_e.copy() if lim_e is not None else exp.Null(),
                         off_e.copy() if off_e is not None else exp.Literal.number(0))
        try:
            b = self.query(row)
        except CompileError as e:
            raise self.error(lim_e if lim_e is not None else off_e,
                             f"LIMIT / OFFSET computed by a subquery: {e.message}") from None
        for f, e, what in zip(b.plan.fields, (lim_e, off_e), ("LIMIT", "OFFSET")):
            if f.type.kind not in ("int", "null"):
                raise self.error(e, f"{what} computed by a subquery must be an integer, not {f.type}")
        return b.plan

    def limit_count(self, e, what: str) -> int | None:
        """A LIMIT or OFFSET: a constant expression, cast to BIGINT as DuckDB casts it (1.5 is 2);
        NULL is no limit (no offset)."""
        v = self.folded_constant(e, BIGINT, what)
        if v is None:
            return None
        if v < 0:
            raise self.error(e, f"{what} must not be negative")
        return v

    def limit_percent(self, e) -> float | None:
        """LIMIT p PERCENT: a constant expression, a DOUBLE from 0 to 100; NULL is 100 (all rows)."""
        v = self.folded_constant(e, DOUBLE, "LIMIT … PERCENT")
        if v is not None and not 0 <= v <= 100:
            raise self.error(e, f"LIMIT {v} PERCENT is out of range: a percentage is from 0 to 100")
        return None if v is None or v == 100 else v

    def folded_constant(self, e, target, what: str):
        """The value of a constant expression (no column, no subquery, nothing volatile) converted to
        target, computed now; a CompileError at e otherwise."""
        if e.find(exp.Select) is not None:
            raise self.error(e, f"a subquery in {what} is not supported (the limit must be a constant)")
        rel = Rel(P.Values(((),), ()))
        try:
            v = ExprBinder(self, rel).bind(e)
        except CompileError as err:
            raise self.error(e, f"{what} must be a constant expression ({err.message})") from None
        if not is_constant(v):
            raise self.error(e, f"{what} must be a constant expression, not {e.sql(dialect='duckdb')}")
        if v.type.kind not in ("int", "uhugeint", "decimal", "float", "text", "null"):
            raise self.error(e, f"{what} must be a number, not {v.type}")
        v = ExprBinder(self, rel).coerce(v, target, e)
        value = Codegen(self.dialect)._constant(v)
        if value is _NOT_CONSTANT:
            raise self.error(e, f"{what} {e.sql(dialect='duckdb')} is not a {target} constant")
        return value

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
        terms = [o.this for o in order_node.expressions]
        for i, o in enumerate(order_node.expressions):
            e = o.this
            if self.dialect.name == "duckdb" and (  # (SQLite orders by such a constant: by nothing)
                    isinstance(e, (exp.Boolean, exp.Null)) or (isinstance(e, exp.Literal) and e.is_string)):
                line, col = keyword_position(terms, i, e.sql(), self.sql)
                raise CompileError(f"ORDER BY a non-integer literal ({e.sql()}) has no effect", line, col, self.sql)
            idx = None
            if isinstance(e, exp.Column) and not e.table and e.name in aliases:
                idx = prefix + aliases[e.name]
            elif isinstance(e, exp.Literal):
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
