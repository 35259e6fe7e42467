"""Calls DuckDB refuses when it binds them, and deltasql's binder would otherwise type and answer:
refused here the same way (a CompileError at the call), so that no view answers a query DuckDB
does not run.

Laws (DuckDB 2.0's binder; each rule is checked by tests/test_diff_lenient.py against DuckDB):
- STRFTIME / STRPTIME take their format as a constant expression (NULL included): a format read
  from a column is refused ("the format argument must be a constant expression");
- CONCAT_WS needs a separator and at least one value (also PostgreSQL's rule);
- CONTAINS(a, NULL) whose first argument is a literal (a string or NULL) is ambiguous between the
  string, list, map and struct forms: refused, as DuckDB cannot choose; with a typed first argument
  (a column, a CAST) it is the usual NULL.
- a unary + (marked by compiler/duckdb_syntax.py) takes a number or NULL, nothing else.
Only the duckdb dialect is checked, except CONCAT_WS's arity, which no dialect has otherwise.
"""

from __future__ import annotations

from sqlglot import exp

from .expr import is_constant


def constant_format(binder, node, fmt, what: str) -> None:
    """DuckDB's STRFTIME / STRPTIME: ``fmt`` (bound) must not read a column."""
    if binder.dialect.name == "duckdb" and not is_constant(fmt):
        raise binder.error(node, f'the format argument of {what} must be a constant expression')


def concat_ws_arity(binder, node, count: int) -> None:
    """CONCAT_WS(separator, value, …): at least one value."""
    if count < 2:
        raise binder.error(node, "CONCAT_WS needs a separator and at least one value")


def prepare_contains(binder, node, args, label):
    """The registry's ``prepare`` of CONTAINS (compiler/functions.py): contains_literals, args unchanged."""
    contains_literals(binder, node)
    return args


def contains_literals(binder, node) -> None:
    """CONTAINS('…' or NULL, NULL): DuckDB cannot choose among its string, list, map and struct forms."""
    if binder.dialect.name != "duckdb" or not isinstance(node.expression, exp.Null):
        return
    first = node.this
    if isinstance(first, exp.Null) or (isinstance(first, exp.Literal) and first.is_string):
        raise binder.error(node, "CONTAINS of a literal and an untyped NULL is ambiguous (a string, list, map "
                                 "or struct form): cast the NULL, e.g. NULL::VARCHAR")


def unary_plus(binder, node, e):
    """+x: x itself, when it is a number (or NULL); DuckDB has no + of any other type."""
    if e.type.numeric or e.type.kind == "null":
        return e
    raise binder.error(node, f"unary + of {e.type} is not defined (only of numbers)")
