"""Binding queries: qualified sqlglot query trees -> logical plans.

One QueryBinder per statement.  A SELECT binds in SQL's logical order: FROM (joins), WHERE,
GROUP BY / aggregates, HAVING, the SELECT list, DISTINCT, ORDER BY / LIMIT.  Expressions are bound
by bind_expr.ExprBinder over a ``Rel``: the relation built so far plus the names visible in it.
Subqueries (EXISTS, IN, scalar, ANY/ALL) are decorrelated in subqueries.py.
"""

from __future__ import annotations

import re
from fractions import Fraction

from sqlglot import exp

from . import plan as P
from . import lists
from . import temporal
from .bind_expr import ExprBinder, boolean, call, is_aggregate, is_not_null, not_
from .errors import CompileError
from .expr import Case, Col, Lit, columns_used, conjuncts, remap, shift
from .frontend import position, token_span, using_binding, using_columns
from .outer_pairs import outer_join_from_pairs
from .recursion import bind_recursive_ctes
from .scope import Bound, Outer, Rel
from .passes.split_join import split_condition
from .subqueries import SubqueryMixin, ast_conjuncts, free_columns, from_items
from .timewindows import SESSION_END, SESSION_START
from .types import BIGINT, BOOLEAN, DOUBLE, HUGEINT, INTEGER, NULLTYPE, TEXT, TIMESTAMP, common_type, decimal_type


