"""Subqueries: EXISTS, IN, scalar and ANY/ALL, correlated or not, turned into joins.

Two decorrelations, both exact:
* Equality correlation (the common case): a subquery whose only outer references are WHERE
  conjuncts ``inner = outer`` is bound without them, with ``inner`` as leading key columns, and
  joined to the outer query on ``outer = inner``.
* Anything else, via the domain of outer values: D = DISTINCT(the outer columns the subquery reads);
  the subquery is bound with D joined into its FROM (so every outer reference becomes a column of
  D) and carries D's columns in front of its result; the outer query then joins on them, NULL-safely.

Results enter the outer query as semi-/anti-joins (WHERE [NOT] EXISTS / IN), as mark columns
(EXISTS and IN anywhere else, keeping IN's three-valued logic: NULL when there is no match but the
subquery holds a NULL, or the tested value is NULL and the subquery is not empty), or as a value
column from a left join (scalar subqueries: NULL when empty, an error for more than one row).
"""

from __future__ import annotations

from sqlglot import exp

from . import plan as P
from .bind_expr import ExprBinder, and_, boolean, is_aggregate, is_not_null, is_null, not_, or_
from .expr import NEGATED, Call, Case, Col, Lit, shift
from .scope import Outer
from .types import BOOLEAN


class SubqueryMixin:
    """Methods of the query binder that bind subqueries against an outer relation ``rel``."""

    # -- binding a subquery against rel --------------------------------------------------------
    def prepare(self, sub, rel, scalar: bool = False):
        """Bind ``sub`` for use in ``rel``.  Returns (bound, left keys over rel, null-safe flags,
        empty) where bound's first ``bound.prefix`` columns pair with the left keys, and ``empty`` is
        the bound result over no rows for a scalar aggregate decorrelated by key (else None)."""
        free = free_columns(sub, self.dialect.name == "duckdb")
        if not free:
            return self.query(sub), [], (), None
        simple = self.by_key(sub, free, rel, scalar)
        if simple is not None:
            return simple
        idx, where = [], {}
        for c in free:
            i = rel.resolve(c, self).index
            if i not in idx:
                idx.append(i)
            where[(c.table, c.name) if isinstance(c, exp.Column) else c] = idx.index(i)
        cols = [rel.col(i) for i in idx]
        domain = P.Distinct(P.Project(rel.plan, tuple(cols), tuple(f"$outer{i}" for i in range(len(cols)))))
        b = self.query(sub, Outer(domain, where))
        return b, cols, (True,) * len(cols), None

    def by_key(self, sub, free, rel, scalar: bool):
        """Decorrelate a subquery correlated only by WHERE equalities, or return None."""
        if not isinstance(sub, exp.Select) or sub.args.get("with_") is not None:
            return None
        if not all(isinstance(c, exp.Column) for c in free):
            return None  # an aggregate of the outer query read inside: the domain form handles it
        if sub.find(exp.Window) is not None:
            return None  # window partitions must stay within one outer row: the domain form keeps them
        if any(sub.args.get(k) is not None for k in ("limit", "offset", "distinct")):
            return None
        where = sub.args.get("where")
        if where is None:
            return None
        free_ids = {id(c) for c in free}
        conj = ast_conjuncts(where.this)
        pairs, rest, covered = [], [], 0
        for n, c in enumerate(conj):
            inside = [x for x in c.find_all(exp.Column) if id(x) in free_ids]
            if not inside:
                rest.append(n)
                continue
            if not isinstance(c, exp.EQ) or isinstance(c.this, exp.Collate) or isinstance(c.expression, exp.Collate):
                return None  # (a COLLATE applies to both sides: the domain form binds the comparison whole)
            lhs_free = _all_free(c.this, free_ids)
            rhs_free = _all_free(c.expression, free_ids)
            if lhs_free is True and rhs_free is None:
                pairs.append((n, c.this, c.expression))
            elif rhs_free is True and lhs_free is None:
                pairs.append((n, c.expression, c.this))
            else:
                return None
            covered += len(inside)
        if covered != len(free):
            return None
        has_aggs = bool(self.collect_aggregates(sub))
        group = sub.args.get("group")
        if has_aggs and group is None and not scalar:
            return None  # EXISTS/IN over a global aggregate: the domain form handles its one row
        if group is not None and any(isinstance(g, (exp.Rollup, exp.Cube, exp.GroupingSets))
                                     for g in group.expressions):
            return None
        if sub.args.get("having") is not None and group is None:
            return None
        new = sub.copy()
        new_conj = ast_conjuncts(new.args["where"].this)
        inner = [new_conj[n].this if new_conj[n].this == inner_ast else new_conj[n].expression
                 for n, _, inner_ast in pairs]
        keep = [new_conj[n] for n in rest]
        new.set("where", exp.Where(this=exp.and_(*keep)) if keep else None)
        new.set("expressions", [exp.alias_(e.copy(), f"$key{i}") for i, e in enumerate(inner)] + new.expressions)
        if group is not None:
            new.args["group"].set("expressions", [e.copy() for e in inner] + list(new.args["group"].expressions))
        elif has_aggs:
            new.set("group", exp.Group(expressions=[e.copy() for e in inner]))
        b = self.query(new)
        k = len(inner)
        b.prefix = k
        b.names = b.names[k:]
        b.single = has_aggs and group is None
        eb = ExprBinder(self, rel)
        left, key_types = [], []
        for i, (_, outer_ast, _) in enumerate(pairs):
            lv = eb.bind(outer_ast)
            rf = b.plan.fields[i]
            if lv.type.numeric and rf.type.numeric and "float" not in (lv.type.kind, rf.type.kind):
                # integers and decimals are equal (and hash alike) exactly as they are: a common
                # type could round (DECIMAL(38,0) for HUGEINT and DECIMAL(6,3) would match -0.5 to -1)
                left.append(lv)
                key_types.append(rf.type)
                continue
            (lv, _), _t = eb.unify([lv, Col(i, rf.type, rf.nullable)], outer_ast, "correlation")
            left.append(lv)
            key_types.append(lv.type)
        plan = _cast_keys(b.plan, key_types)
        b.plan = plan
        empty = None
        if scalar and has_aggs and group is None:
            none = sub.copy()
            none.set("where", exp.Where(this=exp.false()))
            empty = self.query(none)
        return b, left, (False,) * k, empty

    # -- WHERE conjuncts ------------------------------------------------------------------------
    def where_subquery(self, c, rel) -> bool:
        """Apply a top-level WHERE conjunct that is [NOT] EXISTS or [NOT] IN (subquery) as a
        semi- or anti-join.  Returns False for any other conjunct."""
        negated = False
        node = c
        if isinstance(node, exp.Not):
            negated, node = True, node.this
            while isinstance(node, exp.Paren):
                node = node.this
        if isinstance(node, exp.Exists):
            b, lk, safe, _ = self.prepare(_query_of(node.this), rel)
            rel.plan = P.Semijoin(rel.plan, b.plan, tuple(lk), _prefix_cols(b), safe, "anti" if negated else "semi")
            return True
        if isinstance(node, exp.In) and node.args.get("query") is not None and isinstance(node.this, exp.Tuple) \
                and not negated:
            b, lk, safe, xs, ys = self.in_parts(node, rel)
            rel.plan = P.Semijoin(rel.plan, b.plan, tuple(lk + xs), _prefix_cols(b) + tuple(ys),
                                  safe + (False,) * len(xs), "semi")
            return True
        if isinstance(node, exp.In) and node.args.get("query") is not None and not isinstance(node.this, exp.Tuple):
            b, lk, safe, (x,), (y,) = self.in_parts(node, rel)
            if not negated:
                rel.plan = P.Semijoin(rel.plan, b.plan, tuple(lk + [x]), _prefix_cols(b) + (y,), safe + (False,),
                                      "semi")
                return True
            # x NOT IN S is TRUE iff S is empty, or x is not NULL, matches nothing, and S has no NULL
            if not x.nullable:
                kept = rel.plan
                nulls_part = None
            else:
                kept = P.Filter(rel.plan, is_not_null(x))
                nulls_part = P.Semijoin(P.Filter(rel.plan, is_null(x)), b.plan, tuple(lk), _prefix_cols(b), safe,
                                        "anti")
            kept = P.Semijoin(kept, b.plan, tuple(lk + [x]), _prefix_cols(b) + (y,), safe + (False,), "anti")
            if y.nullable:
                s_nulls = P.Filter(b.plan, is_null(y))
                kept = P.Semijoin(kept, s_nulls, tuple(lk), _prefix_cols(b), safe, "anti")
            if nulls_part is not None:
                kept = P.UnionAll((kept, nulls_part), kept.fields)
            rel.plan = kept
            return True
        return False

    def in_parts(self, node, rel):
        """(bound subquery, left keys, null-safe flags, the tested values, the subquery's values)."""
        b, lk, safe, _ = self.prepare(_query_of(node.args["query"]), rel)
        left = node.this.expressions if isinstance(node.this, exp.Tuple) else [node.this]
        if len(b.names) != len(left):
            raise self.error(node.args["query"], f"IN (subquery) must return {len(left)} column"
                                                 f"{'s' if len(left) > 1 else ''}, not {len(b.names)}")
        eb = ExprBinder(self, rel)
        xs, ys = [], []
        for i, x_node in enumerate(left):
            x = eb.bind(x_node)
            y = P.col(b.plan.fields, b.prefix + i)
            if self.dialect.name == "sqlite":
                x, y = eb.sqlite_affinity(x, y, node)
            (x, y), _ = eb.unify([x, y], node, "IN")
            xs.append(x)
            ys.append(y)
        return b, lk, safe, xs, ys

    # -- expression positions -------------------------------------------------------------------
    def mark(self, rel, right, left_keys, right_keys, safe) -> Col:
        rel.plan = P.Semijoin(rel.plan, right, tuple(left_keys), tuple(right_keys), tuple(safe), "mark")
        return rel.col(rel.width - 1)

    def exists_subquery(self, node, rel, eb):
        b, lk, safe, _ = self.prepare(_query_of(node.this), rel)
        return self.mark(rel, b.plan, lk, _prefix_cols(b), safe)

    def in_subquery(self, node, rel, eb):
        b, lk, safe, xs, ys = self.in_parts(node, rel)
        if len(xs) == 1:
            return self.in_value(rel, b, lk, safe, xs[0], ys[0])
        # (a, b) IN S: TRUE if some row equals on every column, NULL if none does but some row
        # might (every column equal or NULL), else FALSE: the general ANY with a conjunction

        def all_equal(dx, yy):
            cond = None
            for x, y in zip(dx, yy):
                eq = boolean("eq", [x, y])
                cond = eq if cond is None else and_(cond, eq)
            return cond
        return self.any_value(rel, b, lk, safe, xs, ys, all_equal)

    def in_value(self, rel, b, lk, safe, x, y):
        pre = _prefix_cols(b)
        match = self.mark(rel, b.plan, lk + [x], pre + (y,), safe + (False,))
        if not x.nullable and not y.nullable:
            return match
        nonempty = self.mark(rel, b.plan, lk, pre, safe)
        has_null = self.mark(rel, P.Filter(b.plan, is_null(y)), lk, pre, safe) if y.nullable else Lit(False, BOOLEAN)
        unknown = and_(nonempty, or_(is_null(x), has_null))
        return Case(((match, Lit(True, BOOLEAN)), (unknown, Lit(None, BOOLEAN))), Lit(False, BOOLEAN), BOOLEAN, True)

    def scalar_subquery(self, node, rel, eb):
        value = rel.scalars.get(node)
        if value is None:
            value = rel.scalars[node] = self._join_scalar(node, rel, eb)
        return value

    def _join_scalar(self, node, rel, eb):
        sub = _query_of(node.this)
        self.check_determinate(sub)
        b, lk, safe, empty = self.prepare(sub, rel, scalar=True)
        if len(b.names) != 1:
            raise self.error(node, f"a scalar subquery must return one column, not {len(b.names)}")
        p = b.prefix
        right = b.plan
        if (not lk and empty is None and p == 0 and isinstance(right, P.Project) and len(right.exprs) == 1
                and isinstance(right.input, P.Aggregate) and not right.input.keys):
            # (SELECT f(aggregates) FROM …): one row always; join the aggregates and compute f for each
            # outer row that reads it, so an error of f (a division by zero over no rows) belongs to
            # the rows that would carry it: over no outer rows, none (as Postgres and DuckDB answer)
            base = rel.width
            rel.plan = P.Join(rel.plan, right.input, "left", (), (), ())
            return shift(right.exprs[0], base)
        if not b.single:
            v = P.col(right.fields, p)
            right = P.Aggregate(right, _prefix_cols(b), (P.AggCall("single", v, False, None, v.type),),
                                tuple(f.name for f in right.fields[:p + 1]))
        if empty is not None:
            fields = right.fields
            right = P.Project(right, tuple(P.col(fields, i) for i in range(p + 1)) + (Lit(True, BOOLEAN),),
                              tuple(f.name for f in fields[:p + 1]) + ("$matched",))
        base = rel.width
        rel.plan = P.Join(rel.plan, right, "left", tuple(lk), tuple(P.col(right.fields, i) for i in range(p)),
                          tuple(safe))
        value = rel.col(base + p)
        if empty is None:
            return value
        matched = rel.col(base + p + 1)
        e_base = rel.width
        rel.plan = P.Join(rel.plan, empty.plan, "left", (), (), ())
        fallback = rel.col(e_base)
        (value, fallback), t = eb.unify([value, fallback], node, "scalar subquery")
        return Case(((is_not_null(matched), value),), fallback, t, True)

    def check_determinate(self, sub) -> None:
        """A scalar subquery with LIMIT/OFFSET but no ORDER BY picks an arbitrary row (a batch engine may
        answer differently from one run to the next): refused, unless it has one row anyway (an
        aggregate without GROUP BY)."""
        lim = sub.args.get("limit") or sub.args.get("offset")
        if lim is None or sub.args.get("order") is not None:
            return
        if isinstance(sub, exp.Select) and sub.args.get("group") is None and self.collect_aggregates(sub):
            return
        raise self.error(lim, "a scalar subquery with LIMIT or OFFSET but no ORDER BY has no deterministic "
                              "answer: add an ORDER BY that says which row to take")

    def quantified_subquery(self, node, fn, rhs, rel, eb):
        """x op ANY (S) / x op ALL (S); x op ALL (S) = NOT (x negated-op ANY (S))."""
        is_all = isinstance(rhs, exp.All)
        sub = _query_of(rhs.this)
        b, lk, safe, _ = self.prepare(sub, rel)
        if len(b.names) != 1:
            raise self.error(rhs, "the subquery of ANY/ALL must return one column")
        x = eb.bind(node.this)
        y = P.col(b.plan.fields, b.prefix)
        (x, y), _ = eb.unify([x, y], node, "ANY/ALL")
        op = NEGATED[fn] if is_all else fn
        if op == "eq":
            any_value = self.in_value(rel, b, lk, safe, x, y)
        else:
            any_value = self.any_value(rel, b, lk, safe, [x], [y], lambda dx, yy: boolean(op, [dx[0], yy[0]]))
        return not_(any_value) if is_all else any_value

    def any_value(self, rel, b, lk, safe, xs, ys, compare):
        """The three-valued ``EXISTS s IN S: compare(x, s)``: TRUE if some comparison is TRUE, NULL if
        none is but some is NULL, FALSE otherwise, computed over the distinct (outer, x) pairs."""
        p = b.prefix
        keys = lk + list(xs)
        domain = P.Distinct(P.Project(rel.plan, tuple(keys), tuple(f"$d{i}" for i in range(len(keys)))))
        n = len(keys)
        dx = [P.col(domain.fields, len(lk) + i) for i in range(len(xs))]
        yy = [Col(n + p + i, y.type, y.nullable) for i, y in enumerate(ys)]
        cmp = compare(dx, yy)
        dcols = tuple(P.col(domain.fields, i) for i in range(n))

        def witnesses(cond):
            j = P.Join(domain, b.plan, "inner", dcols[:p], _prefix_cols(b), tuple(safe), cond)
            return P.Project(j, dcols, tuple(f.name for f in domain.fields))

        true_mark = self.mark(rel, witnesses(cmp), keys, dcols, (True,) * n)
        null_mark = self.mark(rel, witnesses(is_null(cmp)), keys, dcols, (True,) * n)
        return Case(((true_mark, Lit(True, BOOLEAN)), (null_mark, Lit(None, BOOLEAN))), Lit(False, BOOLEAN),
                    BOOLEAN, True)


