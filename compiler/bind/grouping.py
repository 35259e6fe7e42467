"""GROUP BY: which aggregates a SELECT computes, grouping sets (ROLLUP, CUBE, GROUPING SETS), GROUPING(),
and the relation a grouped SELECT's later clauses read.

Laws: an aggregate belongs to the innermost SELECT whose FROM defines a table it reads (SQL's rule:
an aggregate in a subquery over outer columns is the outer query's; DuckDB's exception: the subquery's
own when it groups by one of those outer columns); aggregates do not nest; grouping
sets are a UNION ALL of one Aggregate per set with the missing keys NULL; an aggregate without GROUP
BY has one row even over no rows, per outer value in a correlated subquery (COUNT 0, the others NULL).
"""

from __future__ import annotations

import math

from sqlglot import exp

from .. import plan as P
from ..aggregates import is_aggregate
from ..bind_expr import ExprBinder
from ..export_state import ExportState
from ..expr import Lit
from ..frontend import using_binding, using_columns
from ..scope import Rel
from ..subqueries import from_items, grouped_by_one_of
from ..types import BIGINT
from .builders import call
from .set_operations import _union_fields

MAX_GROUPING_SETS = 65535  # DuckDB's limit ("Maximum grouping set count of 65535 exceeded")


def select_aliases(select) -> set:
    """The names a SELECT's FROM clause defines (parenthesized joins included)."""
    return {item.alias_or_name for item in from_items(select)}


def aggregate_level(agg, grouped_outer: bool = False):
    """The SELECT an aggregate (with its FILTER, if any) belongs to: the innermost one whose FROM
    defines a table it reads (its own SELECT if it reads none, like COUNT(*)).  With ``grouped_outer``
    (DuckDB), also its own SELECT when that one groups by one of the outer columns it reads, as a bare
    column: (SELECT SUM(t.a) FROM u GROUP BY t.a) sums t.a over u's rows."""
    owner = _owner(agg)
    # only the columns it reads directly count: one read inside a subquery in the argument leaves
    # the aggregate where it is (as in DuckDB: SUM((SELECT o.x)) is the subquery's aggregate)
    columns = [c for c in agg.find_all(exp.Column) if c.table and _owner(c) is owner]
    tables = {c.table for c in columns}
    if grouped_outer and tables and not tables & select_aliases(owner) and grouped_by_one_of(owner, columns):
        return owner
    select = owner
    while select is not None:
        if tables & select_aliases(select):
            return select
        select = select.find_ancestor(exp.Select)
    return owner


def _using_references(select) -> list:
    """The USING columns (COALESCE forms) a SELECT's own clauses read."""
    out = []
    for n in select.walk():
        if using_columns(n) and _owner(n) is select and n not in out:
            out.append(n)
    return out


def _windowed(node) -> bool:
    """An aggregate that is itself the function of an OVER (…) (possibly with IGNORE NULLS, FILTER)."""
    parent = node.parent
    if isinstance(parent, exp.IgnoreNulls):
        parent = parent.parent
    if isinstance(parent, exp.Filter):
        parent = parent.parent
    return isinstance(parent, exp.Window)


def _exported(node):
    """The EXPORT_STATE whose call an aggregate is (possibly with FILTER, IGNORE NULLS), or None: that
    ExportState is the aggregate computed."""
    parent = node.parent
    while isinstance(parent, (exp.Filter, exp.IgnoreNulls)):
        parent = parent.parent
    return parent if isinstance(parent, ExportState) else None


def _owner(node):
    """The SELECT a node belongs to (its nearest enclosing SELECT)."""
    return node.find_ancestor(exp.Select)


class GroupingBinding:
    """QueryBinder methods for the constructs above (mixed into QueryBinder)."""

    def collect_aggregates(self, node: exp.Select) -> list:
        """Aggregate calls computed by this SELECT, in order, without repeats: its own, and those in
        its subqueries whose arguments read only this SELECT's columns (SQL makes them this
        query's aggregates)."""
        out = []
        grouped_outer = self.dialect.name == "duckdb"
        roots = list(node.expressions)
        for key in ("having", "order"):
            if node.args.get(key) is not None:
                roots.append(node.args[key])
        for root in roots:
            for n in root.walk(bfs=False):
                if is_aggregate(n) and not _windowed(n) and _exported(n) is None:
                    target = n.parent if isinstance(n.parent, exp.IgnoreNulls) else n
                    target = target.parent if isinstance(target.parent, exp.Filter) else target
                    if aggregate_level(target, grouped_outer) is node and target not in out:
                        out.append(target)
        for n in out:
            inner = n.this if isinstance(n, exp.Filter) else n
            inner = inner.this if isinstance(inner, exp.IgnoreNulls) else inner
            for sub in inner.walk():
                if sub is not inner and is_aggregate(sub) and not _windowed(sub) and _exported(sub) is not inner:
                    level = aggregate_level(sub.parent if isinstance(sub.parent, exp.Filter) else sub, grouped_outer)
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

        def unit(x) -> tuple:
            """An element's keys: (a, b) is both together, () none (GROUP BY (a, b), CUBE ((a, b)))."""
            return tuple(key(k) for k in x.expressions) if isinstance(x, exp.Tuple) else (key(x),)

        def alternatives(e) -> list:
            """The grouping sets of ROLLUP, CUBE or GROUPING SETS (whose elements may be any of these:
            their sets are listed in its own, duplicates kept, as DuckDB and Postgres do)."""
            if isinstance(e, exp.Rollup):
                items = [unit(x) for x in e.expressions]
                return [tuple(dict.fromkeys(k for u in items[:n] for k in u)) for n in range(len(items), -1, -1)]
            if isinstance(e, exp.Cube):
                items = [unit(x) for x in e.expressions]
                if 1 << len(items) > MAX_GROUPING_SETS:
                    raise self.error(e, f"CUBE of {len(items)} elements makes more than DuckDB's maximum of "
                                        f"{MAX_GROUPING_SETS} grouping sets")
                return [tuple(dict.fromkeys(k for i in range(len(items)) if mask >> (len(items) - 1 - i) & 1
                                            for k in items[i]))
                        for mask in range((1 << len(items)) - 1, -1, -1)]
            alts = []
            for s in e.expressions:
                if isinstance(s, (exp.Rollup, exp.Cube, exp.GroupingSets)):
                    alts += alternatives(s)
                    continue
                inner = s.expressions if isinstance(s, exp.Tuple) else [s.this if isinstance(s, exp.Paren) else s]
                alts.append(tuple(key(x) for x in inner))
            return alts

        factors = []  # each factor: a list of alternative key-index tuples
        plain = True
        for e in group.expressions:
            if isinstance(e, (exp.Rollup, exp.Cube, exp.GroupingSets)):
                factors.append(alternatives(e))
                plain = False
            else:
                factors.append([unit(e)])
        for k in ("rollup", "cube", "grouping_sets"):
            if group.args.get(k):
                raise self.error(group, f"GROUP BY {k.upper()} in this form is not supported")
        if plain:
            return keys, None
        if math.prod(len(alts) for alts in factors) > MAX_GROUPING_SETS:
            raise self.error(group, f"GROUP BY makes more than DuckDB's maximum of {MAX_GROUPING_SETS} grouping sets")
        sets = [()]
        for alts in factors:
            sets = [tuple(dict.fromkeys(a + b)) for a in sets for b in alts]
        return keys, sets
