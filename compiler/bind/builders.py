"""Typed expression IR built by the binder: constant, call and three-valued-logic constructors.

Laws: a Call is nullable when any argument is, unless the caller says otherwise (IS NULL, IS NOT
DISTINCT FROM and COALESCE decide their own); NOT of a constant folds (NOT NULL is NULL); AND / OR
keep SQL's three-valued logic, which codegen implements (FALSE AND NULL is FALSE, TRUE OR NULL is TRUE).
"""

from __future__ import annotations

from sqlglot import exp

from ..expr import Call, Lit
from ..types import BOOLEAN, SqlType

COMPARISONS = {exp.EQ: "eq", exp.NEQ: "ne", exp.LT: "lt", exp.LTE: "le", exp.GT: "gt", exp.GTE: "ge"}


def lit(value, t: SqlType) -> Lit:
    return Lit(value, t)


def call(fn: str, args, t: SqlType, extra=None, nullable=None) -> Call:
    if nullable is None:
        nullable = any(a.nullable for a in args)
    return Call(fn, tuple(args), t, nullable, extra)


def boolean(fn: str, args, nullable=None) -> Call:
    return call(fn, args, BOOLEAN, nullable=nullable)


def not_(e):
    if isinstance(e, Lit):
        return Lit(None if e.value is None else not e.value, BOOLEAN)
    return boolean("not", [e])


def and_(a, b):
    return boolean("and", [a, b])


def or_(a, b):
    return boolean("or", [a, b])


def is_null(e):
    return Call("is_null", (e,), BOOLEAN, False)


def is_not_null(e):
    return Call("is_not_null", (e,), BOOLEAN, False)