def _prefix_cols(b) -> tuple:
    return tuple(P.col(b.plan.fields, i) for i in range(b.prefix))


def _cast_keys(plan, types):
    fields = plan.fields
    if all(fields[i].type == t for i, t in enumerate(types)):
        return plan
    exprs = []
    for i, f in enumerate(fields):
        c = P.col(fields, i)
        if i < len(types) and f.type != types[i]:
            c = _cast(c, types[i])
        exprs.append(c)
    return P.Project(plan, tuple(exprs), tuple(f.name for f in fields))


def _cast(c, t):
    return Call("cast", (c,), t, c.nullable, t)


def _query_of(node):
    while isinstance(node, (exp.Subquery, exp.Paren)):
        node = node.this
    return node


def _all_free(node, free_ids):
    """True if every column in node is free (and there is one), None if none is, False if mixed."""
    cols = list(node.find_all(exp.Column))
    if not cols:
        return None
    flags = {id(c) in free_ids for c in cols}
    if flags == {True}:
        return True
    if flags == {False}:
        return None
    return False


def ast_conjuncts(node) -> list:
    """The conjuncts of an AND tree of sqlglot nodes."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return ast_conjuncts(node.this) + ast_conjuncts(node.expression)
    return [node]


def free_columns(node, grouped_outer: bool = False) -> list:
    """Columns inside a query that refer to tables not defined within it (outer references), and
    aggregates over such columns only (which belong to the outer query; with ``grouped_outer``, DuckDB's
    exception: not when their SELECT groups by one of those columns, grouping.aggregate_level)."""
    out: list = []
    _free(node, frozenset(), out, grouped_outer)
    return out


def grouped_by_one_of(select, columns) -> bool:
    """Whether ``select``'s GROUP BY lists one of ``columns`` as a bare column (parentheses allowed)."""
    group = select.args.get("group")
    if group is None:
        return False
    keys = set()
    for e in group.expressions:
        while isinstance(e, exp.Paren):
            e = e.this
        if isinstance(e, exp.Column):
            keys.add((e.table, e.name))
    return any((c.table, c.name) in keys for c in columns)


