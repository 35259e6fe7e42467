"""Binding scalar expressions: sqlglot expression nodes -> typed expression IR over a relation.

ExprBinder dispatches a node of class C to its rule ``_C``; the rules live in compiler/bind/, one
module per family (literals and casts, arithmetic, comparisons and logic, patterns, conditionals,
strings, numbers, dates, function calls), each with the laws it relies on; coercion and argument
checks are shared by all of them.  Typing follows the dialect (see dialect.py): integer widths and
overflow, DECIMAL scales, integer vs floating division, implicit casts of string literals.
Subqueries met inside an expression are handed to the query binder, which adds the columns they
need to the relation (see subqueries.py).
"""

from __future__ import annotations

from sqlglot import exp

from . import aggregate_states as AGS
from . import functions as FN
from . import timestamp_units
from .aggregates import is_aggregate  # noqa: F401 (re-exported)
from .bind.arguments import ArgumentRules
from .bind.arithmetic import ArithmeticRules
from .bind.builders import and_, boolean, call, is_not_null, is_null, lit, not_, or_  # noqa: F401 (re-exported)
from .bind.calls import CallRules
from .bind.coercion import CoercionRules
from .bind.comparisons import ComparisonRules
from .bind.conditionals import ConditionalRules
from .bind.dates import DateRules
from .bind.list_values import ListRules
from .bind.literals import LiteralRules
from .bind.messages import _describe, _written_name
from .bind.numeric import NumericRules
from .bind.patterns import PatternRules, _quantified
from .bind.series_values import SeriesValueRules
from .bind.strings import StringRules
from .bind.struct_values import StructRules
from .duckdb_binding import unary_plus
from .types import BOOLEAN, DOUBLE


class ExprBinder(CoercionRules, ArgumentRules, LiteralRules, ArithmeticRules, ComparisonRules, PatternRules,
                 ConditionalRules, StringRules, ListRules, StructRules, NumericRules, DateRules, CallRules,
                 SeriesValueRules):
    """Binds expressions of one SELECT over ``rel`` (a Rel of the query binder)."""

    def __init__(self, qb, rel, allow_aggregates: bool = False):
        self.qb = qb  # the QueryBinder (for subqueries, errors, dialect)
        self.rel = rel
        self.dialect = qb.dialect
        self.allow_aggregates = allow_aggregates

    def error(self, node, message):
        return self.qb.error(node, message)

    def bind(self, node):
        mapped = self.rel.ast_map.get(node) if self.rel.ast_map else None
        if mapped is not None:
            col = self.rel.col(mapped)
            if col.type.kind == "timestamp" and col.type.precision:  # TIMESTAMP_S / _MS / _NS
                col = timestamp_units.widen(self, node, col)
            return self.state_use(node, col)
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None and is_aggregate(node):
            method = self._aggregate
        if method is None and type(node) in FN.BY_NODE:
            method = self.registered
        if method is None:
            written = _written_name(node, self.qb.sql)
            if written:
                raise self.error(node, f"unsupported function {written.upper()}()")
            raise self.error(node, f"unsupported expression: {_describe(node, self.dialect.name)}")
        out = method(node)
        if node._meta and node._meta.get("unary_plus"):  # +x (DuckDB: numbers only; duckdb_syntax.py)
            out = unary_plus(self, node, out)
        if node.args.get("negate") and not _quantified(node):  # x NOT LIKE p is Like(negate=True)
            out = not_(self.as_condition(out, node))
        if out.type.kind == "timestamp" and out.type.precision:  # TIMESTAMP_S / _MS / _NS
            out = timestamp_units.widen(self, node, out)
        return self.state_use(node, out)

    def state_use(self, node, e):
        """e, refused where it is an aggregate state in a place that would compare, cast or compute with it
        (compiler/aggregate_states.py: only FINALIZE, COMBINE, COMBINE_AGGR, TYPEOF take one)."""
        if e.type.kind == "aggstate":
            what = AGS.misused(node)
            if what is not None:
                raise self.error(node, AGS.WHERE_REFUSED.format(what=what))
        return e

    def condition(self, node):
        """A WHERE / ON / HAVING / CASE condition: BOOLEAN; SQLite takes any number or text as one, DuckDB
        casts a number or text to BOOLEAN; PostgreSQL takes nothing else ("argument of WHERE must be type
        boolean").  A COLLATE on the whole condition decides nothing (a collation applies to comparisons and
        orderings; DuckDB reads ``WHERE s COLLATE NOCASE`` as ``WHERE s``), but an unknown one is an error."""
        inner = node
        while isinstance(inner, exp.Paren):
            inner = inner.this
        if isinstance(inner, exp.Collate):
            e = self.bind(inner.this)
            self.collation(inner)(e)
            return self.as_condition(e, node)
        e = self.bind(node)
        return self.as_condition(e, node)

    def as_condition(self, e, node):
        k = e.type.kind
        if k in ("bool", "null"):
            return e
        if (self.dialect.int_to_bool or self.dialect.condition_casts) and e.type.numeric:
            return boolean("truthy", [e])  # a number used as a condition: non-zero is TRUE (NaN too)
        if self.dialect.int_to_bool and k == "text":
            return boolean("truthy", [self.coerce(e, DOUBLE, node)])
        if self.dialect.condition_casts and k == "text":  # DuckDB: cast to BOOLEAN ('x' is an error)
            return self.coerce(e, BOOLEAN, node)
        raise self.error(node, f"a condition must be BOOLEAN, not {e.type}")


__all__ = ["ExprBinder", "is_aggregate", "lit", "call", "boolean", "not_", "and_", "or_",
           "is_null", "is_not_null"]
