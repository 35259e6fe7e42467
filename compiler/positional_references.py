"""DuckDB's positional column references ``#n``, written as the column they name before qualify.

Laws, as DuckDB binds them:

    #n                 =  the n-th column of the SELECT's FROM clause, counting every column of each
                          FROM item in order (a USING join's right key too, unlike ``*``); anywhere in
                          the SELECT, inside lambdas too
    ORDER BY #n        =  ORDER BY n (the n-th select item, as an ORDER BY position)
    a select item #n   is named after the column

Refused as DuckDB refuses: n out of range (a SELECT without FROM has no columns), n < 1.
"""

from __future__ import annotations

import re

from sqlglot import exp

from .column_selectors import name_sources, place, star_items
from .positions import error_at, offset_to_position


def resolve_positions(query: exp.Expression, schema, dialect: str, sql: str) -> None:
    """Replace every ``#n`` of the query (the innermost SELECTs first)."""
    refs = list(query.find_all(exp.PositionalColumn))
    if not refs:
        return
    _place_references(query, sql)
    by_select: dict = {}
    for r in refs:
        by_select.setdefault(id(r.find_ancestor(exp.Select)), []).append(r)
    for select in reversed(list(query.find_all(exp.Select))):
        mine = by_select.get(id(select))
        if mine:
            _resolve(select, mine, schema, dialect, sql)
    left = next(query.find_all(exp.PositionalColumn), None)
    if left is not None:  # outside every SELECT (a set operation's ORDER BY)
        raise error_at(left, "a positional reference #n needs a SELECT with a FROM clause", sql)


def _place_references(query, sql: str) -> None:
    """sqlglot gives #n no position: it is the first ``#n`` in the text after the last token before
    it (in tree order, which is source order) that has one."""
    last = 0
    for node in query.walk(bfs=False):
        meta = node._meta
        if meta and "start" in meta:
            last = max(last, meta["end"] + 1)
        elif isinstance(node, exp.PositionalColumn):
            m = re.compile(rf"#{re.escape(node.this.sql())}(?!\d)").search(sql, last)
            if m is not None:
                line, col = offset_to_position(sql, m.start())
                node.meta.update(start=m.start(), end=m.end() - 1, line=line, col=col + m.end() - m.start() - 1)
                last = m.end()


def _resolve(select, refs, schema, dialect, sql) -> None:
    columns = None
    for r in refs:
        n = int(r.this.this) if isinstance(r.this, exp.Literal) and r.this.is_int else None
        if n is None or n < 1:
            raise error_at(r, "a positional reference #n needs an integer n of at least 1", sql)
        if isinstance(r.parent, exp.Ordered) and r.parent.find_ancestor(exp.Select) is select and \
                r.parent.parent is select.args.get("order"):
            r.replace(exp.Literal.number(n))  # ORDER BY #n: the n-th select item
            continue
        if columns is None:
            columns = _from_columns(select, schema, dialect, sql, r)
        if n > len(columns):
            raise error_at(r, f"positional reference #{n} is out of range (the FROM clause has "
                              f"{len(columns)} column{'s' if len(columns) != 1 else ''})", sql)
        ref = columns[n - 1].copy()
        place(ref, r)
        r.replace(ref)


def _from_columns(select, schema, dialect, sql, at) -> list:
    """Every column of every FROM item of the SELECT, in order (each item's own ``*``)."""
    if select.args.get("from_") is None:
        return []
    name_sources(select)
    items = [select.args["from_"].this] + [j.this for j in select.args.get("joins") or []]
    out = []
    for item in items:
        for _, e in star_items(select, exp.Star(), schema, dialect, sql, at, sources=item):
            out.append(e)
    return out