class QueryBinder(SubqueryMixin):
    def __init__(self, catalog, dialect, sql: str, max_iterations: int = 10_000):
        self.catalog = catalog
        self.dialect = dialect
        self.sql = sql
        self.ctes: dict = {}  # name -> Bound (or a RecRef while binding a recursive group)
        self.max_iterations = max_iterations
        self._groups = 0
        self.series: dict = {}  # __deltasql_seriesN -> its range(…) / generate_series(…) (frontend._table_functions)

    def error(self, node, message: str) -> CompileError:
        line, col = position(node, self.sql)
        return CompileError(message, line, col, self.sql)

    # -- queries --------------------------------------------------------------------------------
    def query(self, node, outer: Outer | None = None) -> Bound:
        self.series.update(node.meta.get("series") or {})
        saved = dict(self.ctes)
        try:
            with_ = node.args.get("with_")
            if with_ is not None:
                self.with_clause(with_)
            if isinstance(node, exp.Select):
                return self.select(node, outer)
            if isinstance(node, (exp.Union, exp.Except, exp.Intersect)):
                return self.set_operation(node, outer)
            if isinstance(node, exp.Subquery):
                return self.query(node.this, outer)
            if isinstance(node, exp.Values):
                return self.values(node, outer)
            raise self.error(node, f"unsupported query: {type(node).__name__}")
        finally:
            self.ctes = saved

    def with_clause(self, with_: exp.With) -> None:
        ctes = list(with_.expressions)
        if with_.args.get("recursive"):
            bind_recursive_ctes(self, ctes)
            return
        for cte in ctes:
            self.ctes[cte.alias] = self.cte_body(cte)

    def cte_body(self, cte) -> Bound:
        if cte.args.get("materialized") is not None:
            pass  # MATERIALIZED / NOT MATERIALIZED are hints; every CTE is computed once anyway
        b = self.query(cte.this)
        columns = cte.args["alias"].columns if cte.args.get("alias") is not None else []
        if columns:
            if len(columns) > len(b.names):
                raise self.error(cte, f"CTE {cte.alias} has {len(b.names)} columns but {len(columns)} names")
            b = Bound(b.plan, [c.name for c in columns] + b.names[len(columns):], b.prefix, b.single, b.order)
        return b

    # -- SELECT ---------------------------------------------------------------------------------
    def select(self, node: exp.Select, outer: Outer | None) -> Bound:
        self.check_unsupported(node)
        rel = self.from_clause(node, outer)
        prefix = len(outer.domain.fields) if outer is not None else 0
        where = node.args.get("where")
        if where is not None:
            self.where(where.this, rel)
        self.sessions(node, rel)
        aggs = self.collect_aggregates(node)
        group = node.args.get("group")
        having = node.args.get("having")
        single = False
        if aggs or group is not None or having is not None:
            rel, single = self.aggregate(node, rel, aggs, group, prefix, outer)
            if having is not None:
                eb = ExprBinder(self, rel)
                cond = eb.condition(having.this)
                rel.plan = P.Filter(rel.plan, cond)
        windows = [w for w in node.find_all(exp.Window) if _owner(w) is node]
        if windows:
            self.windows(rel, windows, prefix)
        qualify = node.args.get("qualify")
        if qualify is not None:
            if not windows:
                raise self.error(qualify, "QUALIFY needs a window function")
            cond = ExprBinder(self, rel).condition(qualify.this)  # (a subquery in it widens rel.plan first)
            rel.plan = P.Filter(rel.plan, cond)
        eb = ExprBinder(self, rel)
        exprs, names = [], []
        for p in node.expressions:
            if isinstance(p, exp.Star):
                # qualify leaves a star it cannot expand without ambiguity
                raise self.error(p, "SELECT * cannot be expanded here: a FROM item has two columns of one "
                                    "name (give them distinct names) or none")
            target = p.this if isinstance(p, exp.Alias) else p
            exprs.append(eb.bind(target))
            names.append(p.alias_or_name)
        prefix_exprs = [rel.col(i) for i in range(prefix)]
        prefix_names = [f"$corr{i}" for i in range(prefix)]
        distinct = node.args.get("distinct") is not None
        order_node = node.args.get("order")
        limit, offset = self.limit_offset(node)
        order_keys, hidden = [], []
        if order_node is not None:
            order_keys, hidden = self.order_by(order_node, node, exprs, eb, prefix, distinct)
        plan = P.Project(rel.plan, tuple(prefix_exprs + exprs + hidden),
                         tuple(prefix_names + names + [f"$order{i}" for i in range(len(hidden))]))
        if distinct:
            plan = P.Distinct(plan)
        if limit is not None or offset:
            part = tuple(P.col(plan.fields, i) for i in range(prefix))
            plan = P.TopK(plan, tuple(order_keys), limit, offset, part)
            single = single or limit == 1
        ordered = None
        if hidden:
            ordered = plan
            width = prefix + len(exprs)
            plan = P.Project(plan, tuple(P.col(plan.fields, i) for i in range(width)),
                             tuple(prefix_names + names))
        return Bound(plan, names, prefix, single, tuple(order_keys), ordered)

    def check_unsupported(self, node: exp.Select) -> None:
        for key, what in (("into", "SELECT INTO"),
                          ("laterals", "LATERAL"), ("pivots", "PIVOT"), ("connect", "CONNECT BY"),
                          ("sample", "TABLESAMPLE")):
            v = node.args.get(key)
            if v:
                raise self.error(v if isinstance(v, exp.Expression) else node, f"{what} is not supported")

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

    def constant_int(self, e, what: str) -> int:
        rel = Rel(P.Values(((),), ()))
        v = ExprBinder(self, rel).bind(e)
        if not isinstance(v, Lit) or not isinstance(v.value, int) or isinstance(v.value, bool) or v.value < 0:
            raise self.error(e, f"{what} must be a non-negative integer constant")
        return v.value

    # -- FROM -----------------------------------------------------------------------------------
    def from_clause(self, node: exp.Select, outer: Outer | None) -> Rel:
        from_ = node.args.get("from_")
        joins = node.args.get("joins") or []
        outer_joins = any((j.args.get("side") or "").upper() in ("RIGHT", "FULL") for j in joins)
        if outer is not None and (not outer_joins or _from_reads_outer(node)):
            # a correlated SELECT reads FROM domain × items: the outer values are in scope for ON
            # conditions and derived tables too (see join for RIGHT and FULL joins)
            rel = self.outer_rel(outer)
            if from_ is not None:
                rel = self.join_source(rel, self.source(from_.this, outer), from_.this)
            for j in joins:
                rel = self.join(rel, j, outer)
            return rel
        rel = self.source(from_.this) if from_ is not None else Rel(P.Values(((),), ()))
        for j in joins:
            rel = self.join(rel, j)
        if outer is not None:
            rel = self.join_source(self.outer_rel(outer), rel, node)
        return rel

    def outer_rel(self, outer: Outer) -> Rel:
        """The correlation domain as a relation: outer columns by name, outer aggregates by tree."""
        scope, ast_map = {}, {}
        for k, i in outer.columns.items():
            if isinstance(k, tuple):
                scope[k] = i
            else:
                ast_map[k] = i  # an aggregate of the outer query
        return Rel(outer.domain, scope, ast_map)

    def join_source(self, rel: Rel, right: Rel, node) -> Rel:
        """rel × right, or, for a correlated derived table, rel joined with it on the domain."""
        n_left = rel.width
        scope = dict(rel.scope)
        for k, i in right.scope.items():
            if k in scope:
                raise self.error(node, f"duplicate table alias {k[0]!r} in FROM")
            scope[k] = i + n_left
        keys = self.domain_keys(rel, right)
        plan = P.Join(rel.plan, right.plan, "inner", *keys)
        return Rel(plan, scope, dict(rel.ast_map))

    @staticmethod
    def domain_keys(rel: Rel, right: Rel):
        """Join keys pairing a correlated derived table's domain columns with the domain's (or, for
        a LATERAL item, with the columns of the items before it that it reads)."""
        p = right.prefix
        left = right.pairs_with if right.pairs_with is not None else tuple(rel.col(i) for i in range(p))
        return left, tuple(P.col(right.plan.fields, i) for i in range(p)), (True,) * p

    def source(self, item, outer: Outer | None = None) -> Rel:
        alias_node = item.args.get("alias")
        columns = [c.name for c in alias_node.columns] if alias_node is not None and alias_node.columns else []
        if isinstance(item, exp.Table):
            if not isinstance(item.this, exp.Identifier):
                raise self.error(item, f"table functions are not supported: {item.sql()}")
            name = item.name
            alias = item.alias_or_name
            if item.args.get("db") is not None:
                raise self.error(item, f"schema-qualified names are not supported: {item.sql()}")
            cte = self.ctes.get(name)
            if name in self.series:
                plan, names = self.series_plan(self.series[name], item)
            elif cte is not None:
                if isinstance(cte, P.RecRef):
                    plan, names = cte, [f.name for f in cte.fields]
                else:
                    plan, names = cte.plan, cte.names
            else:
                rel = self.catalog.relation(name)
                if rel is None:
                    raise self.error(item, f"unknown table {name!r}")
                plan = P.Scan(name, rel.fields, rel.is_view)
                names = [f.name for f in rel.fields]
        elif isinstance(item, exp.Subquery) and isinstance(item.this, exp.Table):
            # a parenthesized join, FROM (a JOIN b ON …): the same as the join written out
            rel = self.source(item.this)
            for j in item.this.args.get("joins") or []:
                rel = self.join(rel, j)
            return rel
        elif isinstance(item, exp.Subquery):
            correlated = outer is not None and bool(free_columns(item.this))
            b = self.query(item.this, outer if correlated else None)
            plan, names = b.plan, b.names
            alias = item.alias_or_name
            if b.prefix:  # a derived table reading the outer query: its domain columns come first
                if columns:
                    names = columns + names[len(columns):]
                return Rel(plan, named_columns(alias, names, b.prefix), prefix=b.prefix)
        elif isinstance(item, exp.Lateral):
            raise self.error(item, "LATERAL needs a FROM item before it to read")
        elif isinstance(item, exp.Unnest):
            return lists.unnest_source(self, item, Rel, ExprBinder)
        elif isinstance(item, exp.Values):
            b = self.values(item, None)
            plan, names = b.plan, b.names
            alias = item.alias_or_name
        else:
            raise self.error(item, f"unsupported FROM item: {type(item).__name__}")
        if columns:
            if len(columns) > len(names):
                raise self.error(item, f"{alias} has {len(names)} columns but {len(columns)} names were given")
            names = columns + names[len(columns):]
        return Rel(plan, named_columns(alias, names))

    MAX_SERIES = 1_000_000

    def series_plan(self, f: exp.GenerateSeries, item):
        """range(start, stop[, step]) (stop excluded) or generate_series(…) (stop included) with
        constant bounds: a constant relation of BIGINTs, or of TIMESTAMPs stepped by an INTERVAL.
        One argument is the stop, counting from 0; the step defaults to 1."""
        exclusive = bool(f.args.get("is_end_exclusive"))
        name = "range" if exclusive else "generate_series"
        eb = ExprBinder(self, Rel(P.Values(((),), ())))
        bound = {k: eb.bind(f.args[k]) for k in ("start", "end", "step") if f.args.get(k) is not None}
        for k, v in bound.items():
            if not isinstance(v, Lit):
                raise self.error(f.args[k], f"the arguments of {name}() in FROM must be constants")
        start, stop = bound["start"].value, bound["end"].value
        step = bound["step"].value if "step" in bound else 1
        if None in (start, stop, step):
            return P.Values((), (P.Field(name, BIGINT, False),)), [name]
        kinds = {v.type.kind for k, v in bound.items() if k != "step"}
        if kinds <= {"int"} and bound.get("step", Lit(1, BIGINT)).type.kind == "int":
            if step == 0:
                raise self.error(item, f"the step of {name}() cannot be 0")
            end = stop + (0 if exclusive else (1 if step > 0 else -1))
            count = max(0, -(-(end - start) // step)) if step > 0 else max(0, -(-(start - end) // -step))
            if count > self.MAX_SERIES:
                raise self.error(item, f"{name}() of more than {self.MAX_SERIES:,} rows is not supported")
            values = range(start, end, step)
            return P.Values(tuple((v,) for v in values), (P.Field(name, BIGINT, False),)), [name]
        if kinds <= {"date", "timestamp"} and bound.get("step") is not None and bound["step"].type.kind == "interval":
            from ..sqllib.sqlfuncs import add_interval
            iv = step
            if iv.key() == 0:
                raise self.error(item, f"the step of {name}() cannot be an empty interval")
            up = iv.key() > 0
            cur = _as_timestamp(start)
            stop = _as_timestamp(stop)
            rows = []
            while (cur < stop if up else cur > stop) or (not exclusive and cur == stop):
                rows.append((cur,))
                if len(rows) > self.MAX_SERIES:
                    raise self.error(item, f"{name}() of more than {self.MAX_SERIES:,} rows is not supported")
                cur = add_interval(cur, iv, True)
            return P.Values(tuple(rows), (P.Field(name, TIMESTAMP, False),)), [name]
        raise self.error(item, f"{name}() of {', '.join(str(v.type) for v in bound.values())} is not supported")

    def lateral(self, rel: Rel, item: exp.Lateral) -> Rel:
        """LATERAL (subquery): decorrelated like a correlated subquery, through the domain of the
        values it reads from the items before it, D = DISTINCT(those columns of rel); the result
        carries D's columns first, and the join pairs them with rel's (NULL-safely)."""
        sub = item.this
        if not isinstance(sub, exp.Subquery):
            raise self.error(item, f"LATERAL {type(sub).__name__} is not supported")
        free = free_columns(sub.this)
        for c in free:
            if not isinstance(c, exp.Column):
                raise self.error(c, "an aggregate of the outer query inside LATERAL is not supported")
        idx, where = [], {}
        for c in free:
            i = rel.resolve(c, self).index
            if i not in idx:
                idx.append(i)
            where[(c.table, c.name)] = idx.index(i)
        cols = tuple(rel.col(i) for i in idx)
        domain = P.Distinct(P.Project(rel.plan, cols, tuple(f"$outer{i}" for i in range(len(cols)))))
        b = self.query(sub.this, Outer(domain, where) if free else None)
        names = list(b.names)
        alias_node = item.args.get("alias")
        columns = [c.name for c in alias_node.columns] if alias_node is not None and alias_node.columns else []
        if len(columns) > len(names):
            raise self.error(item, f"{item.alias_or_name} has {len(names)} columns but {len(columns)} names were given")
        names = columns + names[len(columns):]
        scope = named_columns(item.alias_or_name, names, b.prefix)
        return Rel(b.plan, scope, prefix=b.prefix, pairs_with=cols if free else None)

    def join(self, rel: Rel, j: exp.Join, outer: Outer | None = None) -> Rel:
        """rel JOIN item.  With ``outer``, rel starts with the correlation domain and the join is
        made per outer value: paired on the domain columns, and, for RIGHT and FULL joins, which pad
        the left side (domain included) with NULLs, the right side carries the domain too and the
        result's domain is taken from the preserved side."""
        side = (j.args.get("side") or "").upper()
        if (j.args.get("kind") or "").upper() in ("SEMI", "ANTI"):
            return self.semi_join(rel, j)
        if isinstance(j.this, exp.Unnest):  # a flat-map of rel (compiler/lists.py)
            return lists.unnest_join(self, rel, j, Rel, ExprBinder)
        if isinstance(j.this, exp.Lateral):
            if side in ("RIGHT", "FULL"):
                raise self.error(j, f"{side} JOIN LATERAL is not supported (the lateral side reads the left)")
            right = self.lateral(rel, j.this)
        else:
            right = self.source(j.this, outer)
        if outer is not None and side in ("RIGHT", "FULL") and not right.prefix:
            p = len(outer.domain.fields)
            right = Rel(P.Join(outer.domain, right.plan, "inner", (), (), (), None),
                        {k: i + p for k, i in right.scope.items()}, prefix=p)
        kind = (j.args.get("kind") or "").upper()
        if (j.args.get("method") or "").upper() == "ASOF" and not kind:
            return self.asof_join(rel, right, j, side, outer)
        if kind in ("SEMI", "ANTI", "ASOF", "POSITIONAL") or j.args.get("method"):
            raise self.error(j, f"{kind or j.args.get('method')} JOIN is not supported")
        if j.args.get("using"):
            raise self.error(j, "JOIN … USING could not be resolved")
        n_left = rel.width
        scope = dict(rel.scope)
        for k, i in right.scope.items():
            if k in scope:
                raise self.error(j.this, f"duplicate table alias {k[0]!r} in FROM")
            scope[k] = i + n_left
        on = j.args.get("on")
        jkind = {"LEFT": "left", "RIGHT": "right", "FULL": "full"}.get(side, "inner")
        dk = self.domain_keys(rel, right)
        cross = P.Join(rel.plan, right.plan, "inner", *dk)
        if on is None:
            if jkind != "inner":
                raise self.error(j, f"{side} JOIN needs an ON or USING condition")
            return Rel(cross, scope, dict(rel.ast_map))
        combined = Rel(cross, scope, dict(rel.ast_map))
        eb = ExprBinder(self, combined)
        cond = eb.condition(on)
        if combined.plan is not cross:  # a subquery in ON: the pairs that satisfy it, from the cross product
            matched = P.Filter(combined.plan, cond)
            if jkind == "inner":
                return Rel(matched, scope, dict(rel.ast_map))
            if outer is not None and jkind in ("right", "full"):
                raise self.error(on, f"subqueries in the ON condition of a {side} JOIN inside a correlated "
                                     f"subquery are not supported")
            return Rel(outer_join_from_pairs(rel.plan, right.plan, matched, jkind), scope, dict(rel.ast_map))
        lk, rk, safe, residual = split_condition(cond, n_left)
        plan = P.Join(rel.plan, right.plan, jkind, dk[0] + lk, dk[1] + rk, dk[2] + safe, residual)
        if outer is not None and jkind in ("right", "full"):
            plan = _preserved_domain(plan, n_left, right.prefix, jkind)
        return Rel(plan, scope, dict(rel.ast_map))

    def asof_join(self, rel: Rel, right: Rel, j: exp.Join, side: str, outer) -> Rel:
        """ASOF [LEFT] JOIN … ON equalities AND one inequality between a left and a right time."""
        if side not in ("", "LEFT"):
            raise self.error(j, f"ASOF {side} JOIN is not supported (only ASOF JOIN and ASOF LEFT JOIN)")
        if outer is not None:
            raise self.error(j, "ASOF JOIN inside a correlated subquery is not supported")
        on = j.args.get("on")
        if j.args.get("using") or on is None:
            raise self.error(j, "ASOF JOIN needs ON equalities AND one inequality (USING is not supported)")
        n_left = rel.width
        scope = dict(rel.scope)
        for k, i in right.scope.items():
            if k in scope:
                raise self.error(j.this, f"duplicate table alias {k[0]!r} in FROM")
            scope[k] = i + n_left
        cross = P.Join(rel.plan, right.plan, "inner", (), (), ())
        combined = Rel(cross, scope, dict(rel.ast_map))
        cond = ExprBinder(self, combined).condition(on)
        if combined.plan is not cross:
            raise self.error(on, "subqueries in the ON condition of an ASOF JOIN are not supported")
        lk, rk, safe, residual = split_condition(cond, n_left)
        flipped = {"ge": "le", "gt": "lt", "le": "ge", "lt": "gt"}
        inequality = None
        if residual is not None and len(conjuncts(residual)) == 1 and getattr(residual, "fn", None) in flipped:
            a, b = residual.args
            ca, cb = columns_used(a), columns_used(b)
            if ca and cb and max(ca) < n_left <= min(cb):
                inequality = (a, shift(b, -n_left), residual.fn)
            elif ca and cb and max(cb) < n_left <= min(ca):
                inequality = (b, shift(a, -n_left), flipped[residual.fn])
        if inequality is None:
            raise self.error(on, "ASOF JOIN's ON must be equalities between the two sides AND exactly one "
                                 "inequality (>=, >, <=, <) between a left and a right expression")
        plan = P.AsofJoin(rel.plan, right.plan, "left" if side == "LEFT" else "inner", lk, rk, safe, *inequality)
        return Rel(plan, scope, dict(rel.ast_map))

    def semi_join(self, rel: Rel, j: exp.Join) -> Rel:
        """rel SEMI JOIN item ON c: the rows of rel for which some row of item satisfies c, each
        once (ANTI: for which none does); item's columns stay out of scope.  It is
        rel WHERE [NOT] EXISTS (SELECT 1 FROM item WHERE c), and binds as that (subqueries.py)."""
        kind = j.args["kind"].upper()
        if isinstance(j.this, exp.Lateral) or j.args.get("side"):
            raise self.error(j, f"{j.args.get('side') or 'LATERAL'} {kind} JOIN is not supported")
        on = j.args.get("on")
        if on is None:
            raise self.error(j, f"{kind} JOIN needs an ON or USING condition")
        sub = exp.Select(expressions=[exp.Literal.number(1)], from_=exp.From(this=j.this.copy()),
                         where=exp.Where(this=on.copy()))
        test = exp.Exists(this=sub)
        self.where_subquery(exp.Not(this=test) if kind == "ANTI" else test, rel)
        return rel

    # -- SESSION windows --------------------------------------------------------------------------
    def sessions(self, node: exp.Select, rel: Rel) -> None:
        """The session bounds a SESSION window table function was rewritten into (markers in the
        select list, compiler/timewindows.py) become a Session plan node's two columns."""
        marks = [m for p in node.expressions for m in p.find_all(exp.Anonymous)
                 if m.name.lower() in (SESSION_START, SESSION_END)]
        if not marks:
            return
        eb = ExprBinder(self, rel)
        time_node, gap_node, *keys = marks[0].expressions
        time = eb.bind(time_node)
        if not isinstance(time, Col) or time.type.kind not in ("timestamp", "date"):
            raise self.error(time_node, "SESSION needs a TIMESTAMP or DATE time column")
        end = eb.bind(exp.Add(this=time_node.copy(), expression=gap_node.copy()))
        end = remap(end, lambda c: Col(0, c.type, False, c.name) if c.index == time.index else c)
        if columns_used(end) != {0}:
            raise self.error(gap_node, "SESSION's gap must be a constant INTERVAL")
        partition = tuple(eb.bind(k) for k in keys)
        width = rel.width
        rel.plan = P.Session(rel.plan, partition, time, end)
        rel.ast_map = dict(rel.ast_map)
        for m in marks:
            rel.ast_map[m] = width if m.name.lower() == SESSION_START else width + 1

    # -- WHERE ----------------------------------------------------------------------------------
    def where(self, node, rel: Rel) -> None:
        for c in ast_conjuncts(node):
            if self.where_subquery(c, rel):
                continue
            eb = ExprBinder(self, rel)
            eb.allow_now = True
            cond = eb.condition(c)
            temporal.check(cond, c, self.error)
            if isinstance(cond, Lit) and cond.value is True:
                continue
            rel.plan = P.Filter(rel.plan, cond)

    # -- aggregation ----------------------------------------------------------------------------
    def collect_aggregates(self, node: exp.Select) -> list:
        """Aggregate calls computed by this SELECT, in order, without repeats: its own, and those in
        its subqueries whose arguments read only this SELECT's columns (SQL makes them this
        query's aggregates)."""
        out = []
        roots = list(node.expressions)
        for key in ("having", "order"):
            if node.args.get(key) is not None:
                roots.append(node.args[key])
        for root in roots:
            for n in root.walk(bfs=False):
                if is_aggregate(n) and not _windowed(n):
                    target = n.parent if isinstance(n.parent, exp.Filter) else n
                    if aggregate_level(target) is node and target not in out:
                        out.append(target)
        for n in out:
            inner = n.this if isinstance(n, exp.Filter) else n
            for sub in inner.walk():
                if sub is not inner and is_aggregate(sub) and not _windowed(sub):
                    level = aggregate_level(sub.parent if isinstance(sub.parent, exp.Filter) else sub)
                    if level is node:
                        raise self.error(sub, "aggregate function calls cannot be nested")
        return out

    def aggregate(self, node, rel: Rel, agg_nodes, group, prefix: int, outer):
        eb = ExprBinder(self, rel)
        key_nodes, sets = self.grouping_sets(group, node)
        keys = [eb.bind(k) for k in key_nodes]
        grouping_calls = [g for g in node.find_all(exp.Grouping) if _owner(g) is node]
        if grouping_calls and sets is None:
            sets = [tuple(range(len(keys)))]  # GROUPING() under a plain GROUP BY: one grouping set
        calls = [self.agg_call(a, eb) for a in agg_nodes]
        agg_names = tuple(f"$agg{i}" for i in range(len(calls)))
        corr = [rel.col(i) for i in range(prefix)]
        key_names = tuple(f"$corr{i}" for i in range(prefix)) + tuple(f"$key{i}" for i in range(len(keys)))
        single = False
        if sets is None:
            plan = P.Aggregate(rel.plan, tuple(corr + keys), tuple(calls), key_names + agg_names)
            if not keys:
                single = True
                if prefix:
                    plan = self.fill_empty_groups(outer.domain, plan, calls, prefix)
        else:
            parts = []
            for s in sets:
                sub = P.Aggregate(rel.plan, tuple(corr + [keys[i] for i in s]), tuple(calls),
                                  tuple(f"$k{i}" for i in range(prefix + len(s))) + agg_names)
                if not s and prefix:  # the () set is a global aggregate: a row for every outer value
                    sub = self.fill_empty_groups(outer.domain, sub, calls, prefix)
                fields = sub.fields
                exprs = [P.col(fields, i) for i in range(prefix)]
                pos = {k: prefix + n for n, k in enumerate(s)}
                for i, k in enumerate(keys):
                    exprs.append(P.col(fields, pos[i]) if i in pos else Lit(None, k.type))
                exprs += [P.col(fields, prefix + len(s) + j) for j in range(len(calls))]
                for g in grouping_calls:
                    bits = 0
                    for arg in g.expressions:
                        while isinstance(arg, exp.Paren):  # GROUPING((k)) is GROUPING(k)
                            arg = arg.this
                        try:
                            idx = key_nodes.index(arg)
                        except ValueError:
                            raise self.error(arg, "GROUPING() arguments must be GROUP BY expressions") from None
                        bits = bits * 2 + (0 if idx in s else 1)
                    exprs.append(Lit(bits, BIGINT))
                names = key_names + agg_names + tuple(f"$grouping{i}" for i in range(len(grouping_calls)))
                parts.append(P.Project(sub, tuple(exprs), names))
            plan = P.UnionAll(tuple(parts), _union_fields(parts))
        new = Rel(plan, grouped=True)
        # the correlation prefix stays first: outer columns by name, outer aggregates by tree
        new.scope = {k: i for k, i in rel.scope.items() if i < prefix}
        new.ast_map = {k: i for k, i in rel.ast_map.items() if i < prefix}
        for i, k in enumerate(key_nodes):
            new.ast_map.setdefault(k, prefix + i)
        for c in _using_references(node):
            # GROUP BY t.x also groups the USING column x when x is t.x in every row
            bound = using_binding(c, node)
            if bound in key_nodes:
                new.ast_map.setdefault(c, prefix + key_nodes.index(bound))
        for j, a in enumerate(agg_nodes):
            new.ast_map[a] = prefix + len(keys) + j
        for g_i, g in enumerate(grouping_calls):
            new.ast_map[g] = prefix + len(keys) + len(calls) + g_i
        return new, single

    def fill_empty_groups(self, domain, agg, calls, prefix: int):
        """A correlated aggregate without GROUP BY has one row per outer value, even when no rows
        match it: domain ⟕ aggregate, with COUNT 0 and other aggregates NULL for missing groups."""
        keys_l = tuple(P.col(domain.fields, i) for i in range(prefix))
        keys_r = tuple(P.col(agg.fields, i) for i in range(prefix))
        j = P.Join(domain, agg, "left", keys_l, keys_r, (True,) * prefix)
        fields = j.fields
        exprs = [P.col(fields, i) for i in range(prefix)]
        for n, c in enumerate(calls):
            v = P.col(fields, prefix + prefix + n)
            if c.fn in ("count", "count_star"):
                v = call("coalesce", [v, Lit(0, BIGINT)], BIGINT, nullable=False)
            exprs.append(v)
        return P.Project(j, tuple(exprs), tuple(f.name for f in agg.fields))

    def grouping_sets(self, group, select=None):
        """(the distinct key expressions, the grouping sets as tuples of key indices or None for a
        plain GROUP BY of all keys)."""
        if group is None:
            return [], None
        keys: list = []

        def key(e):
            while isinstance(e, exp.Paren):
                e = e.this
            # GROUP BY ROLLUP (1, 2): integer literals are positions in the select list; any other
            # literal (GROUP BY 2.5) is a constant key
            if isinstance(e, exp.Literal) and e.is_int and select is not None:
                n = int(e.this)
                if not 1 <= n <= len(select.expressions):
                    raise self.error(e, f"GROUP BY position {n} is not in the select list")
                p = select.expressions[n - 1]
                e = p.this if isinstance(p, exp.Alias) else p
            if e not in keys:
                keys.append(e)
            return keys.index(e)

        factors = []  # each factor: a list of alternative key-index tuples
        plain = True
        for e in group.expressions:
            if isinstance(e, exp.Rollup):
                items = [key(x) for x in e.expressions]
                factors.append([tuple(items[:n]) for n in range(len(items), -1, -1)])
                plain = False
            elif isinstance(e, exp.Cube):
                items = [key(x) for x in e.expressions]
                alts = []
                for mask in range((1 << len(items)) - 1, -1, -1):
                    alts.append(tuple(items[i] for i in range(len(items)) if mask >> (len(items) - 1 - i) & 1))
                factors.append(alts)
                plain = False
            elif isinstance(e, exp.GroupingSets):
                alts = []
                for s in e.expressions:
                    inner = s.expressions if isinstance(s, exp.Tuple) else [s.this if isinstance(s, exp.Paren) else s]
                    alts.append(tuple(key(x) for x in inner))
                factors.append(alts)
                plain = False
            else:
                factors.append([(key(e),)])
        for k in ("rollup", "cube", "grouping_sets"):
            if group.args.get(k):
                raise self.error(group, f"GROUP BY {k.upper()} in this form is not supported")
        if plain:
            return keys, None
        sets = [()]
        for alts in factors:
            sets = [tuple(dict.fromkeys(a + b)) for a in sets for b in alts]
        return keys, sets

    def agg_call(self, node, eb: ExprBinder) -> P.AggCall:
        filt = None
        if isinstance(node, exp.Filter):
            cond_node = node.expression.this if isinstance(node.expression, exp.Where) else node.expression
            filt = eb.condition(cond_node)
            node = node.this
        distinct = False
        arg_node = node.this
        order = ()
        while isinstance(arg_node, (exp.Distinct, exp.Order)):
            if isinstance(arg_node, exp.Order):
                order = tuple((eb.bind(o.this), bool(o.args.get("desc")), bool(o.args.get("nulls_first")))
                              for o in arg_node.expressions)
                arg_node = arg_node.this
            else:
                distinct = True
                if len(arg_node.expressions) != 1:
                    raise self.error(node, "aggregates over several DISTINCT arguments are not supported")
                arg_node = arg_node.expressions[0]
        if isinstance(node, exp.Count):
            if arg_node is None or isinstance(arg_node, exp.Star):
                if distinct:
                    raise self.error(node, "COUNT(DISTINCT *) is not valid SQL")
                return P.AggCall("count_star", None, False, filt, BIGINT, False)
            return P.AggCall("count", eb.bind(arg_node), distinct, filt, BIGINT, False)
        if isinstance(node, exp.Anonymous) and node.name.lower() == "total":
            # SQLite's TOTAL(x): the floating-point sum, 0.0 over no rows
            if len(node.expressions) != 1:
                raise self.error(node, "TOTAL takes one argument")
            arg_node = node.expressions[0]
            if isinstance(arg_node, exp.Distinct):
                distinct, arg_node = True, arg_node.expressions[0]
            arg = eb.coerce(eb.sqlite_numeric(eb.bind(arg_node), node), DOUBLE, node)
            return P.AggCall("total", arg, distinct, filt, DOUBLE, False)
        if isinstance(node, (exp.First, exp.Last, exp.Mode)) and order:  # FIRST(x ORDER BY k), MODE(…)
            if distinct:
                raise self.error(node, f"DISTINCT is not supported in {_agg_name(node, self.sql)}")
            arg = eb.bind(arg_node)
            fn = {exp.First: "first", exp.Last: "last", exp.Mode: "mode"}[type(node)]
            return P.AggCall(fn, arg, False, filt, arg.type, True, order)
        if isinstance(node, exp.ArrayAgg):  # LIST / ARRAY_AGG (compiler/lists.py)
            return lists.list_agg(self, node, _agg_name(node, self.sql), eb.bind(arg_node), distinct, order, filt)
        refused = self.refused_aggregate(node, self.sql)
        if refused:
            raise self.error(node, refused)
        if isinstance(node, _MORE_AGGREGATES) or (isinstance(node, exp.Anonymous) and
                                                   node.name.lower() in _MORE_AGGREGATE_NAMES):
            if distinct:
                raise self.error(node, f"DISTINCT is not supported in {_agg_name(node, self.sql)}")
            return self.more_agg_call(node, eb, filt)
        arg = eb.bind(arg_node)
        if isinstance(node, (exp.Sum, exp.Avg)):
            if self.dialect.name == "sqlite":
                arg = eb.sqlite_numeric(arg, node)
            if arg.type.kind == "null":
                arg = eb.coerce(arg, BIGINT)
            if not arg.type.numeric:
                raise self.error(node, f"{type(node).__name__.upper()} needs a number, not {arg.type}")
            if isinstance(node, exp.Avg):
                return P.AggCall("avg", arg, distinct, filt, DOUBLE)
            k = arg.type.kind
            t = (DOUBLE if k == "float" else decimal_type(38, arg.type.scale) if k == "decimal"
                 else (BIGINT if self.dialect.name == "sqlite" else HUGEINT))
            return P.AggCall("sum", arg, distinct, filt, t)
        if isinstance(node, (exp.Min, exp.Max)):
            if node.expressions:
                raise self.error(node, "MIN/MAX take one argument")
            return P.AggCall("min" if isinstance(node, exp.Min) else "max", arg, False, filt, arg.type)
        if isinstance(node, (exp.LogicalAnd, exp.LogicalOr)):
            arg = eb.as_condition(arg, node)
            return P.AggCall("bool_and" if isinstance(node, exp.LogicalAnd) else "bool_or", arg, distinct,
                             filt, BOOLEAN)
        if isinstance(node, exp.GroupConcat):
            sep_node = node.args.get("separator")
            sep = eb.bind(sep_node) if sep_node is not None else Lit(",", TEXT)
            if not isinstance(sep, Lit) or not isinstance(sep.value, str):
                raise self.error(sep_node or node, "the STRING_AGG separator must be a string constant")
            if distinct and sep_node is not None and self.dialect.name == "sqlite":
                raise self.error(node, "DISTINCT aggregates must have exactly one argument")
            return P.AggCall("string_agg", eb.to_text(arg, node), distinct, filt, TEXT, True, order, sep.value)
        if isinstance(node, (exp.Stddev, exp.StddevSamp, exp.StddevPop, exp.Variance, exp.VariancePop,
                             exp.Median)):
            if self.dialect.name == "sqlite":
                arg = eb.sqlite_numeric(arg, node)
            if not arg.type.numeric and arg.type.kind != "null":
                raise self.error(node, f"{type(node).__name__.upper()} needs a number, not {arg.type}")
            fn = {exp.Stddev: "stddev_samp", exp.StddevSamp: "stddev_samp", exp.StddevPop: "stddev_pop",
                  exp.Variance: "var_samp", exp.VariancePop: "var_pop", exp.Median: "median"}[type(node)]
            t = arg.type if fn == "median" and arg.type.kind == "decimal" else DOUBLE
            if fn == "median":
                _no_real_interpolation(self, node, arg, "MEDIAN")
            return P.AggCall(fn, arg, distinct, filt, t)
        raise self.error(node, f"unsupported aggregate {type(node).__name__}")

    @staticmethod
    def refused_aggregate(node, sql: str) -> str | None:
        """Why an aggregate cannot be maintained, or None."""
        name = _agg_name(node, sql)
        if isinstance(node, (exp.First, exp.Last)):
            return (f"{name} without ORDER BY is not deterministic (it takes whichever row arrives first) "
                    f"and cannot be maintained: write {name}(x ORDER BY …)")
        if isinstance(node, exp.AnyValue):
            return f"{name} is not deterministic and cannot be maintained"
        if isinstance(node, (exp.ApproxDistinct, exp.ApproxQuantile)):
            return f"{name} is approximate (its answer depends on how rows arrive); use the exact aggregate"
        if isinstance(node, exp.Mode):
            return ("MODE without ORDER BY is not supported: DuckDB breaks ties by the order it reads rows; "
                    "write MODE(x ORDER BY …)")
        if isinstance(node, exp.ArrayAgg) or name == "HISTOGRAM":
            return f"{name} is not supported (list and map values are not supported)"
        return None

    def more_agg_call(self, node, eb: ExprBinder, filt) -> P.AggCall:
        """The aggregates of runtime/statistics.py and the bit, argument, product and alias ones."""
        name = _agg_name(node, self.sql)
        if isinstance(node, exp.Anonymous):
            args = list(node.expressions)
        else:
            args = [node.this] + [v for k, v in node.args.items() if k != "this" and isinstance(v, exp.Expression)]

        def numeric(e, what=name):
            if self.dialect.name == "sqlite":
                e = eb.sqlite_numeric(e, node)
            if e.type.kind == "null":
                return eb.coerce(e, DOUBLE, node)
            if not e.type.numeric:
                raise self.error(node, f"{what} needs a number, not {e.type}")
            return e

        lname = name.lower()
        pairwise = isinstance(node, (exp.ArgMax, exp.ArgMin, exp.Corr, exp.CovarPop, exp.CovarSamp, exp.RegrSlope,
                                     exp.RegrIntercept, exp.RegrR2, exp.RegrCount, exp.RegrAvgx, exp.RegrAvgy,
                                     exp.RegrSxx, exp.RegrSyy, exp.RegrSxy))
        quantile = isinstance(node, (exp.PercentileCont, exp.PercentileDisc, exp.Quantile))
        if any(isinstance(a, exp.Distinct) for a in args):
            raise self.error(node, f"DISTINCT is not supported in {name}")
        if len(args) != (2 if pairwise or quantile else 1):
            raise self.error(node, f"{name} takes {2 if pairwise or quantile else 1} argument(s)")
        if isinstance(node, exp.CountIf):
            # COUNT_IF(c) = SUM(CASE WHEN c THEN 1 WHEN NOT c THEN 0 END): NULL when every c is NULL
            c = eb.bind(args[0])
            if c.type.kind not in ("bool", "null"):
                raise self.error(node, f"{name} needs a BOOLEAN, not {c.type}")
            v = Case(((c, Lit(1, BIGINT)), (not_(c), Lit(0, BIGINT))), Lit(None, BIGINT), BIGINT, True)
            return P.AggCall("sum", v, False, filt, HUGEINT)
        if lname in ("fsum", "sumkahan", "kahan_sum", "favg"):  # compensated float sums: ours are exact
            x = eb.coerce(numeric(eb.bind(args[0])), DOUBLE, node)
            return P.AggCall("avg" if lname == "favg" else "sum", x, False, filt, DOUBLE)
        if pairwise:
            a, b = eb.bind(args[0]), eb.bind(args[1])
            if isinstance(node, (exp.ArgMax, exp.ArgMin)):  # ARG_MAX(arg, val): the pair (val, arg)
                fn, t = ("arg_max" if isinstance(node, exp.ArgMax) else "arg_min"), a.type
                a, b = b, a
            else:
                a, b = numeric(a), numeric(b)
                fn = lname
                t = BIGINT if fn == "regr_count" else DOUBLE
            return P.AggCall(fn, call("pair", [a, b], a.type), False, filt, t, fn != "regr_count")
        if quantile:
            x = eb.bind(args[0])
            q = eb.bind(args[1])
            if not isinstance(q, Lit) or not q.type.numeric or q.value is None or not -1 <= q.value <= 1:
                raise self.error(args[1], f"the fraction of {name} must be a number constant between -1 and 1")
            discrete = not isinstance(node, exp.PercentileCont)
            if not discrete:
                x = numeric(x)
                _no_real_interpolation(self, node, x, name)
            t = x.type if discrete or x.type.kind == "decimal" else DOUBLE
            return P.AggCall("quantile_disc" if discrete else "quantile_cont", x, False, filt, t, True,
                             param=Fraction(str(q.value)))
        x = eb.bind(args[0])
        if isinstance(node, (exp.BitwiseAndAgg, exp.BitwiseOrAgg, exp.BitwiseXorAgg)):
            if x.type.kind == "null":
                x = eb.coerce(x, INTEGER, node)
            if x.type.kind != "int":
                raise self.error(node, f"{name} needs an integer, not {x.type}")
            fn = {exp.BitwiseAndAgg: "bit_and", exp.BitwiseOrAgg: "bit_or", exp.BitwiseXorAgg: "bit_xor"}[type(node)]
            return P.AggCall(fn, x, False, filt, x.type)
        if lname == "entropy":
            return P.AggCall("entropy", x, False, filt, DOUBLE, False)
        x = numeric(x)
        if lname == "product":
            return P.AggCall("product", eb.coerce(x, DOUBLE, node), False, filt, DOUBLE)
        fn = {exp.Skewness: "skewness", exp.Kurtosis: "kurtosis"}.get(type(node), lname)
        return P.AggCall(fn, x, False, filt, DOUBLE)

    # -- window functions -----------------------------------------------------------------------
    def windows(self, rel: Rel, nodes, prefix: int = 0) -> None:
        """Add one column per window function to rel (one Window node per PARTITION BY / ORDER BY).
        In a correlated SELECT each outer row's rows are a partition of their own (the domain columns
        lead the partition key)."""
        groups: dict = {}
        for w in nodes:
            spec = (tuple(w.args.get("partition_by") or []), w.args.get("order"))
            groups.setdefault(spec, []).append(w)
        for (partition, order), members in groups.items():
            eb = ExprBinder(self, rel)
            part = tuple(rel.col(i) for i in range(prefix)) + tuple(eb.bind(p) for p in partition)
            keys = []
            for o in (order.expressions if order is not None else []):
                e = eb.bind(o.this)
                desc = bool(o.args.get("desc"))
                nf = o.args.get("nulls_first")
                if nf is None:
                    nf = not desc if self.dialect.name == "sqlite" else False
                keys.append(P.SortKey(e, desc, bool(nf)))
            calls = [self.window_call(w, eb, order) for w in members]
            base = rel.width
            rel.plan = P.Window(rel.plan, part, tuple(keys), tuple(calls),
                                tuple(f"$window{base + i}" for i in range(len(calls))))
            for i, w in enumerate(members):
                rel.ast_map[w] = base + i

    def window_call(self, w, eb: ExprBinder, order) -> P.WinCall:
        f = w.this
        frame = self.window_frame(w.args.get("spec"), order, eb)
        ranking = {exp.RowNumber: "row_number", exp.Rank: "rank", exp.DenseRank: "dense_rank",
                   exp.PercentRank: "percent_rank", exp.CumeDist: "cume_dist"}
        if type(f) in ranking:
            fn = ranking[type(f)]
            t = DOUBLE if fn in ("percent_rank", "cume_dist") else BIGINT
            return P.WinCall(fn, (), t, False)
        if isinstance(f, exp.Ntile):
            n = self.constant_int(f.this, "NTILE") if f.this is not None else 1
            if n < 1:
                raise self.error(f, "NTILE needs a positive number of buckets")
            return P.WinCall("ntile", (), BIGINT, False, None, n)
        if isinstance(f, (exp.Lag, exp.Lead)):
            x = eb.bind(f.this)
            offset = self.constant_int(f.args["offset"], "the LAG/LEAD offset") if f.args.get("offset") else 1
            default = eb.bind(f.args["default"]) if f.args.get("default") is not None else Lit(None, x.type)
            (x, default), t = eb.unify([x, default], f, "LAG/LEAD")
            shift = offset if isinstance(f, exp.Lag) else -offset
            return P.WinCall("lag", (x, default), t, True, None, shift)
        if isinstance(f, (exp.FirstValue, exp.LastValue, exp.NthValue)):
            x = eb.bind(f.this)
            which = {exp.FirstValue: "first", exp.LastValue: "last", exp.NthValue: "nth"}[type(f)]
            nth = self.constant_int(f.args["offset"], "NTH_VALUE") if which == "nth" else 1
            if which == "nth" and nth < 1:
                raise self.error(f, "NTH_VALUE needs a positive position")
            return P.WinCall("frame_value", (x,), x.type, True, frame, (which, nth))
        inner = f.this if isinstance(f, exp.Filter) else f
        if is_aggregate(inner):
            agg = self.agg_call(f, eb)
            return P.WinCall("agg", (), agg.type, agg.nullable, frame, agg)
        raise self.error(f, f"unsupported window function {f.sql(dialect=self.dialect.name)}")

    def window_frame(self, spec, order, eb: ExprBinder):
        """The frame of an OVER (…) as runtime/windows.py describes it."""
        if spec is None:
            return None  # the default: RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        mode = (spec.args.get("kind") or "").lower()
        if mode not in ("rows", "range"):
            raise self.error(spec, f"{mode.upper() or 'this'} window frames are not supported")

        def bound(value, side):
            if value is None:
                return ("current", None)
            text = value if isinstance(value, str) else None
            side = (side or "").lower()
            if text is not None and text.upper() == "UNBOUNDED":
                return ("unbounded", None) if side == "preceding" else ("unbounded_following", None)
            if text is not None and text.upper() == "CURRENT ROW":
                return ("current", None)
            if mode == "range":
                return ("value", self.range_limit(value, side, order, eb))
            n = self.constant_int(value, "a window frame offset")
            return ("preceding", n) if side == "preceding" else ("following", n)

        start = bound(spec.args.get("start"), spec.args.get("start_side"))
        end = bound(spec.args.get("end"), spec.args.get("end_side")) if spec.args.get("end") is not None \
            else ("current", None)
        frame = (mode, start, end)
        if "value" in (start[0], end[0]):
            o = order.expressions[0]
            key = eb.bind(o.this)
            if key.type.kind == "date":  # compared with its limits, which are timestamps
                key = eb.coerce(key, TIMESTAMP, o.this)
            frame = (mode, start, end, key, bool(o.args.get("desc")))
        exclude = " ".join(str(spec.args.get("exclude") or "").lower().split())
        if exclude in ("current row", "group", "ties"):  # runtime/windows.py excluded_rows
            return ("exclude", exclude, frame)
        if exclude not in ("", "no others"):
            raise self.error(spec, f"EXCLUDE {exclude.upper()} in a window frame is not supported")
        return frame

    def range_limit(self, value, side: str, order, eb: ExprBinder):
        """The expression a RANGE offset bound stops at: the ORDER BY key minus the offset for
        PRECEDING (plus for FOLLOWING), the other way round for a descending key."""
        if order is None or len(order.expressions) != 1:
            raise self.error(value, "a RANGE frame with an offset needs exactly one ORDER BY expression")
        o = order.expressions[0]
        offset = eb.bind(value)
        if not isinstance(offset, Lit):
            raise self.error(value, "a RANGE frame offset must be a constant")
        if offset.value is None or (offset.type.numeric and offset.value < 0) or \
                (offset.type.kind == "interval" and offset.value.key() < 0):
            raise self.error(value, "a RANGE frame offset must not be NULL or negative")
        key = eb.bind(o.this)
        key_ast, value_ast = o.this.copy(), value.copy()
        if key.type.numeric and offset.type.numeric:
            if key.type.kind == "int":  # widened, so that key ± offset cannot overflow
                key_ast = exp.cast(key_ast, "HUGEINT")
        elif key.type.kind in ("date", "timestamp") and offset.type.kind in ("interval", "int"):
            # a DATE key moves as a TIMESTAMP, by days when the offset is a number
            key_ast = exp.cast(key_ast, "TIMESTAMP")
            if offset.type.kind == "int":
                value_ast = exp.Interval(this=exp.Literal.string(str(offset.value)), unit=exp.var("DAY"))
        else:
            raise self.error(value, f"a RANGE offset of type {offset.type} cannot bound an ORDER BY of type "
                                    f"{key.type}")
        down = (side == "preceding") != bool(o.args.get("desc"))
        return eb.bind((exp.Sub if down else exp.Add)(this=key_ast, expression=value_ast))

    # -- ORDER BY -------------------------------------------------------------------------------
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

    # -- set operations -------------------------------------------------------------------------
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
        limit, offset = self.limit_offset(node)
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
        if limit is not None or offset:
            part = tuple(P.col(b.plan.fields, i) for i in range(b.prefix))
            return Bound(P.TopK(b.plan, tuple(keys), limit, offset, part), b.names, b.prefix, limit == 1, tuple(keys))
        return Bound(b.plan, b.names, b.prefix, False, tuple(keys))

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


def _as_timestamp(v):
    import datetime
    return v if isinstance(v, datetime.datetime) else datetime.datetime(v.year, v.month, v.day)


def select_aliases(select) -> set:
    """The names a SELECT's FROM clause defines (parenthesized joins included)."""
    return {item.alias_or_name for item in from_items(select)}


def aggregate_level(agg):
    """The SELECT an aggregate (with its FILTER, if any) belongs to: the innermost one whose FROM
    defines a table it reads (its own SELECT if it reads none, like COUNT(*))."""
    owner = _owner(agg)
    # only the columns it reads directly count: one read inside a subquery in the argument leaves
    # the aggregate where it is (as in DuckDB: SUM((SELECT o.x)) is the subquery's aggregate)
    tables = {c.table for c in agg.find_all(exp.Column) if c.table and _owner(c) is owner}
    select = owner
    while select is not None:
        if tables & select_aliases(select):
            return select
        select = select.find_ancestor(exp.Select)
    return owner


def named_columns(alias: str, names, offset: int = 0) -> dict:
    """The scope of a FROM item: (alias, name) -> column index.  Of two columns with one name (a
    subquery's ``SELECT 1 AS a, 2 AS a``) the name is the first, as DuckDB and SQLite bind it
    (Postgres calls it ambiguous: the frontend refuses such a reference there)."""
    scope: dict = {}
    for i, n in enumerate(names):
        scope.setdefault((alias, n), i + offset)
    return scope


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


_MORE_AGGREGATES = (exp.ArgMax, exp.ArgMin, exp.PercentileCont, exp.PercentileDisc, exp.Quantile,
                    exp.BitwiseAndAgg, exp.BitwiseOrAgg, exp.BitwiseXorAgg, exp.CountIf, exp.Corr, exp.CovarPop,
                    exp.CovarSamp, exp.RegrSlope, exp.RegrIntercept, exp.RegrR2, exp.RegrCount, exp.RegrAvgx,
                    exp.RegrAvgy, exp.RegrSxx, exp.RegrSyy, exp.RegrSxy, exp.Skewness, exp.Kurtosis)
_MORE_AGGREGATE_NAMES = ("product", "fsum", "favg", "sumkahan", "kahan_sum", "entropy", "kurtosis_pop")


def _agg_name(node, sql: str = "") -> str:
    """The name of an aggregate function as the user wrote it (sqlglot renames some: LIST is
    ARRAY_AGG, MAX_BY is ARG_MAX), upper-cased."""
    if isinstance(node, exp.Anonymous):
        return node.name.upper()
    meta = node.meta
    if "start" in meta and sql[meta["start"]:meta["end"] + 1].replace("_", "").isalnum():
        return sql[meta["start"]:meta["end"] + 1].upper()
    span = token_span(node)  # the name has no position of its own: it is the word before "(" + arguments
    m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(\s*(?:DISTINCT\s+)?$", sql[:span[0]], re.I) if span else None
    return (m.group(1) if m else node.sql().split("(")[0]).upper()


def _preserved_domain(join, n_left: int, p: int, kind: str):
    """The first p columns of a RIGHT or FULL join of domain-prefixed sides, made the domain of
    the preserved side: the right's copy (RIGHT) or COALESCE(left's, right's) (FULL; the copies
    are equal on matched rows, one of them NULL-padded otherwise)."""
    fields = join.fields
    exprs = []
    for i in range(p):
        left, right = P.col(fields, i), P.col(fields, n_left + i)
        exprs.append(right if kind == "right" else
                     call("coalesce", [left, right], left.type, nullable=fields[i].nullable))
    exprs += [P.col(fields, i) for i in range(p, len(fields))]
    return P.Project(join, tuple(exprs), tuple(f.name for f in fields))


def _from_reads_outer(select) -> bool:
    """Whether a SELECT's FROM clause (a derived table, an ON condition) reads an outer column."""
    clauses = [select.args.get("from_")] + list(select.args.get("joins") or [])
    for c in free_columns(select):
        node = c
        while node is not None and node is not select:
            if any(node is clause for clause in clauses):
                return True
            node = node.parent
    return False


def _using_references(select) -> list:
    """The USING columns (COALESCE forms) a SELECT's own clauses read."""
    out = []
    for n in select.walk():
        if using_columns(n) and _owner(n) is select and n not in out:
            out.append(n)
    return out


def _windowed(node) -> bool:
    """An aggregate that is itself the function of an OVER (…) (possibly with FILTER)."""
    parent = node.parent
    if isinstance(parent, exp.Filter):
        parent = parent.parent
    return isinstance(parent, exp.Window)


def _owner(node):
    """The SELECT a node belongs to (its nearest enclosing SELECT)."""
    return node.find_ancestor(exp.Select)


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


__all__ = ["QueryBinder", "Bound", "Rel", "Outer", "conjuncts", "not_", "is_not_null", "boolean"]


def _no_real_interpolation(binder, node, x, name: str) -> None:
    """DuckDB interpolates the quantiles of a FLOAT in 32-bit arithmetic (a FLOAT result): not built."""
    if x.type.kind == "float" and x.type.bits == 32:
        raise binder.error(node, f"{name} of a FLOAT (interpolated in 32-bit floats) is not supported; "
                                 "cast the argument to DOUBLE")
