"""A CTE that reads a column of an enclosing query (a WITH inside a LATERAL subquery or an EXISTS,
reading the outer row) is written at each place it is read, as the derived table it stands for:
qualify resolves a CTE's names in the CTE's own scope only, where the outer row is not visible.

Law: for a non-recursive CTE c AS (q) (MATERIALIZED or not: a view has no evaluation order, and the
results equal, since q is deterministic), ``WITH c AS (q) … FROM c [AS a] …`` =
``… FROM (q) AS a …`` (a = c when not aliased; c's column list, if any, kept as a's), at every
reading of c in the WITH's query, the later CTEs of the same WITH included.
"""

from __future__ import annotations

from sqlglot import exp

_SOURCES = (exp.Table, exp.Subquery, exp.Unnest, exp.Values, exp.Lateral, exp.CTE)


def inline_correlated_ctes(query: exp.Expression) -> None:
    for with_ in list(query.find_all(exp.With)):
        owner = with_.parent
        if owner is None or with_.args.get("recursive") or owner is query:
            continue  # (a top-level WITH has no enclosing row to read)
        for cte in list(with_.expressions):
            if _reads_outside(cte.this):
                _inline(owner, with_, cte)


def _reads_outside(body) -> bool:
    """Whether a qualified column of the body names no table of the body (so one of an enclosing
    query)."""
    names = {n.alias_or_name for n in body.find_all(*_SOURCES)}
    return any(c.table and c.table not in names for c in body.find_all(exp.Column))


def _inline(owner, with_, cte) -> None:
    name = cte.alias
    for t in list(owner.find_all(exp.Table)):
        if t.name != name or t.args.get("db") or not isinstance(t.this, exp.Identifier) or any(n is t for n in cte.walk()):
            continue
        if _shadowed(t, with_, name):
            continue
        alias = exp.TableAlias(this=exp.to_identifier(t.alias or name))
        columns = cte.args["alias"].columns if cte.args.get("alias") is not None else []
        if t.args.get("alias") is not None and t.args["alias"].columns:
            columns = t.args["alias"].columns
        if columns:
            alias.set("columns", [c.copy() for c in columns])
        sub = exp.Subquery(this=cte.this.copy(), alias=alias)
        sub.meta.update(t.meta)
        for k in ("joins", "laterals", "pivots"):
            if t.args.get(k):
                sub.set(k, t.args[k])
        t.replace(sub)
    cte.pop()
    if not with_.expressions:
        with_.pop()


def _shadowed(t, with_, name) -> bool:
    """Whether a nearer WITH (between the reading and with_) defines the name again."""
    node = t.parent
    while node is not None and node is not with_.parent:
        w = node.args.get("with_") if isinstance(node, exp.Expression) else None
        if w is not None and w is not with_ and any(c.alias == name for c in w.expressions):
            return True
        node = node.parent
    return False
