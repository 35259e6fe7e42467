"""Rewrites of shorthands after qualify (stars expanded, names resolved): named windows,
DISTINCT ON, GROUP BY ALL, ORDER BY ALL and WITHIN GROUP.

    SELECT … OVER w … WINDOW w AS (spec)       =  SELECT … OVER (spec) …
    SELECT DISTINCT ON (k) … ORDER BY o        =  SELECT … QUALIFY ROW_NUMBER() OVER (PARTITION BY k ORDER BY o) = 1
                                                  ORDER BY o
    SELECT e1, …, agg … GROUP BY ALL           =  SELECT e1, …, agg … GROUP BY e1, … (the items reading
                                                  columns, without aggregates)
    SELECT e1, …, en … ORDER BY ALL [DESC]     =  SELECT e1, …, en … ORDER BY 1, …, n [DESC]
    PERCENTILE_CONT(q) WITHIN GROUP (ORDER BY x [DESC])  =  QUANTILE_CONT(x, q [negated])  (and _DISC)

DISTINCT ON keeps the first row of each k group in the ORDER BY; rows that tie on o are told apart
by the window's tie-breaker (the whole row), so the choice is deterministic where DuckDB's is not.
DISTINCT ON comes after a SELECT's window functions and its QUALIFY (SQL's order of evaluation:
… HAVING, windows, QUALIFY, DISTINCT, ORDER BY, LIMIT), so where k or o hold a window function, or the
SELECT has a QUALIFY, the SELECT is evaluated first, with k and o as hidden columns, and DISTINCT ON
picks from its rows:

    SELECT DISTINCT ON (k) e1, … [QUALIFY q] ORDER BY o LIMIT n
        =  SELECT c1 AS e1, … FROM (SELECT e1 AS c1, …, k AS k1, o AS o1 … [QUALIFY q]) AS d
           QUALIFY ROW_NUMBER() OVER (PARTITION BY d.k1 ORDER BY d.o1) = 1  ORDER BY d.o1 LIMIT n
"""

from sqlglot import exp

from .bind_expr import is_aggregate
from .errors import CompileError
from .frontend import error_at
from .positions import keyword_position


def expand_shorthands(query: exp.Expression, sql: str) -> exp.Expression:
    """Rewrite ``query``'s shorthands in place; the query (a new root where DISTINCT ON wrapped it)."""
    for select in list(query.find_all(exp.Select)):
        _expand_named_windows(select, sql)
        group = select.args.get("group")
        if group is not None and len(group.expressions) == 1 and isinstance(group.expressions[0], exp.Star):
            group.set("expressions", [])  # GROUP BY *: DuckDB's GROUP BY ALL
            group.set("all", True)
        if group is not None and group.args.get("all"):
            _expand_group_by_all(select, group, sql)
        d = select.args.get("distinct")
        if d is not None and d.args.get("on") is not None:
            staged = _expand_distinct_on(select, d, sql)
            if select is query:
                query = staged
    for node in list(query.find_all(exp.WithinGroup)):
        _expand_within_group(node, sql)
    for node in list(query.find_all(exp.Select, exp.SetOperation)):
        order = node.args.get("order")
        if order is not None and len(order.expressions) == 1 and _is_all(order.expressions[0].this):
            _expand_order_by_all(node, order)
    return query


def _is_all(e) -> bool:
    """ORDER BY ALL, or DuckDB's ORDER BY *."""
    if isinstance(e, exp.Star):
        return True
    return isinstance(e, (exp.Var, exp.Column)) and not getattr(e, "table", None) and e.name.upper() == "ALL"


def _owned(select, node) -> bool:
    return node.find_ancestor(exp.Select) is select


# -- named windows --------------------------------------------------------------------------------

def _expand_named_windows(select, sql: str) -> None:
    """Each OVER w / OVER (w …) gets w's PARTITION BY, ORDER BY and frame; as DuckDB (and the SQL
    standard) rule, a window built on w may add an ORDER BY or a frame w lacks, nothing else, and
    only OVER w (no parentheses) may name a w that has a frame."""
    defs: dict = {}  # name -> (partition_by, order, spec)
    for w in select.args.get("windows") or []:
        name = w.name
        if name in defs:
            raise error_at(w, f"window {name!r} is defined twice", sql)
        defs[name] = _resolve(w, defs, sql)
    for w in list(select.find_all(exp.Window)):
        if not _owned(select, w) or w.args.get("alias") is None or not w.args.get("over"):
            continue
        partition, order, spec = _resolve(w, defs, sql)
        w.set("alias", None)
        w.set("partition_by", [p.copy() for p in partition])
        w.set("order", order.copy() if order is not None else None)
        w.set("spec", spec.copy() if spec is not None else None)
    select.set("windows", None)


