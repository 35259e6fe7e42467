"""A LIMIT without ORDER BY over one subquery or CTE written with ORDER BY takes that ORDER BY, as
DuckDB answers it: DuckDB preserves the order a subquery produces through scans, filters and
projections, so ``WITH t AS (SELECT … ORDER BY i DESC) SELECT i FROM t LIMIT 5`` is the five
largest ``i``.

Laws: SQL leaves the rows of a LIMIT without ORDER BY open, so any choice is an answer; this one is
DuckDB's whenever the inner ORDER BY has no ties at the cut (with ties DuckDB's own answer depends
on the order it read the rows in, and deltasql breaks them by value as in any top-k).  The rewrite is
made only where DuckDB keeps the order: the outer SELECT reads exactly one FROM item (no join), has
no GROUP BY, aggregate, DISTINCT, window or QUALIFY, and each inner ORDER BY key is an output column
of the inner query (by name or position), so it can be named from outside; otherwise nothing changes.
"""

from __future__ import annotations

from sqlglot import exp


def carry_inner_order(query: exp.Expression) -> None:
    """Give each such SELECT (anywhere in ``query``) its FROM item's ORDER BY."""
    for select in list(query.find_all(exp.Select)):
        keys = _inner_order(select)
        if keys:
            select.set("order", exp.Order(expressions=keys))


def _inner_order(select: exp.Select):
    if select.args.get("order") is not None or (select.args.get("limit") is None and select.args.get("offset") is None):
        return None
    if any(select.args.get(k) for k in ("group", "having", "distinct", "qualify", "joins", "laterals", "windows")):
        return None
    if any(isinstance(n, (exp.AggFunc, exp.Window)) for e in select.expressions for n in e.walk()):
        return None
    src = select.args.get("from_") or select.args.get("from")
    item = src.this if src is not None else None
    if isinstance(item, exp.Subquery) and isinstance(item.this, exp.Select):
        inner, columns = item.this, [c.name for c in (item.args.get("alias") or exp.TableAlias()).columns]
    elif isinstance(item, exp.Table) and not item.args.get("db"):
        cte = _cte(select, item.name)
        if cte is None or not isinstance(cte.this, exp.Select):
            return None
        inner, columns = cte.this, [c.name for c in (cte.args.get("alias") or exp.TableAlias()).columns]
    else:
        return None
    order = inner.args.get("order")
    if order is None:
        return None
    if any(isinstance(p, exp.Star) for p in inner.expressions) or len(columns) > len(inner.expressions):
        return None
    names = [p.alias_or_name for p in inner.expressions]
    outer_names = columns + names[len(columns):]  # (a CTE's column list renames its first columns)
    keys = []
    for o in order.expressions:
        k = o.this
        if isinstance(k, exp.Literal) and k.is_int and 1 <= int(k.this) <= len(names):
            pos = int(k.this) - 1
        elif isinstance(k, exp.Column) and not k.table and k.name in names:
            pos = names.index(k.name)
        else:
            return None
        if not outer_names[pos]:
            return None
        key = exp.Ordered(this=exp.column(outer_names[pos], table=item.alias_or_name),
                          desc=o.args.get("desc"), nulls_first=o.args.get("nulls_first"))
        key.meta.update(o.meta)
        keys.append(key)
    return keys


def _cte(select: exp.Select, name: str):
    """The CTE ``name`` visible from ``select`` (its own WITH, or an enclosing one)."""
    node = select
    while node is not None:
        with_ = node.args.get("with_") or node.args.get("with") if isinstance(node, exp.Expression) else None
        if isinstance(with_, exp.With):
            for cte in with_.expressions:
                if cte.alias_or_name == name:
                    return cte
        node = node.parent
    return None
