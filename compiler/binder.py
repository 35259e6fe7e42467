"""Binding queries: qualified sqlglot query trees -> logical plans.

One QueryBinder per statement.  A SELECT binds in SQL's logical order: FROM (joins), WHERE,
GROUP BY / aggregates, HAVING, the SELECT list, DISTINCT, ORDER BY / LIMIT.  Expressions are bound
by bind_expr.ExprBinder over a ``Rel``: the relation built so far plus the names visible in it.
Each clause's rules live in compiler/bind/, one module per concept (CTEs, FROM items, series,
joins, sessions, grouping, aggregate calls, windows, ordering, set operations, VALUES), each with the
laws it relies on.  Subqueries (EXISTS, IN, scalar, ANY/ALL) are decorrelated in subqueries.py,
recursive CTEs in recursion.py.
"""

from __future__ import annotations

from sqlglot import exp

from . import aggregate_states as AGS
from . import plan as P
from . import temporal
from .bind.aggregates import AggregateBinding
from .bind.builders import boolean, is_not_null, not_  # noqa: F401 (re-exported)
from .bind.ctes import CteBinding
from .bind.from_clause import FromBinding
from .bind.grouping import GroupingBinding, _owner
from .bind.joins import JoinBinding
from .bind.ordering import OrderingBinding
from .bind.series import SeriesBinding
from .bind.sessions import SessionBinding
from .bind.set_operations import SetOperationBinding
from .bind.values import ValuesBinding
from .bind.windows import WindowBinding
from .bind_expr import ExprBinder
from .errors import CompileError
from .expr import Lit, conjuncts  # noqa: F401 (re-exported)
from .frontend import position
from .scope import Bound, Outer, Rel  # noqa: F401 (re-exported)
from .subqueries import SubqueryMixin, ast_conjuncts


class QueryBinder(CteBinding, FromBinding, SeriesBinding, JoinBinding, SessionBinding, GroupingBinding,
                  AggregateBinding, WindowBinding, OrderingBinding, SetOperationBinding, ValuesBinding,
                  SubqueryMixin):
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
        limit, offset, percent, bounds = self.limit_offset(node)
        order_keys, hidden = [], []
        if order_node is not None:
            order_keys, hidden = self.order_by(order_node, node, exprs, eb, prefix, distinct)
        if distinct or order_keys:
            self.no_state_keys(node, exprs if distinct else [], order_keys)
        plan = P.Project(rel.plan, tuple(prefix_exprs + exprs + hidden),
                         tuple(prefix_names + names + [f"$order{i}" for i in range(len(hidden))]))
        if distinct:
            plan = P.Distinct(plan)
        if limit is not None or offset or percent is not None or bounds is not None:
            part = tuple(P.col(plan.fields, i) for i in range(prefix))
            plan = P.TopK(plan, tuple(order_keys), limit, offset, part, percent=percent, bounds=bounds)
            single = single or limit == 1
        ordered = None
        if hidden:
            ordered = plan
            width = prefix + len(exprs)
            plan = P.Project(plan, tuple(P.col(plan.fields, i) for i in range(width)),
                             tuple(prefix_names + names))
        return Bound(plan, names, prefix, single, tuple(order_keys), ordered)

    def no_state_keys(self, node, distinct_exprs, order_keys) -> None:
        """SELECT DISTINCT and ORDER BY compare values: not aggregate states (compiler/aggregate_states.py)."""
        for e in list(distinct_exprs) + [k.expr for k in order_keys]:
            if AGS.is_state(e.type):
                raise self.error(node, AGS.WHERE_REFUSED.format(what="in SELECT DISTINCT or ORDER BY"))

    def check_unsupported(self, node: exp.Select) -> None:
        for key, what in (("into", "SELECT INTO"),
                          ("laterals", "LATERAL"), ("pivots", "PIVOT"), ("connect", "CONNECT BY"),
                          ("sample", "TABLESAMPLE")):
            v = node.args.get(key)
            if v:
                raise self.error(v if isinstance(v, exp.Expression) else node, f"{what} is not supported")

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


__all__ = ["QueryBinder", "Bound", "Rel", "Outer", "conjuncts", "not_", "is_not_null", "boolean"]