def _bare(ref, sql: str) -> bool:
    """Whether a window name is written OVER w (not OVER (w …), which copies w: DuckDB refuses
    that for a w with a frame, as the SQL standard does)."""
    start = ref.meta.get("start") if ref.meta else None
    return start is not None and not sql[:start].rstrip().endswith("(")


def _resolve(w, defs: dict, sql: str):
    """(PARTITION BY list, ORDER BY, frame) of a window spec that may name a base window."""
    partition = list(w.args.get("partition_by") or [])
    order = w.args.get("order")
    spec = w.args.get("spec")
    base_ref = w.args.get("alias")
    if base_ref is None:
        return partition, order, spec
    base = base_ref.name
    if base not in defs:
        raise error_at(base_ref, f"unknown window {base!r}", sql)
    b_partition, b_order, b_spec = defs[base]
    if partition:
        raise error_at(partition[0], f"cannot override the PARTITION BY of window {base!r}", sql)
    if order is not None and b_order is not None:
        raise error_at(order, f"cannot override the ORDER BY of window {base!r}", sql)
    if b_spec is not None:
        if not partition and order is None and spec is None and _bare(base_ref, sql):
            return b_partition, b_order, b_spec  # OVER w, no parentheses: w itself, frame included
        raise error_at(base_ref, f"cannot build on window {base!r}: it has a frame clause", sql)
    return b_partition, order if order is not None else b_order, spec


# -- DISTINCT ON ----------------------------------------------------------------------------------

def _expand_distinct_on(select, d, sql: str) -> exp.Select:
    """The SELECT that stands for ``select`` (itself, or the staged form that replaced it)."""
    on = d.args["on"]
    keys = list(on.expressions) if isinstance(on, exp.Tuple) else [on]
    order = select.args.get("order")
    terms = [_output_expr(select, keys, i, sql, "DISTINCT ON") for i in range(len(keys))]
    ordered = []
    if order is not None:
        items = [o.this for o in order.expressions]
        for i, o in enumerate(order.expressions):
            o2 = o.copy()
            o2.set("this", _output_expr(select, items, i, sql, "ORDER BY"))
            ordered.append(o2)
    if select.args.get("qualify") is not None or any(isinstance(n, exp.Window) for t in terms + ordered
                                                    for n in t.walk()):
        return _staged_distinct_on(select, terms, ordered)
    number = exp.Window(this=exp.RowNumber(), partition_by=terms,
                        order=exp.Order(expressions=ordered) if ordered else None, over="OVER")
    select.set("distinct", None)
    select.set("qualify", exp.Qualify(this=exp.EQ(this=number, expression=exp.Literal.number(1))))
    return select


_HIDDEN = "__distinct_on"  # the prefix of the staged form's own names


def _staged_distinct_on(select, terms: list, ordered: list) -> exp.Select:
    """DISTINCT ON over the rows of ``select`` evaluated first (its windows and QUALIFY included), the
    keys ``terms`` and the ORDER BY ``ordered`` as hidden columns of it: the module's staged form,
    put in ``select``'s place."""
    names = []
    for item in select.expressions:
        ident = item.args.get("alias") if isinstance(item, exp.Alias) else item.this if isinstance(item, exp.Column) \
            else None
        names.append(ident.copy() if isinstance(ident, exp.Identifier) else exp.to_identifier(item.alias_or_name))
    inner = select.copy()
    for arg in ("distinct", "order", "limit", "offset", "with_"):
        inner.set(arg, None)
    shown = [exp.alias_(item.this if isinstance(item, exp.Alias) else item, f"{_HIDDEN}_c{i}", quoted=True)
             for i, item in enumerate(inner.expressions)]
    hidden = [exp.alias_(t, f"{_HIDDEN}_k{i}", quoted=True) for i, t in enumerate(terms)]
    hidden += [exp.alias_(o.this, f"{_HIDDEN}_o{i}", quoted=True) for i, o in enumerate(ordered)]
    inner.set("expressions", shown + hidden)

    def col(name: str) -> exp.Column:
        return exp.column(exp.to_identifier(name, quoted=True), table=exp.to_identifier(_HIDDEN, quoted=True))

    outer_order = []
    for i, o in enumerate(ordered):
        o2 = o.copy()
        o2.set("this", col(f"{_HIDDEN}_o{i}"))
        outer_order.append(o2)
    number = exp.Window(this=exp.RowNumber(), partition_by=[col(f"{_HIDDEN}_k{i}") for i in range(len(terms))],
                        order=exp.Order(expressions=[o.copy() for o in outer_order]) if outer_order else None,
                        over="OVER")
    outer = exp.Select(expressions=[exp.alias_(col(f"{_HIDDEN}_c{i}"), name) for i, name in enumerate(names)])
    outer.set("from_", exp.From(this=exp.Subquery(this=inner, alias=exp.TableAlias(
        this=exp.to_identifier(_HIDDEN, quoted=True)))))
    outer.set("qualify", exp.Qualify(this=exp.EQ(this=number, expression=exp.Literal.number(1))))
    for arg in ("limit", "offset", "with_"):
        if select.args.get(arg) is not None:
            outer.set(arg, select.args[arg])
    if outer_order:
        outer.set("order", exp.Order(expressions=outer_order))
    select.replace(outer)
    return outer


