"""TYPEOF of a computed number: when the type the binder derived is DuckDB's result type.

The binder types arithmetic, ROUND/FLOOR/CEIL/TRUNC, SUM/MIN/MAX/AVG, DECIMAL_DIVISION and the rest
by DuckDB's static rules (DECIMAL(p, s) promotion: + and - give DECIMAL(max(p1 - s1, p2 - s2) + max(s1,
s2) + 1, max(s1, s2)), * gives DECIMAL(p1 + p2, s1 + s2) capped at 18/38, an integer operand reads as
DECIMAL(its digits, 0); SUM of a DECIMAL is DECIMAL(38, s); an integer op of two integers the wider of
the two), so TYPEOF may name that type.  Where our integer types are not DuckDB's the name would be a
wrong answer, and those cases are refused:

- an integer column (or a value read from one): our TINYINT … HUGEINT also hold DuckDB's unsigned
  integers, widened (a UTINYINT is our SMALLINT), so its width is not necessarily the column's;
- a column of a subquery, view, VALUES list or CREATE TABLE … AS table, unless its own expression passes these rules (followed
  through projections, filters, joins and SUM/MIN/MAX/AVG/DECIMAL_AVERAGE/MEDIAN of the input);
- a CAST to an unsigned integer type anywhere in the statement (widened likewise);
- an integer literal met with a narrower integer: DuckDB's integer literal takes the other operand's
  type when it fits (TINYINT + 1 is a TINYINT), ours stays an INTEGER;
- an integer-valued function other than arithmetic, ABS, casts and element access (DuckDB's SIGN is a
  TINYINT, BIT_COUNT of a BIGINT a TINYINT, …).

Law: ``derivable(e, arg)`` is true only if every integer-typed node of the bound expression ``e`` is
a constant, an exact cast, or arithmetic over such nodes of one width; decimals and floats computed
from those (and from DECIMAL / FLOAT / DOUBLE columns, whose declared types are DuckDB's) follow the
promotion rules above, checked against DuckDB's TYPEOF in tests/test_typeof_computed.py.
"""

from __future__ import annotations

from sqlglot import exp

from . import plan as P
from .expr import Call, Case, Col, Expr, Lit, children
from .types import from_sqlglot

# aggregates whose DECIMAL / DOUBLE result type is DuckDB's for an argument typed as DuckDB's
_AGGREGATES = frozenset(("sum", "avg", "min", "max", "decimal_average", "median"))
_PASS_THROUGH = (P.Filter, P.Distinct, P.TopK)

# integer-valued calls whose type is the common type of their integer arguments, as DuckDB's
_SAME_WIDTH = frozenset(("add", "sub", "mul", "neg", "idiv", "mod", "abs", "cast", "try_cast",
                         "map_extract_value", "list_element", "coalesce", "greatest", "least"))
_EXACT_CASTS = frozenset(("TINYINT", "SMALLINT", "INTEGER", "INT", "BIGINT", "HUGEINT", "UINT128", "DOUBLE",
                          "DECIMAL", "NUMERIC", "FLOAT", "REAL"))


def _integer(e: Expr) -> bool:
    return e.type.kind in ("int", "uhugeint")


def _inexact_cast(arg: exp.Expression, dialect) -> bool:
    """A CAST in arg's statement to an integer type DuckDB names otherwise (its unsigned types, which are
    widened): in a subquery it may have typed a column the rules follow."""
    for c in arg.root().find_all(exp.Cast):
        if c.to is None:
            continue
        try:
            t = from_sqlglot(c.to, dialect)
        except LookupError:
            continue
        name = c.to.sql(dialect="duckdb").upper().split("(")[0].strip()
        if t.kind in ("int", "uhugeint") and name not in _EXACT_CASTS:
            return True
    return False


def _column_ok(plan, i: int, catalog) -> bool:
    """Whether column i of plan is typed as DuckDB types it: a base table's DECIMAL or floating-point
    column, or an expression over such columns by the rules above."""
    while isinstance(plan, _PASS_THROUGH):
        plan = plan.input
    if isinstance(plan, P.Scan):
        rel = catalog.relation(plan.table)
        return (rel is not None and not rel.is_view and not rel.computed_types
                and not _integer(P.col(plan.fields, i)))
    if isinstance(plan, P.Project):
        return _expr_ok(plan.exprs[i], plan.input, catalog)
    if isinstance(plan, P.Join):
        width = len(plan.left.fields)
        return _column_ok(plan.left, i, catalog) if i < width else _column_ok(plan.right, i - width, catalog)
    if isinstance(plan, P.Aggregate):
        if i < len(plan.keys):
            return _expr_ok(plan.keys[i], plan.input, catalog)
        agg = plan.aggs[i - len(plan.keys)]
        return agg.fn in _AGGREGATES and not _integer(agg) and agg.arg is not None and _expr_ok(agg.arg, plan.input, catalog)
    return False


def _expr_ok(e: Expr, plan, catalog) -> bool:
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, Col):
            if plan is None or not _column_ok(plan, x.index, catalog):
                return False
        elif not _node_ok(x):
            return False
        stack.extend(children(x))
    return True


def _node_ok(e: Expr) -> bool:
    if not _integer(e):
        return True
    if isinstance(e, Lit):
        return True
    if isinstance(e, Case):
        return True  # (its values are checked as children)
    assert isinstance(e, Call)
    if e.fn not in _SAME_WIDTH:
        return False
    ints = [a for a in e.args if _integer(a)]
    widths = {a.type.bits for a in ints}
    # a 32-bit constant beside a narrower integer: DuckDB's literal would have taken the narrower type
    return not (len(widths) > 1 and any(isinstance(a, Lit) and a.type.bits == 32 for a in ints)
                and min(widths) < 32)


def derivable(e: Expr, arg: exp.Expression, plan, catalog, dialect) -> bool:
    """Whether TYPEOF(arg), bound to e over the relation plan (its tables in catalog), can name e's type
    as DuckDB's (see the module's rules)."""
    return not _inexact_cast(arg, dialect) and _expr_ok(e, plan, catalog)