def from_items(select: exp.Select):
    """The FROM items of a SELECT, parenthesized joins flattened into their tables."""
    out = []
    f = select.args.get("from_")
    items = ([f.this] if f is not None else []) + [j.this for j in select.args.get("joins") or []]
    for item in items:
        if isinstance(item, exp.Subquery) and isinstance(item.this, exp.Table):
            out.append(item.this)
            out += [j.this for j in item.this.args.get("joins") or []]
        else:
            out.append(item)
    return out


def _aggregate_unit(node) -> bool:
    """An aggregate call with its FILTER, if any (not a window function): the unit whose columns
    decide which query computes it."""
    if isinstance(node, exp.Filter):
        return is_aggregate(node.this) and not isinstance(node.parent, exp.Window)
    return is_aggregate(node) and not isinstance(node.parent, (exp.Filter, exp.Window))


def _free(node, bound, out, grouped_outer: bool) -> None:
    if isinstance(node, exp.Select):
        sources = from_items(node)
        inner = set(bound)
        for s in sources:
            inner.add(s.alias_or_name)
        inner = frozenset(inner)
        with_ = node.args.get("with_")
        if with_ is not None:
            for cte in with_.expressions:
                _free(cte.this, bound, out, grouped_outer)
        before = set(bound)
        for s in sources:
            if isinstance(s, exp.Lateral):  # reads the items before it
                _free(s, frozenset(before), out, grouped_outer)
            elif isinstance(s, exp.Subquery):
                _free(s.this, bound, out, grouped_outer)
            elif not isinstance(s, exp.Table):
                _free(s, bound, out, grouped_outer)
            before.add(s.alias_or_name)
        for key, val in node.args.items():
            if key in ("from_", "with_") or val is None:
                continue
            if key == "joins":
                for j in val:
                    for k2, v2 in j.args.items():
                        if k2 != "this" and isinstance(v2, exp.Expression):
                            _free(v2, inner, out, grouped_outer)
                continue
            for child in (val if isinstance(val, list) else [val]):
                if isinstance(child, exp.Expression):
                    _free(child, inner, out, grouped_outer)
        return
    if isinstance(node, exp.Column):
        if node.table and node.table not in bound:
            out.append(node)
        return
    if _aggregate_unit(node):
        # only the columns it reads directly decide (as in DuckDB: in SUM((SELECT o.x)) the
        # subquery's outer reference does not make the aggregate an outer one)
        owner = node.find_ancestor(exp.Select)
        cols = [c for c in node.find_all(exp.Column) if c.find_ancestor(exp.Select) is owner]
        if cols and all(c.table and c.table not in bound for c in cols) and not (
                grouped_outer and grouped_by_one_of(owner, cols)):
            out.append(node)  # an aggregate over outer columns only: the outer query computes it
            return
    for child in node.iter_expressions():
        _free(child, bound, out, grouped_outer)


__all__ = ["SubqueryMixin", "free_columns", "is_not_null"]