def _output_expr(select, terms, i: int, sql: str, what: str):
    """A DISTINCT ON key or ORDER BY term (terms[i]) as an expression over the input: positions and
    output aliases stand for the select-list expression they name; another literal (a string, a
    decimal, NULL, a boolean) is refused, as DuckDB refuses it (it has no effect)."""
    e = terms[i]
    items = select.expressions
    if isinstance(e, (exp.Boolean, exp.Null)) or (isinstance(e, exp.Literal) and not e.is_int):
        line, col = keyword_position(terms, i, e.sql(), sql, before=items[0] if what == "DISTINCT ON" else None)
        raise CompileError(f"{what} a non-integer literal ({e.sql()}) has no effect", line, col, sql)
    if isinstance(e, exp.Literal) and e.is_int:
        n = int(e.this)
        if not 1 <= n <= len(items):
            raise error_at(e, f"position {n} is not in the select list", sql)
        item = items[n - 1]
        return (item.this if isinstance(item, exp.Alias) else item).copy()
    if isinstance(e, exp.Column) and not e.table:
        for item in items:
            if isinstance(item, exp.Alias) and item.alias == e.name:
                return item.this.copy()
    return e.copy()


# -- GROUP BY ALL, ORDER BY ALL ---------------------------------------------------------------------

def _expand_group_by_all(select, group, sql: str) -> None:
    """Group by every select-list item that holds no aggregate of this SELECT (none: a global
    aggregate); a window function cannot be grouped on, as DuckDB rules."""
    keys = []
    for item in select.expressions:
        e = item.this if isinstance(item, exp.Alias) else item
        own = [n for n in e.walk() if _owned(select, n)]
        if any(isinstance(n, exp.Window) for n in own):
            raise error_at(e, "GROUP BY ALL cannot group on a window function", sql)
        # constants are not grouped on (as DuckDB: SELECT 5, COUNT(*) … GROUP BY ALL is global)
        if any(isinstance(n, exp.Column) for n in own) and not any(is_aggregate(n) for n in own):
            keys.append(e.copy())
    select.set("group", exp.Group(expressions=keys) if keys else None)


def _expand_order_by_all(node, order) -> None:
    """ORDER BY ALL: every output column, left to right, each with ALL's direction and NULLS."""
    first = node
    while isinstance(first, exp.SetOperation):
        first = first.this
    template = order.expressions[0]
    terms = []
    for i in range(len(first.expressions)):
        o = template.copy()
        o.set("this", exp.Literal.number(i + 1))
        terms.append(o)
    order.set("expressions", terms)


# -- WITHIN GROUP ----------------------------------------------------------------------------------

def _expand_within_group(node, sql: str) -> None:
    """PERCENTILE_CONT/DISC(q) WITHIN GROUP (ORDER BY x): the quantile of x, counted from the top
    for DESC (DuckDB's negative fraction); MODE() WITHIN GROUP (ORDER BY x): MODE(x ORDER BY x)."""
    f, order = node.this, node.expression
    if isinstance(f, exp.Mode) and f.this is None and isinstance(order, exp.Order) and len(order.expressions) == 1:
        # MODE() WITHIN GROUP (ORDER BY x): MODE(x ORDER BY x), ties to the first value in that order (DuckDB)
        new = exp.Mode(this=exp.Order(this=order.expressions[0].this.copy(), expressions=[order.expressions[0].copy()]))
        new.meta.update(f.meta)
        node.replace(new)
        return
    if not isinstance(f, (exp.PercentileCont, exp.PercentileDisc)) or not isinstance(order, exp.Order):
        raise error_at(node, "WITHIN GROUP is only supported for PERCENTILE_CONT, PERCENTILE_DISC and MODE", sql)
    if len(order.expressions) != 1:
        raise error_at(order, "WITHIN GROUP needs exactly one ORDER BY expression", sql)
    if f.args.get("expression") is not None:
        raise error_at(f.args["expression"], f"{f.sql_name()} takes one fraction (or a list of them)", sql)
    o = order.expressions[0]
    q = f.this.copy()
    if any(isinstance(n, exp.Neg) or (isinstance(n, exp.Literal) and n.this.startswith("-")) for n in q.walk()):
        raise error_at(f.this, f"the fraction of {f.sql_name()} must be between 0 and 1 (ORDER BY … DESC "
                               "counts from the top)", sql)
    if o.args.get("desc"):  # QUANTILE(x, q ORDER BY x DESC): counted from the top (bind/aggregates.py)
        q = exp.Order(this=q, expressions=[o.copy()])
    new = type(f)(this=o.this.copy(), expression=q)
    new.meta.update(f.meta)
    node.replace(new)
