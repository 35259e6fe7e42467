"""Binding scalar expressions: sqlglot expression nodes -> typed expression IR over a relation.

Typing follows the dialect (see dialect.py): integer widths and overflow, DECIMAL scales, integer vs
floating division, implicit casts of string literals.  Subqueries met inside an expression are handed
to the query binder, which adds the columns they need to the relation (see subqueries.py).
"""

from __future__ import annotations

import decimal
import math
import re

from sqlglot import exp

from ..sqllib import re2
from ..sqllib import sqlfuncs as F
from ..sqllib import timestamps
from ..sqllib.errors import DataError
from ..sqllib.formatting import printf_reads_unsigned
from ..sqllib.interval_text import cast_interval
from . import temporal
from .aggregate_calls import AGGREGATE_FUNCTION_NAMES, AGGREGATES, is_aggregate  # noqa: F401 (re-exported)
from . import functions as FN
from . import lists
from .errors import CompileError
from .expr import Call, Case, Col, Lit
from .frontend import token_span, using_binding
from .types import (list_of, show_value, BIGINT, BOOLEAN, DATE, DOUBLE, INTEGER, INTERVAL, NULLTYPE, SMALLINT, TEXT, TIMESTAMP,
                    TINYINT, SqlType, common_type, decimal_type, from_sqlglot)

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


def _quantified(node) -> bool:
    """x LIKE ANY (…) / x LIKE ALL (…): a NOT belongs to each match, not to the whole."""
    return isinstance(node, (exp.Like, exp.ILike)) and isinstance(node.expression, (exp.Any, exp.All))


def and_(a, b):
    return boolean("and", [a, b])


def or_(a, b):
    return boolean("or", [a, b])


def is_null(e):
    return Call("is_null", (e,), BOOLEAN, False)


def is_not_null(e):
    return Call("is_not_null", (e,), BOOLEAN, False)


class ExprBinder:
    """Binds expressions of one SELECT over ``rel`` (a Rel of the query binder)."""

    def __init__(self, qb, rel, allow_aggregates: bool = False):
        self.qb = qb  # the QueryBinder (for subqueries, errors, dialect)
        self.rel = rel
        self.dialect = qb.dialect
        self.allow_aggregates = allow_aggregates

    def error(self, node, message):
        return self.qb.error(node, message)

    # -- entry points -----------------------------------------------------------------------------
    def bind(self, node):
        mapped = self.rel.ast_map.get(node) if self.rel.ast_map else None
        if mapped is not None:
            return self.rel.col(mapped)
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
        if node.args.get("negate") and not _quantified(node):  # x NOT LIKE p is Like(negate=True)
            out = not_(self.as_condition(out, node))
        return out

    def condition(self, node):
        """A WHERE / ON / HAVING / CASE condition: BOOLEAN (SQLite: any number is a condition)."""
        e = self.bind(node)
        return self.as_condition(e, node)

    def as_condition(self, e, node):
        k = e.type.kind
        if k in ("bool", "null"):
            return e
        if e.type.kind == "int" or (self.dialect.int_to_bool and e.type.numeric):
            return boolean("truthy", [e])  # an integer used as a condition: non-zero is TRUE
        if self.dialect.int_to_bool and k == "text":
            return boolean("truthy", [self.coerce(e, DOUBLE, node)])
        raise self.error(node, f"a condition must be BOOLEAN, not {e.type}")

    # -- coercion -------------------------------------------------------------------------------
    def coerce(self, e, target: SqlType, node=None):
        if e.type == target or target.kind == "null":
            return e
        if isinstance(e, Lit):
            if e.value is None:
                return Lit(None, target)
            return self.fold_cast(e, target, node)
        return Call("cast", (e,), target, e.nullable, target)

    def fold_cast(self, e: Lit, target: SqlType, node):
        """A constant converted now; one that does not convert stays a cast, to fail at run time for the
        rows that reach it (a batch engine answers a query over no rows without error)."""
        try:
            return Lit(self.convert_literal(e.value, e.type, target, node), target)
        except CompileError:
            return Call("cast", (e,), target, False, target)

    def convert_literal(self, v, src: SqlType, target: SqlType, node):
        k = target.kind
        try:
            if k == "int":
                out = F.cast_int(v, target.bits, self.dialect.cast_float_to_int_truncates)
            elif k == "float" and target.bits == 32:
                out = F.to_real(v)
            elif k == "float":
                out = float(v) if not isinstance(v, str) else F.cast_float(v, self.dialect.name != "sqlite")
            elif k == "decimal":
                out = F.cast_decimal(v, target.scale, target.precision)
            elif k == "text" and src.kind == "timestamptz":
                out = timestamps.timestamptz_text(v)
            elif k == "text":
                out = F.to_text_sqlite(v) if self.dialect.name == "sqlite" else F.to_text(v)
            elif k == "bool":
                out = F.cast_bool(v)
            elif k == "date":
                out = timestamps.cast_date(v)
            elif k == "timestamp":
                out = timestamps.cast_timestamp(v)
            elif k == "timestamptz":
                out = timestamps.cast_timestamptz(v)
            elif k == "interval":
                out = cast_interval(v)
            elif k == "list":
                return lists.convert_constant(self, v, src, target, node)
            else:
                raise ValueError
        except Exception:
            raise self.error(node, f"cannot convert {show_value(v)} ({src}) to {target}") from None
        return out

    def unify(self, exprs, node, what: str):
        """Coerce expressions to their common type (string literals adopt the other side's type)."""
        typed = [e for e in exprs if not (isinstance(e, Lit) and e.type.kind == "text" and
                                          any(x.type.kind not in ("text", "null") for x in exprs))]
        t = NULLTYPE
        for e in typed:
            c = common_type(t, e.type)
            if c is None:
                raise self.error(node, f"{what}: cannot combine {t} and {e.type}")
            t = c
        if t.kind == "null":
            return list(exprs), t
        if self.dialect.name == "sqlite" and t.kind == "float":
            # SQLite types values, not expressions: an integer stays an integer in a REAL union
            return [e if e.type.kind == "int" else self.coerce(e, t, node) for e in exprs], t
        return [self.coerce(e, t, node) for e in exprs], t

    # -- leaves ---------------------------------------------------------------------------------
    def _Column(self, node):
        return self.rel.resolve(node, self.qb)

    def _Literal(self, node):
        text = node.this
        if node.is_string:
            return Lit(text, TEXT)
        lower = text.lower()
        if "e" in lower or lower in ("inf", "nan"):
            return Lit(float(text), DOUBLE)
        if "." in text:
            if self.dialect.decimal_is_float:
                return Lit(float(text), DOUBLE)
            d = decimal.Decimal(text)
            # DuckDB types a literal by its text: every digit written counts (0.005 is DECIMAL(4,3));
            # sqlglot reads '.34' as 0.34, a literal without a source position (DECIMAL(2,2), not (3,2))
            digits = sum(ch.isdigit() for ch in text)
            if text.startswith("0.") and "start" not in node.meta:
                digits -= 1
            scale = len(text.split(".", 1)[1])
            if digits > 38:
                return Lit(float(text), DOUBLE)
            return Lit(d, decimal_type(max(digits, scale, 1), scale))
        if len(text) > 39:  # past HUGEINT (and past what int() reads, at 4300 digits): a DOUBLE
            return Lit(float(text), DOUBLE)
        v = int(text)
        if self.dialect.name == "sqlite":
            if -(1 << 63) <= v < (1 << 63):
                return Lit(v, BIGINT)
            return Lit(float(v), DOUBLE)
        if -(1 << 31) <= v < (1 << 31):
            return Lit(v, INTEGER)
        if -(1 << 63) <= v < (1 << 63):
            return Lit(v, BIGINT)
        if -(1 << 127) <= v < (1 << 127):
            return Lit(v, SqlType("int", 128))
        return Lit(float(v), DOUBLE)

    def _HexString(self, node):
        raise self.error(node, "BLOB literals (x'…') are not supported")

    def _Null(self, node):
        return Lit(None, NULLTYPE)

    def _Boolean(self, node):
        return Lit(bool(node.this), BOOLEAN)

    def _Paren(self, node):
        return self.bind(node.this)

    def _Alias(self, node):
        return self.bind(node.this)

    def _Subquery(self, node):
        return self.qb.scalar_subquery(node, self.rel, self)

    def _Placeholder(self, node):
        raise self.error(node, "query parameters are not supported")

    # -- arithmetic -----------------------------------------------------------------------------
    def _Neg(self, node):
        a = self.bind(node.this)
        if isinstance(a, Lit) and a.type.numeric and a.value is not None:
            v = a.value.copy_negate() if isinstance(a.value, decimal.Decimal) else -a.value  # exact
            if a.type.kind == "int" and a.type.bits < 64 and v == (1 << (a.type.bits - 1)):
                return Lit(v, BIGINT)
            return Lit(v, a.type)
        if a.type.kind == "null":
            return a
        if a.type.kind == "interval":
            return call("interval_neg", [a], INTERVAL)
        if not a.type.numeric:
            if self.dialect.name == "sqlite" and a.type.kind in ("text", "bool"):
                a = self.coerce(a, DOUBLE if a.type.kind == "text" else BIGINT, node)
            else:
                raise self.error(node, f"cannot negate {a.type}")
        return call("neg", [a], a.type)

    def _Add(self, node):
        return self.arith("add", node)

    def _Sub(self, node):
        return self.arith("sub", node)

    def _Mul(self, node):
        return self.arith("mul", node)

    def _Div(self, node):
        return self.arith("div", node)

    def _IntDiv(self, node):
        return self.arith("idiv", node)

    def _Mod(self, node):
        return self.arith("mod", node)

    def bitwise(self, fn, node):
        args = [self.bind(node.this)] + ([self.bind(node.expression)] if node.args.get("expression") else [])
        args = [self.sqlite_numeric(a, node) if self.dialect.name == "sqlite" else a for a in args]
        for a in args:
            if a.type.kind == "null":
                return Lit(None, BIGINT)
            if a.type.kind != "int":
                raise self.error(node, f"bitwise operators need integers, not {a.type}")
        t = max((a.type for a in args), key=lambda t: t.bits)
        return Call(fn, tuple(args), t, any(a.nullable for a in args))

    def _BitwiseAnd(self, node):
        return self.bitwise("bit_and", node)

    def _BitwiseOr(self, node):
        return self.bitwise("bit_or", node)

    def _BitwiseXor(self, node):
        return self.bitwise("bit_xor", node)

    def _BitwiseNot(self, node):
        return self.bitwise("bit_not", node)

    def _BitwiseLeftShift(self, node):
        return self.bitwise("shift_left", node)

    def _BitwiseRightShift(self, node):
        return self.bitwise("shift_right", node)

    def arith(self, op, node):
        a = self.bind(node.this)
        b = self.bind(node.expression)
        ta, tb = a.type, b.type
        if ta.kind == "null" or tb.kind == "null":
            other = tb if ta.kind == "null" else ta
            t = DOUBLE if op == "div" and not self.dialect.integer_division else other
            if t.kind == "null":
                t = INTEGER
            return Lit(None, t)
        temporal = {"date", "timestamp", "interval"}
        if ta.kind in temporal or tb.kind in temporal:
            return self.temporal_arith(op, a, b, node)
        if self.dialect.name == "sqlite":
            a, b = self.sqlite_numeric(a, node), self.sqlite_numeric(b, node)
            ta, tb = a.type, b.type
            if ta.numeric and tb.numeric and "float" in (ta.kind, tb.kind):
                # a REAL-typed value may be an integer at run time (CASE, NULLIF, COALESCE over both):
                # Python's mixed arithmetic and per-value division keep SQLite's typing
                if op in ("div", "mod"):
                    return call(f"sqlite_{op}", [a, b], DOUBLE, nullable=True)
                if op in ("add", "sub", "mul"):
                    return call(op, [a, b], DOUBLE)
        if not (ta.numeric and tb.numeric):
            raise self.error(node, f"cannot apply {_OPS[op]} to {ta} and {tb}")
        ieee = node.meta.get("ieee_floating_point_ops") is not False  # (SET ieee_floating_point_ops: settings.py)
        if op == "div":
            typed = node.args.get("typed") if isinstance(node, exp.Div) else False
            safe = node.args.get("safe") if isinstance(node, exp.Div) else False
            if self.dialect.integer_division:
                typed = True
            if self.dialect.division_by_zero_null:
                safe = True
            extra = "null" if safe else None if ieee else "error"
            if typed and ta.kind == tb.kind == "int":
                t = ta if ta.bits >= tb.bits else tb
                return call("idiv", [a, b], t, extra, nullable=True if safe else None)
            if ta.kind == "decimal" and tb.kind in ("decimal", "int") and self.dialect.integer_division:
                t = common_type(ta, tb)
                return call("div", [self.coerce(a, DOUBLE), self.coerce(b, DOUBLE)], DOUBLE, extra, True)
            ft = _float_result(ta, tb)
            return call("div", [self.coerce(a, ft), self.coerce(b, ft)], ft, extra,
                        nullable=True if safe else None)
        if op == "idiv":
            if ta.kind == tb.kind == "int":
                t = ta if ta.bits >= tb.bits else tb
                return call("idiv", [a, b], t, "null" if self.dialect.division_by_zero_null else None,
                            nullable=True if self.dialect.division_by_zero_null else None)
            # DuckDB's // with a non-integer operand divides as DOUBLEs, but x // 0 is still an error
            safe = self.dialect.division_by_zero_null
            ft = _float_result(ta, tb)
            return call("div", [self.coerce(a, ft), self.coerce(b, ft)], ft,
                        "null" if safe else "error", nullable=True if safe else None)
        if op == "mod":
            t = common_type(ta, tb)
            extra = "null" if self.dialect.division_by_zero_null else None if ieee else "error"
            nullable = True if extra else None
            if t.kind == "float":
                return call("mod", [self.coerce(a, t), self.coerce(b, t)], t, extra, nullable)
            if t.kind == "decimal":
                return call("mod", [self.coerce(a, t), self.coerce(b, t)], t, extra, nullable)
            return call("mod", [a, b], t, extra, nullable)
        # add, sub, mul
        if "float" in (ta.kind, tb.kind):
            t = common_type(ta, tb)  # FLOAT with FLOAT, an integer or a DECIMAL stays a FLOAT
            return call(op, [self.coerce(a, t), self.coerce(b, t)], t)
        if "decimal" in (ta.kind, tb.kind):
            da = ta if ta.kind == "decimal" else decimal_type(_int_digits(ta), 0)
            db = tb if tb.kind == "decimal" else decimal_type(_int_digits(tb), 0)
            if op == "mul":
                t = decimal_type(min(da.precision + db.precision, 38), da.scale + db.scale)
            else:
                scale = max(da.scale, db.scale)
                whole = max(da.precision - da.scale, db.precision - db.scale) + 1
                t = decimal_type(min(whole + scale, 38), scale)
            if t.scale > 38:
                return call(op, [self.coerce(a, DOUBLE), self.coerce(b, DOUBLE)], DOUBLE)
            return call(op, [self.to_decimal(a), self.to_decimal(b)], t)
        t = ta if ta.bits >= tb.bits else tb
        return call(op, [a, b], t)

    def to_decimal(self, e):
        if e.type.kind == "decimal":
            return e
        if isinstance(e, Lit):
            return Lit(None if e.value is None else decimal.Decimal(e.value), decimal_type(_int_digits(e.type), 0))
        return Call("cast", (e,), decimal_type(_int_digits(e.type), 0), e.nullable,
                    decimal_type(_int_digits(e.type), 0))

    def sqlite_numeric(self, e, node):
        """SQLite converts text (and booleans) to numbers in arithmetic."""
        if e.type.kind == "text":
            if isinstance(e, Lit):
                return Lit(F.cast_numeric(e.value), BIGINT if isinstance(F.cast_numeric(e.value), int) else DOUBLE)
            return Call("numeric", (e,), DOUBLE, e.nullable)
        if e.type.kind == "bool":
            return self.coerce(e, BIGINT, node)
        return e

    def temporal_arith(self, op, a, b, node):
        ka, kb = a.type.kind, b.type.kind
        if op == "add" and kb in ("date", "timestamp") and ka in ("interval", "int"):
            a, b, ka, kb = b, a, kb, ka
        if ka in ("date", "timestamp") and kb == "interval" and op in ("add", "sub"):
            t = TIMESTAMP
            return call("add_interval" if op == "add" else "sub_interval", [a, b], t)
        if ka == "date" and kb == "int" and op in ("add", "sub"):
            n = b if op == "add" else call("neg", [b], b.type)
            return FN.call("date_add_days", [a, n])
        if op == "sub" and ka == kb == "date":
            return FN.call("date_diff_days", [a, b])
        if op == "sub" and {ka, kb} <= {"date", "timestamp"}:
            return FN.call("timestamp_diff", [self.coerce(a, TIMESTAMP), self.coerce(b, TIMESTAMP)])
        if op == "mul" and "interval" in (ka, kb):
            iv, n = (a, b) if ka == "interval" else (b, a)
            if n.type.numeric:
                return FN.call("interval_mul", [iv, n])
        if ka == kb == "interval" and op in ("add", "sub"):
            return call("interval_add" if op == "add" else "interval_sub", [a, b], INTERVAL)
        raise self.error(node, f"cannot apply {_OPS[op]} to {a.type} and {b.type}")

    def _Interval(self, node):
        unit = node.args.get("unit")
        unit_name = unit.name.lower() if unit is not None else None
        value = node.this
        if isinstance(value, exp.Literal) and value.is_string and unit_name is None:
            try:  # INTERVAL '1 day 02:00:00', '2 hours', …: DuckDB's spellings
                return Lit(cast_interval(value.this), INTERVAL)
            except DataError as e:
                raise self.error(node, str(e)) from None
        if unit_name is None:
            raise self.error(node, "INTERVAL needs a unit (e.g. INTERVAL 3 DAY)")
        v = self.bind(value)
        if v.type.kind == "text" and isinstance(v, Lit):
            try:
                v = Lit(float(v.value) if "." in v.value else int(v.value), DOUBLE if "." in v.value else BIGINT)
            except ValueError:
                raise self.error(node, f"invalid interval {v.value!r}") from None
        unit_name = unit_name.rstrip("s")
        if unit_name not in ("year", "month", "week", "day", "hour", "minute", "second", "millisecond",
                             "microsecond"):
            raise self.error(node, f"unsupported interval unit {unit_name!r}")
        if isinstance(v, Lit):
            try:
                return Lit(F.make_interval(v.value, unit_name), INTERVAL)
            except DataError:
                pass  # out of range: fails for the rows that read it
        return call("make_interval", [v], INTERVAL, unit_name)

    # -- comparisons and logic ------------------------------------------------------------------
    def comparison(self, fn, a, b, node):
        if a.type.kind == "interval" and b.type.kind == "interval":
            a, b = call("interval_key", [a], BIGINT), call("interval_key", [b], BIGINT)
        if self.dialect.name == "sqlite" and a.type.kind != b.type.kind:
            a, b = self.sqlite_affinity(a, b, node)
        if {a.type.kind, b.type.kind} == {"bool", "int"}:  # DuckDB compares a BOOLEAN as 0 or 1
            a, b = (self.coerce(x, BIGINT, node) if x.type.kind == "bool" else x for x in (a, b))
        if a.type.numeric and b.type.numeric and "float" not in (a.type.kind, b.type.kind):
            pass  # integers and decimals compare exactly as they are (a common type could round)
        else:
            (a, b), _ = self.unify([a, b], node, "comparison")
        if isinstance(a, Lit) and isinstance(b, Lit) and a.type.kind not in ("float", "interval"):
            # two constants: fold (lets CASE drop branches that can never be taken)
            if a.value is None or b.value is None:
                return Lit(None, BOOLEAN)
            import operator
            ops = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le,
                   "gt": operator.gt, "ge": operator.ge}
            return Lit(bool(ops[fn](a.value, b.value)), BOOLEAN)
        return boolean(fn, [a, b])

    def sqlite_affinity(self, a, b, node):
        """SQLite compares a number with a text column after converting the text (column affinity)."""
        if a.type.numeric and b.type.kind == "text":
            return a, self.coerce(b, DOUBLE, node)
        if b.type.numeric and a.type.kind == "text":
            return self.coerce(a, DOUBLE, node), b
        if a.type.kind == "bool" and b.type.numeric:
            return self.coerce(a, BIGINT, node), b
        if b.type.kind == "bool" and a.type.numeric:
            return a, self.coerce(b, BIGINT, node)
        return a, b

    def _compare(self, node):
        fn = COMPARISONS[type(node)]
        rhs = node.expression
        if isinstance(rhs, (exp.Any, exp.All)):
            return self.qb.quantified_subquery(node, fn, rhs, self.rel, self)
        a, b = self.comparison_operands(node)
        return self.comparison(fn, a, b, node)

    _EQ = _NEQ = _LT = _LTE = _GT = _GTE = _compare

    def _NullSafeEQ(self, node):
        a, b = self.bind(node.this), self.bind(node.expression)
        (a, b), _ = self.unify([a, b], node, "IS NOT DISTINCT FROM")
        return boolean("is_not_distinct", [a, b], nullable=False)

    def _NullSafeNEQ(self, node):
        a, b = self.bind(node.this), self.bind(node.expression)
        (a, b), _ = self.unify([a, b], node, "IS DISTINCT FROM")
        return boolean("is_distinct", [a, b], nullable=False)

    def _Is(self, node):
        a = self.bind(node.this)
        target = node.expression
        if isinstance(target, exp.Null):
            return is_null(a)
        if isinstance(target, exp.Boolean):
            a = self.as_condition(a, node)
            return boolean("is_not_distinct", [a, Lit(bool(target.this), BOOLEAN)], nullable=False)
        b = self.bind(target)
        (a, b), _ = self.unify([a, b], node, "IS")
        return boolean("is_not_distinct", [a, b], nullable=False)

    def _And(self, node):
        return and_(self.condition(node.this), self.condition(node.expression))

    def _Or(self, node):
        return or_(self.condition(node.this), self.condition(node.expression))

    def _Xor(self, node):
        a, b = self.condition(node.this), self.condition(node.expression)
        return boolean("ne", [a, b])

    def _Not(self, node):
        inner = node.this
        if isinstance(inner, exp.Is) and isinstance(inner.expression, exp.Null):
            return is_not_null(self.bind(inner.this))
        return not_(self.condition(inner))

    def _Between(self, node):
        x = self.bind(node.this)
        lo, hi = self.bind(node.args["low"]), self.bind(node.args["high"])
        (x, lo, hi), _ = self.unify([x, lo, hi], node, "BETWEEN")
        if node.args.get("symmetric"):
            raise self.error(node, "BETWEEN SYMMETRIC is not supported")
        return and_(boolean("ge", [x, lo]), boolean("le", [x, hi]))

    def _In(self, node):
        if node.args.get("query") is not None:
            return self.qb.in_subquery(node, self.rel, self)
        if node.args.get("unnest") is not None or node.args.get("field") is not None:
            raise self.error(node, "IN UNNEST is not supported")
        x = self.bind(node.this)
        items = [self.bind(i) for i in node.expressions]
        if not items:
            return Lit(False, BOOLEAN)  # x IN () is FALSE, even for a NULL x (SQLite)
        if self.dialect.name == "sqlite":
            items = [self.sqlite_affinity(x, i, node)[1] for i in items]
        exact = all(e.type.numeric and e.type.kind != "float" for e in [x] + items)
        if not exact:  # integers and decimals compare exactly as they are (a common type could round)
            allx, _ = self.unify([x] + items, node, "IN")
            x, items = allx[0], allx[1:]
        if all(isinstance(i, Lit) for i in items):
            return boolean("in_list", [x] + items)
        # x IN (a, b) = x = a OR x = b in three-valued logic
        out = None
        for i in items:
            eq = boolean("eq", [x, i])
            out = eq if out is None else or_(out, eq)
        return out

    def _Exists(self, node):
        return self.qb.exists_subquery(node, self.rel, self)

    def _Like(self, node):
        return self.like(node, case_insensitive=self.dialect.like_case_insensitive)

    def _ILike(self, node):
        return self.like(node, case_insensitive=True)

    def _Escape(self, node):
        inner = node.this
        esc = node.expression
        if not isinstance(inner, (exp.Like, exp.ILike)):
            raise self.error(node, f"ESCAPE is not supported with {_describe(inner, self.dialect.name)}")
        if not (isinstance(esc, exp.Literal) and esc.is_string and len(esc.this) == 1):
            raise self.error(esc, "ESCAPE must be a one-character string literal")
        ci = isinstance(inner, exp.ILike) or (isinstance(inner, exp.Like) and self.dialect.like_case_insensitive)
        out = self.like(inner, ci, esc.this)
        if inner.args.get("negate") and not _quantified(inner):  # x NOT LIKE p ESCAPE e: Escape(Like(negate))
            out = not_(out)
        return out

    def like(self, node, case_insensitive, escape=None):
        if node.args.get("escape") is not None:
            escape = node.args["escape"].name
        if _quantified(node):
            return self.like_quantified(node, case_insensitive, escape)
        a, p = self.bind(node.this), self.bind(node.expression)
        a, p = self.to_text(a, node), self.to_text(p, node)
        return Call("like", (a, p), BOOLEAN, a.nullable or p.nullable, (case_insensitive, escape))

    def like_quantified(self, node, case_insensitive, escape):
        """x [NOT] LIKE ANY|ALL (p1, p2, …) (Postgres): x [NOT] LIKE pi for some|every pi, in three-valued
        logic (an OR, or an AND, of the single matches; NOT applies to each match, as Postgres's !~~)."""
        q = node.expression
        items = q.this
        if isinstance(items, exp.Paren) and isinstance(items.this, exp.Array):
            items = items.this
        if isinstance(items, (exp.Tuple, exp.Array)):
            patterns = list(items.expressions)
        elif isinstance(items, (exp.Subquery, exp.Select)):
            raise self.error(q, f"LIKE {type(q).__name__.upper()} over a subquery is not supported: list the patterns")
        else:
            patterns = [items]
        a = self.to_text(self.bind(node.this), node)
        out = None
        for pn in patterns:
            p = self.to_text(self.bind(pn), pn)
            m = Call("like", (a, p), BOOLEAN, a.nullable or p.nullable, (case_insensitive, escape))
            if node.args.get("negate"):
                m = not_(m)
            out = m if out is None else (or_(out, m) if isinstance(q, exp.Any) else and_(out, m))
        return out

    # -- regular expressions (RE2, translated by re2.py) and GLOB ---------------------------------
    def regex_dialect(self, node, what):
        if self.dialect.name == "sqlite" and isinstance(node, exp.RegexpLike):
            raise self.error(node, "REGEXP has no built-in definition in SQLite")
        if self.dialect.name != "duckdb":
            raise self.error(node, f"{what} is only supported in the duckdb dialect (its regular expressions "
                                   f"are RE2's)")

    def regex_options(self, node, opt_node, what, replace=False):
        """DuckDB's options string: ((fold, dot_nl, literal), global)."""
        if opt_node is None:
            return (False, False, False), False
        o = self.bind(opt_node)
        if not (isinstance(o, Lit) and o.type.kind in ("text", "null")):
            raise self.error(opt_node, f"{what}: the options must be a constant string")
        if o.value is None:
            raise self.error(opt_node, f"{what}: the options must not be NULL")
        fold = dot_nl = literal = every = False
        for ch in o.value:  # a later option overrides an earlier one (as in DuckDB)
            if ch in "ci":
                fold = ch == "i"
            elif ch in "mnps":
                dot_nl = ch == "s"
            elif ch == "l":
                literal = True
            elif ch == "g" and replace:
                every = True
            elif ch == "g":
                raise self.error(opt_node, f"{what}: option 'g' (global replace) is only valid for REGEXP_REPLACE")
            else:
                raise self.error(opt_node, f"{what}: unrecognized regular expression option {ch!r}")
        return (fold, dot_nl, literal), every

    def regex_pattern(self, node, pat_node, opts, what):
        """The pattern argument, and its translation when it is a constant (else it is translated per
        value at run time, where a pattern that cannot be used is a DataError)."""
        p = self.text_arg(node, self.bind(pat_node), what)
        if not isinstance(p, Lit) or p.value is None:
            return p, None
        try:
            return p, re2.translate(p.value, *opts)
        except re2.PatternError as e:
            kind = "invalid" if e.invalid else "unsupported"
            raise self.error(pat_node, f"{what}: {kind} regular expression {p.value!r}: {e}") from None

    def regex_call(self, fn, node, t, what, opt_node=None, opts=None, extra_args=()):
        self.regex_dialect(node, what)
        if opts is None:
            opts, _ = self.regex_options(node, opt_node, what)
        s = self.text_arg(node, self.bind(node.this), what)
        p, rx = self.regex_pattern(node, node.expression, opts, what)
        args = (s, p) + tuple(extra_args)
        return Call(fn, args, t, any(a.nullable for a in args), (opts, rx))

    def _RegexpLike(self, node):
        what = "REGEXP_MATCHES" if self.dialect.name == "duckdb" else "REGEXP"
        return self.regex_call("regexp_matches", node, BOOLEAN, what, node.args.get("flag"))

    def _RegexpILike(self, node):
        self.regex_dialect(node, "~*")
        if node.args.get("flag") is not None:
            raise self.error(node, "~* takes no options")
        return self.regex_call("regexp_matches", node, BOOLEAN, "~*", opts=(True, False, False))

    def _RegexpFullMatch(self, node):
        return self.regex_call("regexp_full_match", node, BOOLEAN, "REGEXP_FULL_MATCH", node.args.get("options"))

    def _SimilarTo(self, node):
        # DuckDB's SIMILAR TO is a whole-string match of an RE2 pattern (not SQL's % and _ patterns)
        return self.regex_call("regexp_full_match", node, BOOLEAN, "SIMILAR TO")

    def _RegexpExtract(self, node):
        what = "REGEXP_EXTRACT"
        for key in ("position", "occurrence"):
            if node.args.get(key) is not None:
                raise self.error(node.args[key], f"{what}: a {key} argument is not supported")
        group_node, opt_node = node.args.get("group"), node.args.get("parameters")
        if isinstance(group_node, exp.Literal) and group_node.is_string and opt_node is None:
            group_node, opt_node = None, group_node  # regexp_extract(s, p, 'options')
        group = 0
        if group_node is not None:
            g = self.bind(group_node)
            if not (isinstance(g, Lit) and g.type.kind == "int"):
                raise self.error(group_node, f"{what}: the group must be an integer constant")
            if not 0 <= g.value <= 9:
                raise self.error(group_node, f"{what}: the group must be between 0 and 9")
            group = g.value
        return self.regex_call("regexp_extract", node, TEXT, what, opt_node, extra_args=(Lit(group, BIGINT),))

    def _RegexpExtractAll(self, node):  # bound as REGEXP_EXTRACT (arguments, options, group), a list of them
        one = self._RegexpExtract(node)
        return Call("regexp_extract_all", one.args, list_of(TEXT), one.nullable, one.extra)

    def _RegexpReplace(self, node):
        what = "REGEXP_REPLACE"
        self.regex_dialect(node, what)
        for key in ("position", "occurrence"):
            if node.args.get(key) is not None:
                raise self.error(node.args[key], f"{what}: a {key} argument is not supported")
        opts, every = self.regex_options(node, node.args.get("modifiers"), what, replace=True)
        s = self.text_arg(node, self.bind(node.this), what)
        p, rx = self.regex_pattern(node, node.expression, opts, what)
        rep_node, = self.required(node, what, "replacement")
        r = self.text_arg(node, self.bind(rep_node), what)
        rewrite = None
        if isinstance(r, Lit) and r.value is not None:
            try:
                rewrite = re2.rewrite(r.value)
            except re2.PatternError as e:
                raise self.error(rep_node, f"{what}: {e}") from None
            if rx is not None and rewrite.max_group > rx.groups:
                raise self.error(rep_node, f"{what}: the replacement asks for group \\{rewrite.max_group} but "
                                           f"the pattern has {rx.groups}")
        args = (s, p, r)
        return Call("regexp_replace", args, TEXT, any(a.nullable for a in args), (opts, rx, rewrite, every))

    def _Glob(self, node):
        if self.dialect.name not in ("duckdb", "sqlite"):
            raise self.error(node, "GLOB is only supported in the duckdb and sqlite dialects")
        s = self.text_arg(node, self.bind(node.this), "GLOB")
        p = self.text_arg(node, self.bind(node.expression), "GLOB")
        return Call("glob", (s, p), BOOLEAN, s.nullable or p.nullable, self.dialect.name == "sqlite")

    # -- conditional ----------------------------------------------------------------------------
    def _Case(self, node):
        operand = node.this
        whens = []
        dead = []  # results of branches that can never be taken: they only count for the type
        op = self.bind(operand) if operand is not None else None
        default_node = node.args.get("default")
        ifs = node.args.get("ifs") or []
        for i, w in enumerate(ifs):
            if op is not None:
                cond = self.comparison("eq", op, self.bind(w.this), w)
            else:
                cond = self.condition(w.this)
            if isinstance(cond, Lit) and cond.value is not True:
                dead.append(w.args["true"])
                continue
            whens.append((cond, self.bind(w.args["true"])))
            if isinstance(cond, Lit):  # always taken: the later branches and ELSE are dead
                dead += [x.args["true"] for x in ifs[i + 1:]]
                if default_node is not None:
                    dead.append(default_node)
                default_node = None
                break
        default = self.bind(default_node) if default_node is not None else Lit(None, NULLTYPE)
        typed = [v for _, v in whens] + [default]
        for d in dead:
            try:  # a dead branch may not even be bindable (a bare column after GROUP BY)
                typed.append(self.bind(d))
            except CompileError:
                pass
        values, t = self.unify(typed, node, "CASE")
        live = values[:len(whens) + 1]
        if not whens:
            return live[-1]
        whens = tuple((c, v) for (c, _), v in zip(whens, live[:-1]))
        return Case(whens, live[-1], t, any(v.nullable for v in live))

    def _If(self, node):
        cond = self.condition(node.this)
        a = self.bind(node.args["true"])
        b = self.bind(node.args["false"]) if node.args.get("false") is not None else Lit(None, NULLTYPE)
        (a, b), t = self.unify([a, b], node, "IF")
        return Case(((cond, a),), b, t, a.nullable or b.nullable)

    def _Coalesce(self, node):
        if node.meta.get("using_column"):
            # a USING column is the column it always equals where there is one (DuckDB's type too);
            # an ORDER BY key may be a detached copy, with no SELECT to tell the join sides
            select = node.find_ancestor(exp.Select)
            bound = using_binding(node, select) if select is not None else None
            if bound is not None:
                return self.bind(bound)
        args = []
        nodes = [node.this] + list(node.expressions)
        for i, x in enumerate(nodes):
            args.append(self.bind(x))
            if isinstance(args[-1], Lit) and args[-1].value is not None:
                # later arguments are never reached (so a bare column there is no error after GROUP
                # BY), but they still take part in the result's type
                typed = list(args)
                for rest in nodes[i + 1:]:
                    try:
                        typed.append(self.bind(rest))
                    except CompileError:
                        pass
                if len(typed) == 1:
                    return args[0]
                unified, t = self.unify(typed, node, "COALESCE")
                args = unified[:len(args)]
                if len(args) == 1:
                    return args[0]
                return Call("coalesce", tuple(args), t, all(a.nullable for a in args))
        if len(args) == 1:
            return args[0]
        args, t = self.unify(args, node, "COALESCE")
        return Call("coalesce", tuple(args), t, all(a.nullable for a in args))

    def _Nullif(self, node):
        """NULLIF(a, b): a, or NULL where a = b; the result has a's type (as in DuckDB)."""
        a, b = self.bind(node.this), self.bind(node.expression)
        cmp = self.comparison("eq", a, b, node)
        if a.type.kind == "null":
            return a
        return Case(((cmp, Lit(None, a.type)),), a, a.type, True)

    def _Greatest(self, node):
        return self.extreme("greatest", node)

    def _Least(self, node):
        return self.extreme("least", node)

    def extreme(self, fn, node):
        args = [self.bind(node.this)] + [self.bind(x) for x in node.expressions]
        args, t = self.unify(args, node, fn.upper())
        ignore_nulls = node.args.get("ignore_nulls")  # the parser says which its dialect means
        if ignore_nulls is None:
            ignore_nulls = self.dialect.name != "sqlite"
        if not ignore_nulls:  # SQLite's MAX(a, b) is NULL if any argument is
            return Case(tuple((is_null(a), Lit(None, t)) for a in args),
                        Call(fn, tuple(args), t, False), t, True)
        return Call(fn, tuple(args), t, all(a.nullable for a in args))

    # -- casts ----------------------------------------------------------------------------------
    def _Cast(self, node):
        a = self.bind(node.this)
        try:
            t = from_sqlglot(node.to, self.dialect)
        except LookupError as e:
            raise self.error(node.to if node.to is not None else node, f"unsupported type {e}") from None
        if a.type.kind == "null" or (isinstance(a, Lit) and a.value is None):
            return Lit(None, t)
        if t.kind == "list" or a.type.kind == "list":
            return lists.cast(self, node, a, t, isinstance(node, exp.TryCast))
        if t.kind == "interval" and a.type.kind not in ("text", "interval"):
            raise self.error(node, f"cannot cast {a.type} to INTERVAL")
        if isinstance(node, exp.TryCast):
            # NULL where the conversion fails; an error in computing the argument is still an error
            if isinstance(a, Lit):
                try:
                    return Lit(self.convert_literal(a.value, a.type, t, node), t)
                except CompileError:
                    return Lit(None, t)
            return Call("try_cast", (a,), t, True, t)
        if isinstance(a, Lit):
            return self.fold_cast(a, t, node)
        return Call("cast", (a,), t, a.nullable, t)

    _TryCast = _Cast

    def _Try(self, node):
        """TRY(e): e, or NULL for a row where computing e fails (an overflow, a cast, a division)."""
        e = self.bind(node.this)
        return Call("try", (e,), e.type, True)

    # -- strings --------------------------------------------------------------------------------
    def to_text(self, e, node):
        if lists.is_list(e):  # DuckDB's string functions have list overloads of their own (repeat, …)
            raise self.error(node, f"a {e.type} where a VARCHAR is expected (CAST it to VARCHAR)")
        if e.type.kind in ("text", "null"):
            return e if e.type.kind == "text" else Lit(None, TEXT)
        if isinstance(e, Lit):
            return Lit(self.convert_literal(e.value, e.type, TEXT, node), TEXT)
        return Call("to_text", (e,), TEXT, e.nullable)

    def _DPipe(self, node):
        a, b = self.bind(node.this), self.bind(node.expression)
        if lists.is_list(a) or lists.is_list(b):
            return lists.concat_operator(self, node, a, b)
        return call("concat", [self.to_text(a, node), self.to_text(b, node)], TEXT)

    def _Concat(self, node):
        args = [self.to_text(self.bind(x), node) for x in node.expressions]
        if self.dialect.name == "sqlite" or node.args.get("safe") is False:
            out = args[0]
            for a in args[1:]:
                out = call("concat", [out, a], TEXT)
            return out
        return FN.call("concat_ws_free", args)

    def _Substring(self, node):
        s = self.to_text(self.bind(node.this), node)
        start = self.coerce(self.bind(node.args["start"]), BIGINT, node) if node.args.get("start") else Lit(1, BIGINT)
        args = [s, start]
        if node.args.get("length") is None:
            return FN.call("substring", args)
        length = self.coerce(self.bind(node.args["length"]), BIGINT, node)
        out = FN.call("substring", args + [length])
        if not length.nullable:
            return out
        # the runtime function reads a missing length as "to the end": a NULL length is NULL
        return Case(((is_null(length), Lit(None, TEXT)),), out, TEXT, True)

    def _Trim(self, node):
        s = self.to_text(self.bind(node.this), node)
        where = (node.args.get("position") or "both").lower()
        if where not in ("both", "leading", "trailing"):
            where = "both"
        args = [s]
        if node.expression is not None:
            args.append(self.to_text(self.bind(node.expression), node))
        return Call("trim", tuple(args), TEXT, any(a.nullable for a in args), where)

    def _StrPosition(self, node):
        hay = self.to_text(self.bind(node.this), node)
        needle = self.to_text(self.bind(node.args["substr"]), node)
        if node.args.get("position") is not None:
            raise self.error(node, "POSITION with a start offset is not supported")
        return FN.call("position", [needle, hay])

    # -- math -----------------------------------------------------------------------------------
    def numeric_arg(self, node, e):
        if self.dialect.name == "sqlite":
            e = self.sqlite_numeric(e, node)
        if e.type.kind == "null":
            return Lit(None, DOUBLE)
        if not e.type.numeric:
            raise self.error(node, f"expected a number, not {e.type}")
        return e

    def _Round(self, node):
        x = self.numeric_arg(node, self.bind(node.this))
        digits = node.args.get("decimals")
        d = self.coerce(self.bind(digits), BIGINT, node) if digits is not None else Lit(0, BIGINT)
        t = x.type
        if t.kind == "decimal":
            if not isinstance(d, Lit):
                raise self.error(node, "ROUND of a DECIMAL needs a constant number of digits")
            if d.value is None:
                return Lit(None, t)
        if self.dialect.name == "sqlite" and t.kind == "int":
            x = self.coerce(x, DOUBLE, node)
        return FN.call("round", [x, d])

    # -- dates ----------------------------------------------------------------------------------
    def _Extract(self, node):
        return self.date_part(node, node.this.name if node.this is not None else "", node.expression, "EXTRACT")

    def date_part(self, node, name, value_node, what):
        """EXTRACT / DATE_PART / YEAR() and the like: a part of a DATE, TIMESTAMP or INTERVAL."""
        field = F.EXTRACT_ALIASES.get(name.lower())
        if field is None:
            raise self.error(node, f"unsupported {what} field {name.lower()!r}")
        d = self.bind(value_node)
        if d.type.kind == "text" and isinstance(d, Lit):
            d = self.coerce(d, TIMESTAMP, node)
        if d.type.kind not in ("date", "timestamp", "interval", "null"):
            raise self.error(node, f"{what} needs a DATE, TIMESTAMP or INTERVAL, not {d.type}")
        if d.type.kind == "interval" and field not in F.INTERVAL_FIELDS:
            raise self.error(node, f"{what}: the {field} of an INTERVAL is not supported")
        # (NULL for an infinite DATE or TIMESTAMP, as DuckDB answers)
        return Call("extract", (d,), DOUBLE if field in F.DOUBLE_FIELDS else BIGINT,
                    d.nullable or d.type.kind != "interval", field)

    def _date_trunc(self, node, unit_node, value_node):
        if self.unit_is_a_column(node):
            raise self.error(node, "DATE_TRUNC with the unit in a column is not supported (the unit must be a "
                                   "constant such as 'month')")
        unit = unit_node.name.lower() if unit_node is not None else ""
        unit = unit.rstrip("s") if unit.endswith("s") and unit[:-1] in F.TRUNC_UNITS else unit
        if unit not in F.TRUNC_UNITS:
            raise self.error(node, f"unsupported DATE_TRUNC unit {unit!r}")
        d = self.bind(value_node)
        if d.type.kind == "text" and isinstance(d, Lit):
            d = self.coerce(d, TIMESTAMP, node)
        if d.type.kind not in ("date", "timestamp", "null"):
            raise self.error(node, f"DATE_TRUNC needs a DATE or TIMESTAMP, not {d.type}")
        return Call("date_trunc", (d,), TIMESTAMP, d.nullable, unit)

    def unit_is_a_column(self, node) -> bool:
        """Whether DATE_TRUNC(u, x) names its unit u without quotes (a column): sqlglot reads both u
        and 'u' as the same unit word, so the source text between '(' and x tells them apart."""
        sql = self.qb.sql or ""
        span = token_span(node.this) if node.this is not None else None
        if span is None:
            return False
        before = sql[:span[0]]
        opened = before.rfind("(")
        if opened < 0:
            return False
        text = before[opened + 1:].strip()
        return bool(re.match(r'^[A-Za-z_"][^,]*,$', text)) and not text.startswith("'")

    def _TimestampTrunc(self, node):
        return self._date_trunc(node, node.args.get("unit"), node.this)

    def _DateTrunc(self, node):
        return self._date_trunc(node, node.args.get("unit"), node.this)

    def _DateDiff(self, node):
        unit = (node.args.get("unit").name.lower() if node.args.get("unit") is not None else "day").rstrip("s")
        if unit not in ("year", "quarter", "month", "week", "day", "hour", "minute", "second", "millisecond",
                        "microsecond"):
            raise self.error(node, f"unsupported DATE_DIFF unit {unit!r}")
        end, start = self.bind(node.this), self.bind(node.expression)
        # DuckDB's date_diff(unit, start, end); sqlglot puts end in `this`
        (start, end), _t = self.unify([start, end], node, "DATE_DIFF")
        for x in (start, end):
            if x.type.kind == "text":
                raise self.error(node, "DATE_DIFF needs DATE or TIMESTAMP arguments")
        return FN.call("date_diff", [Lit(unit, TEXT), start, end])

    def _DateAdd(self, node):
        d = self.bind(node.this)
        n = self.bind(node.expression)
        unit = node.args.get("unit")
        unit = unit.name.lower() if unit is not None else "day"
        if n.type.kind == "interval":
            iv = n
        elif isinstance(n, Lit):
            iv = Lit(F.make_interval(n.value, unit), INTERVAL)
        else:
            iv = call("make_interval", [n], INTERVAL, unit)
        return call("add_interval", [self.coerce(d, TIMESTAMP, node) if d.type.kind == "text" else d, iv], TIMESTAMP)

    def _DateBin(self, node):
        """time_bucket(width, ts [, origin | offset]): the start of ts's bucket (sqllib/timebucket.py)."""
        width = self.bind(node.this)
        if width.type.kind != "interval":
            raise self.error(node, f"time_bucket needs an INTERVAL width, not {width.type}")
        value = self.bind(node.expression)
        if value.type.kind == "text" and isinstance(value, Lit):
            value = self.coerce(value, TIMESTAMP, node)
        value = self.temporal_arg(node, value, "time_bucket")
        args = [width, value]
        third = node.args.get("unit")
        mode = None
        if third is not None:
            extra = self.bind(third)
            if extra.type.kind == "text" and isinstance(extra, Lit):
                extra = self.coerce(extra, TIMESTAMP, node)
            if extra.type.kind == "interval":
                mode = "offset"
            else:
                extra = self.temporal_arg(node, extra, "time_bucket's origin")
                mode = "origin"
            args.append(extra)
        t = DATE if value.type.kind == "date" else TIMESTAMP
        return call("time_bucket", args, t, mode)

    allow_now = False  # a WHERE conjunct may read the pipeline's clock (compiler/temporal.py)

    def now(self, node):
        """NOW() / CURRENT_TIMESTAMP: the pipeline's clock, in a temporal filter only (before the
        registry's entry, which refuses them as not deterministic)."""
        if not self.allow_now:
            what = {exp.CurrentDate: "CURRENT_DATE", exp.CurrentTimestamp: "CURRENT_TIMESTAMP"}.get(type(node), "NOW()")
            raise self.error(node, temporal.MISPLACED.replace("NOW()", what, 1))
        return temporal.now_call()

    def _CurrentTimestamp(self, node):
        return self.now(node)

    def _CurrentDate(self, node):
        now = self.now(node)
        return Call("cast", (now,), DATE, False, DATE)

    # -- aggregates (only reached where aggregates are not allowed) ------------------------------
    def _aggregate(self, node):
        if self.allow_aggregates:
            raise AssertionError("aggregate reached the expression binder")
        raise self.error(node, f"aggregate function {_describe(node, self.dialect.name)} is not allowed here")

    _Count = _Sum = _Avg = _Min = _Max = _LogicalAnd = _LogicalOr = _GroupConcat = _AnyValue = _aggregate
    _Stddev = _StddevSamp = _StddevPop = _Variance = _VariancePop = _Median = _aggregate

    def _Grouping(self, node):
        raise self.error(node, "GROUPING() is only allowed in a query with GROUP BY")

    def _Filter(self, node):
        raise self.error(node, "FILTER is only allowed on an aggregate function")

    def _Window(self, node):
        raise self.error(node, "window functions (OVER) are not supported")

    def _Anonymous(self, node):
        name = node.name.lower()
        if name == "now" and not node.expressions:
            return self.now(node)
        if name in AGGREGATE_FUNCTION_NAMES:
            return self._aggregate(node)
        args = node.expressions
        if name in lists.LAMBDA_NAMES and len(args) == 2:  # array_transform(xs, lambda x: …), …
            return lists.lambda_call(self.qb, self, node, lists.LAMBDA_NAMES[name], args[0], args[1])
        if name in ("list_reduce", "array_reduce", "reduce") and len(args) in (2, 3):
            return lists.reduce_call(self.qb, self, node, args)
        if name in ("list_aggr", "list_aggregate", "array_aggr", "array_aggregate"):
            return lists.aggr_call(self, node, args)
        if name == "list_slice" and len(args) == 3:
            return lists.slice_function(self, node, *args)
        f = FN.BY_NAME.get(name)
        if f is not None and (not f.deterministic or len(f.args) - f.optional <= len(args) and
                              (f.variadic or len(args) <= len(f.args))):
            return self.function(f, node, args)
        if name in ("strpos", "instr") and len(args) == 2:
            hay, needle = (self.to_text(self.bind(a), node) for a in args)
            return FN.call("position", [needle, hay])
        if name in ("ltrim", "rtrim") and 1 <= len(args) <= 2:
            bound = [self.to_text(self.bind(a), node) for a in args]
            return Call("trim", tuple(bound), TEXT, any(a.nullable for a in bound),
                        "leading" if name == "ltrim" else "trailing")
        if name == "mod" and len(args) == 2:
            return self.arith("mod", exp.Mod(this=args[0], expression=args[1]))
        if name == "strftime" and len(args) == 2:
            value, fmt = (args[1], args[0]) if self.dialect.name == "sqlite" else (args[0], args[1])
            f = self.bind(fmt)
            v = self.bind(value)
            if v.type.kind == "text":
                v = self.coerce(v, TIMESTAMP, node)
            if v.type.kind not in ("date", "timestamp", "null"):
                raise self.error(node, f"STRFTIME needs a DATE or TIMESTAMP, not {v.type}")
            return FN.call("strftime", [v, self.to_text(f, node)])
        if name in ("date_part", "datepart") and len(args) == 2:
            self.not_sqlite(node, "DATE_PART")
            part = args[0]
            if not (isinstance(part, exp.Literal) and part.is_string):
                raise self.error(part, "DATE_PART needs a constant part name (such as 'year')")
            return self.date_part(node, part.this, args[1], "DATE_PART")
        if name in _PART_FUNCTIONS and len(args) == 1:
            return self.part_function(node, _PART_FUNCTIONS[name], name.upper(), args[0])
        if name == "age":
            self.not_sqlite(node, "AGE")
            if len(args) == 1:
                raise self.error(node, "AGE with one argument is not deterministic (it counts from the current "
                                       "date); a view cannot be maintained over it")
            if len(args) == 2:
                a, b = (self.bind(x) for x in args)
                a, b = (self.coerce(x, TIMESTAMP, node) if isinstance(x, Lit) and x.type.kind == "text" else x
                        for x in (a, b))
                return FN.call("age", [self.temporal_arg(node, a, "AGE"), self.temporal_arg(node, b, "AGE")])
        if name == "bit_count" and len(args) == 1:
            return self.bit_count(node, args[0])
        if name == "hash":
            raise self.error(node, "HASH() is not supported: DuckDB-specific hash values are not reproduced")
        if name in ("date_diff", "datediff") and len(args) == 3:
            a, b = self.coerce(self.bind(args[1]), DATE, node), self.coerce(self.bind(args[2]), DATE, node)
            return FN.call("date_diff_days", [b, a])
        raise self.error(node, f"unsupported function {node.name.upper()}()")

    def _TimeToStr(self, node):
        fmt = node.args.get("format")
        return self._Anonymous(exp.Anonymous(this="strftime", expressions=[node.this, fmt]))

    def _Pad(self, node):
        args = [self.to_text(self.bind(node.this), node), self.coerce(self.bind(node.expression), BIGINT, node)]
        if node.args.get("fill_pattern") is not None:
            args.append(self.to_text(self.bind(node.args["fill_pattern"]), node))
        return FN.call("lpad" if node.args.get("is_left") else "rpad", args)

    def _ConcatWs(self, node):
        args = [self.to_text(self.bind(x), node) for x in node.expressions]
        return FN.call("concat_ws", args)

    def _Array(self, node):
        return lists.array(self, node)

    def _ArraySort(self, node):
        return lists.sort(self, node)

    def _Transform(self, node):  # list_transform(xs, lambda x: …)
        return lists.lambda_call(self.qb, self, node, "list_transform", node.this, node.expression)

    def _ArrayFilter(self, node):  # list_filter(xs, lambda x: …)
        return lists.lambda_call(self.qb, self, node, "list_filter", node.this, node.expression)

    def _ArraySlice(self, node):  # array_slice(xs, a, b)
        if node.args.get("is_length") or node.args.get("step") is not None:
            raise self.error(node, "ARRAY_SLICE with a length or a step is not supported")
        return lists.slice_function(self, node, node.this, *self.required(node, "ARRAY_SLICE", "start", "end"))

    def _Explode(self, node):  # what frontend._unnest_in_select_list left in place
        raise self.error(node, "UNNEST is supported once per SELECT list, in a SELECT without GROUP BY, "
                               "aggregates or window functions, and in FROM")

    def _Tuple(self, node):
        raise self.error(node, "row values are only supported on the left of IN (subquery)")

    # -- functions of the registry (functions.py) --------------------------------------------------
    def registered(self, node):
        """A call of a function the registry knows by its sqlglot class."""
        f = FN.BY_NODE[type(node)]
        return self.function(f, node, [node.args.get(k) for k in f.nodes[type(node)]])

    def function(self, f, node, arg_nodes):
        """The call of registry entry ``f`` on the SQL expressions ``arg_nodes`` (None: left out)."""
        if not f.deterministic:
            what = f.what or (f"{node.name.upper()}()" if isinstance(node, exp.Anonymous)
                              else _describe(node, self.dialect.name))
            raise self.error(node, f"{what} is not deterministic; a view cannot be maintained over it")
        if not f.sqlite:
            self.not_sqlite(node, f.label)
        if f.variadic:  # (a node's list argument holds the repeated ones)
            arg_nodes = [x for a in arg_nodes for x in (a if isinstance(a, list) else [a])]
        given = [a for a in arg_nodes if a is not None]
        if len(given) < len(f.args) - f.optional or any(a is None for a in arg_nodes[:len(given)]):
            raise self.error(node, f"{f.label} is missing an argument")
        bound = [self.bind(a) for a in given]
        kinds = f.args + f.args[-1:] * (len(bound) - len(f.args)) if f.variadic else f.args
        args = [self.argument(kind, node, e, f.label) for kind, e in zip(kinds, bound)]
        if f.fn == "printf" and any(a.type.kind == "int" and a.type.bits > 64 for a in args[1:]) and \
                printf_reads_unsigned(args[0].value if isinstance(args[0], Lit) else None):
            raise self.error(node, "PRINTF of a HUGEINT with %x, %X, %o, %b or %u is not supported (its "
                                   "two's complement width is not known when the row is printed)")
        if f.fn in FN.STRICT_MATH and node.meta.get("ieee_floating_point_ops") is False:
            f = FN.BY_FN[f.fn + "_strict"]  # (SET ieee_floating_point_ops = false: settings.py)
        if f.prepare is not None:
            args = f.prepare(self, node, args, f.label)
        return Call(f.fn, tuple(args), f.result_type(args), f.nullable(args))

    def argument(self, kind, node, e, what):
        """A function's bound argument taken as ``kind`` says (functions.py)."""
        if kind == FN.NUMBER:
            return self.numeric_arg(node, e)
        if kind == FN.STRING:
            return self.to_text(e, node)
        if kind == FN.TEXT_ARG:
            return self.text_arg(node, e, what)
        if kind == FN.AS_BIGINT:
            return self.coerce(e, BIGINT, node)
        if kind == FN.INT:
            return self.int_arg(node, e, what)
        if kind == FN.INT32:
            return self.int_arg(node, e, what, max_bits=32)
        if kind == FN.TEMPORAL:
            return self.temporal_arg(node, e, what)
        if kind == FN.TEXT_OR_LIST:
            return e if lists.is_list(e) else self.to_text(e, node)
        if kind == FN.LIST:
            return lists.list_arg(self, node, e, what)
        if kind == FN.VALUE:
            return e
        raise AssertionError(f"argument kind {kind!r}")

    # -- argument checks for functions that, as in DuckDB, take no implicit casts ----------------
    def required(self, node, what: str, *names):
        """The arguments a function needs that sqlglot parses as optional (SPLIT_PART('a')): each
        present, else a CompileError."""
        for n in names:
            if node.args.get(n) is None:
                raise self.error(node, f"{what} is missing an argument")
        return [node.args[n] for n in names]

    def not_sqlite(self, node, what):
        if self.dialect.name == "sqlite":
            raise self.error(node, f"{what} is not supported in the sqlite dialect")

    def text_arg(self, node, e, what):
        if e.type.kind == "text":
            return e
        if e.type.kind == "null":
            return Lit(None, TEXT)
        raise self.error(node, f"{what} needs VARCHAR arguments, not {e.type}")

    def int_arg(self, node, e, what, max_bits=64):
        if e.type.kind == "int" and e.type.bits <= max_bits:
            return e
        if e.type.kind == "null":
            return Lit(None, BIGINT)
        if isinstance(e, Lit) and e.type.kind == "text":  # DuckDB reads a string constant as the number
            return Lit(self.convert_literal(e.value, e.type, BIGINT, node), BIGINT)
        raise self.error(node, f"{what} needs an integer{' of at most 32 bits' if max_bits == 32 else ''}, "
                               f"not {e.type}")

    def temporal_arg(self, node, e, what, kinds=("date", "timestamp")):
        if e.type.kind in kinds:
            return e
        if e.type.kind == "null":
            return Lit(None, TIMESTAMP)
        raise self.error(node, f"{what} needs a DATE or TIMESTAMP, not {e.type}")

    # -- more string functions ------------------------------------------------------------------

    def _SHA2(self, node):
        length = node.args.get("length")
        if length is not None and not (isinstance(length, exp.Literal) and length.name == "256"):
            raise self.error(node, "only SHA256 is supported (as in DuckDB)")
        return self.function(FN.BY_FN["sha256"], node, [node.this])

    def _Chr(self, node):
        self.not_sqlite(node, "CHR")
        if len(node.expressions) != 1 or node.args.get("charset"):
            raise self.error(node, "CHR takes one argument")
        n = self.int_arg(node, self.bind(node.expressions[0]), "CHR", max_bits=32)
        return FN.call("chr", [n])

    def _Bracket(self, node):
        """s[i] and s[a:b] on strings (DuckDB's 1-based, inclusive slices)."""
        s = self.bind(node.this)
        if lists.is_list(s):
            item = node.expressions[0] if len(node.expressions) == 1 else None
            return lists.bracket(self, node, s, item is not None and not isinstance(item, exp.Slice)
                                 and _index_shifted(node, self.dialect.name))
        self.not_sqlite(node, "string slicing")
        if s.type.kind not in ("text", "null"):
            raise self.error(node, f"cannot index a value of type {s.type}")
        s = self.text_arg(node, s, "string slicing")
        if len(node.expressions) != 1:
            raise self.error(node, "a string takes one index or slice")
        item = node.expressions[0]
        if not isinstance(item, exp.Slice):
            i = self.int_arg(item, self.bind(item), "a string index")
            if _index_shifted(node, self.dialect.name):  # back to the 1-based position written
                i = Lit(i.value + 1, BIGINT) if isinstance(i, Lit) and i.value is not None else \
                    call("add", [self.coerce(i, BIGINT, item), Lit(1, BIGINT)], BIGINT)
            return FN.call("string_element", [s, i])
        if item.args.get("step") is not None:
            raise self.error(item, "slices with a step are not supported for strings (as in DuckDB)")
        bounds = [item.this, item.expression]
        args = [s] + [self.int_arg(b, self.bind(b), "a string slice") if b is not None else Lit(None, BIGINT)
                      for b in bounds]
        return Call("string_slice", tuple(args), TEXT, any(a.nullable for a, b in zip(args[1:], bounds)
                                                           if b is not None) or s.nullable,
                    tuple(b is not None for b in bounds))

    def _Collate(self, node):
        """x COLLATE c as an ORDER BY key: the key the collation sorts by.  (In a comparison, see
        comparison_operands; anywhere else DuckDB's result would be x itself, yet collated where it
        is compared later: refused.)"""
        if not (node.parent is None or isinstance(node.parent, exp.Ordered)):
            raise self.error(node, "COLLATE is only supported on a comparison operand or an ORDER BY key")
        return self.collation(node)(self.bind(node.this))

    def collation(self, node):
        """The function from a VARCHAR to the key its COLLATE compares by."""
        name = node.expression.name.lower() if node.expression is not None else ""

        def apply(e):
            if e.type.kind not in ("text", "null"):
                raise self.error(node, f"COLLATE needs a VARCHAR, not {e.type}")
            if name == "nocase":
                return FN.call("ascii_lower" if self.dialect.name == "sqlite" else "lower", [e])
            return e
        if name == "binary" or (name in ("c", "posix") and self.dialect.name != "sqlite") or name == "nocase":
            return apply
        raise self.error(node.expression if node.expression is not None else node,
                         f"collation {name!r} is not supported")

    def comparison_operands(self, node):
        """The two sides of a comparison, with a COLLATE on either side applied to both (as DuckDB
        compares them)."""
        sides = [node.this, node.expression]
        collates = [x for x in sides if isinstance(x, exp.Collate)]
        if not collates:
            return self.bind(sides[0]), self.bind(sides[1])
        keys = {c.expression.name.lower() for c in collates}
        if len(keys) > 1:
            raise self.error(node, "a comparison of two different collations")
        apply = self.collation(collates[0])
        return tuple(apply(self.bind(x.this if isinstance(x, exp.Collate) else x)) for x in sides)

    # -- more math --------------------------------------------------------------------------------
    def _Trunc(self, node):
        self.not_sqlite(node, "TRUNC")
        digits = node.args.get("decimals")
        if digits is not None:  # TRUNC(x, d): as ROUND(x, d) is typed (a DECIMAL needs a constant d)
            x = self.numeric_arg(node, self.bind(node.this))
            d = self.coerce(self.bind(digits), BIGINT, node)
            if x.type.kind == "decimal" and not isinstance(d, Lit):
                raise self.error(node, "TRUNC of a DECIMAL needs a constant number of digits")
            if x.type.kind == "decimal" and d.value is None:
                return Lit(None, x.type)
            if x.type.kind == "float" and x.type.bits == 32:  # (DuckDB computes it in 32-bit floats)
                raise self.error(node, "TRUNC of a FLOAT with a number of digits is not supported: cast it to DOUBLE")
            return FN.call("trunc_digits", [x, d])
        return self.function(FN.BY_FN["trunc"], node, [node.this])

    def _Log(self, node):
        self.not_sqlite(node, "LOG")
        if node.expression is None:  # DuckDB's one-argument LOG is base 10
            return self.function(FN.BY_FN["log10"], node, [node.this])
        base = node.this
        # sqlglot reads LOG2(x) and LOG10(x) as LOG(2, x) and LOG(10, x) with a base literal of its own
        # (one with no position); DuckDB computes those directly, not as log10(x) / log10(b)
        if isinstance(base, exp.Literal) and not base.meta and base.name in ("2", "10"):
            return self.function(FN.BY_FN["log" + base.name], node, [node.expression])
        return self.function(FN.BY_FN["log"], node, [base, node.expression])

    def _Pi(self, node):
        self.not_sqlite(node, "PI")
        return Lit(math.pi, DOUBLE)

    def bit_count(self, node, arg_node):
        self.not_sqlite(node, "BIT_COUNT")
        n = self.bind(arg_node)
        if n.type.kind == "null":
            return Lit(None, TINYINT)
        if n.type.kind != "int":
            raise self.error(node, f"BIT_COUNT needs an integer, not {n.type}")
        return Call("bit_count", (n,), SMALLINT if n.type.bits > 64 else TINYINT, n.nullable, n.type.bits)

    # -- more dates -------------------------------------------------------------------------------

    def _LastDay(self, node):
        if node.args.get("unit") is not None:
            raise self.error(node, "LAST_DAY with a unit is not supported")
        return self.function(FN.BY_FN["last_day"], node, [node.this])

    def _DateFromParts(self, node):
        self.not_sqlite(node, "MAKE_DATE")
        parts = [node.args.get(k) for k in ("year", "month", "day")]
        if any(p is None for p in parts) or any(node.args.get(k) is not None for k in node.args
                                                if k not in ("year", "month", "day")):
            raise self.error(node, "MAKE_DATE takes a year, a month and a day")
        return self.function(FN.BY_FN["make_date"], node, parts)

    def _StrToTime(self, node):
        """STRPTIME(text, format) (DuckDB: a TIMESTAMP); Postgres's TO_TIMESTAMP(text, format) (a
        TIMESTAMPTZ), whose format sqlglot has already turned into %-codes."""
        self.not_sqlite(node, "STRPTIME")
        text = self.to_text(self.bind(node.this), node)
        fmt = self.to_text(self.bind(node.args["format"]), node)
        if self.dialect.name == "postgres":
            return FN.call("strptime_tz", [text, fmt])
        return FN.call("strptime", [text, fmt])

    def _UnixToTime(self, node):
        """TO_TIMESTAMP(seconds since the epoch): a TIMESTAMPTZ."""
        self.not_sqlite(node, "TO_TIMESTAMP")
        scale = node.args.get("scale")
        if isinstance(scale, exp.Literal) and scale.name == "6" and len([k for k in node.args if node.args[k]]) == 2:
            n = self.numeric_arg(node, self.bind(node.this))  # MAKE_TIMESTAMP(microseconds since 1970)
            return FN.call("make_timestamp", [n])
        if any(node.args.get(k) is not None for k in node.args if k != "this"):
            raise self.error(node, "TO_TIMESTAMP takes one number (seconds since 1970-01-01)")
        n = self.numeric_arg(node, self.bind(node.this))
        return FN.call("to_timestamp", [n])

    def _TimestampFromParts(self, node):
        """MAKE_TIMESTAMP(year, month, day, hour, minute, seconds) or (microseconds since 1970)."""
        self.not_sqlite(node, "MAKE_TIMESTAMP")
        names = [k for k in ("year", "month", "day", "hour", "min", "sec") if node.args.get(k) is not None]
        if set(node.args) - {"year", "month", "day", "hour", "min", "sec"} and any(
                node.args.get(k) is not None for k in set(node.args) - {"year", "month", "day", "hour", "min", "sec"}):
            raise self.error(node, "MAKE_TIMESTAMP takes a year, month, day, hour, minute and seconds")
        if names not in (["year"], ["year", "month", "day", "hour", "min", "sec"]):
            raise self.error(node, "MAKE_TIMESTAMP takes six parts (or microseconds since 1970)")
        args = [self.numeric_arg(node, self.bind(node.args[k])) for k in names]
        return FN.call("make_timestamp", args)

    def _TimeToUnix(self, node):
        self.not_sqlite(node, "EPOCH")
        return self.date_part(node, "epoch", node.this, "EPOCH")

    def part_function(self, node, part, what, value_node=None):
        self.not_sqlite(node, what)
        return self.date_part(node, part, node.this if value_node is None else value_node, what)

    def _Year(self, node):
        return self.part_function(node, "year", "YEAR")

    def _Month(self, node):
        return self.part_function(node, "month", "MONTH")

    def _Day(self, node):
        return self.part_function(node, "day", "DAY")

    _DayOfMonth = _Day

    def _Hour(self, node):
        return self.part_function(node, "hour", "HOUR")

    def _Minute(self, node):
        return self.part_function(node, "minute", "MINUTE")

    def _Second(self, node):
        return self.part_function(node, "second", "SECOND")

    def _Quarter(self, node):
        return self.part_function(node, "quarter", "QUARTER")

    def _Week(self, node):
        if node.args.get("mode") is not None:
            raise self.error(node, "WEEK with a mode is not supported")
        return self.part_function(node, "week", "WEEK")

    _WeekOfYear = _Week

    def _DayOfWeek(self, node):
        return self.part_function(node, "dow", "DAYOFWEEK")

    def _DayOfWeekIso(self, node):
        return self.part_function(node, "isodow", "ISODOW")

    def _DayOfYear(self, node):
        return self.part_function(node, "doy", "DAYOFYEAR")

    def _Typeof(self, node):
        """TYPEOF, DuckDB's type name, where ours is certainly the same: not for numbers computed from
        columns (DuckDB keeps TINYINT + 1 a TINYINT)."""
        self.not_sqlite(node, "TYPEOF")
        e = self.bind(node.this)
        arg = node.this
        while isinstance(arg, (exp.Paren, exp.Neg)):
            arg = arg.this
        if e.type.numeric and not (isinstance(arg, exp.Literal) or
                                   (isinstance(arg, exp.Cast) and _exact_numeric_cast(arg))):
            raise self.error(node, "TYPEOF of a number that is not a constant or a CAST is not supported "
                                   "(its integer or DECIMAL width may differ from DuckDB's)")
        if e.type.kind == "null" and not isinstance(arg, exp.Null):
            raise self.error(node, "TYPEOF of an untyped NULL expression is not supported")
        return Lit('"NULL"' if e.type.kind == "null" else str(e.type), TEXT)



# DuckDB's functions named after a date part (those sqlglot has no class for)
_PART_FUNCTIONS = {"weekday": "dow", "yearweek": "yearweek", "millisecond": "millisecond",
                   "microsecond": "microsecond", "isoyear": "isoyear", "era": "era", "century": "century",
                   "decade": "decade", "millennium": "millennium", "julian": "julian", "dayofmonth": "day",
                   "weekofyear": "week"}

_OPS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "idiv": "//", "mod": "%"}


def _float_result(a: SqlType, b: SqlType) -> SqlType:
    """The type of a division: FLOAT when a FLOAT meets a FLOAT, an integer or a DECIMAL, else DOUBLE."""
    t = common_type(a, b)
    return t if t is not None and t.kind == "float" else DOUBLE


def _int_digits(t: SqlType) -> int:
    return {8: 3, 16: 5, 32: 10, 64: 19, 128: 38}.get(t.bits, 19)


def _index_shifted(bracket, dialect: str) -> bool:
    """Whether sqlglot moved a 1-based index to 0-based when parsing x[i]: it does so (subtracting 1)
    exactly where the indexed value's type is unknown or an array at parse time (not for a string
    literal: '🦆ab'[1] keeps its 1) and it can type the index as an integer, which the result still is."""
    from sqlglot.optimizer.annotate_types import annotate_types

    this_t = bracket.this.type or annotate_types(bracket.this.copy(), dialect=dialect).type
    if this_t is not None and this_t.this not in (exp.DataType.Type.UNKNOWN, exp.DataType.Type.ARRAY):
        return False
    t = annotate_types(bracket.expressions[0].copy(), dialect=dialect).type
    return t is not None and t.this in exp.DataType.INTEGER_TYPES


def _exact_numeric_cast(node) -> bool:
    """A CAST to a numeric type DuckDB names as we do (not unsigned types, which are widened)."""
    name = node.to.sql(dialect="duckdb").upper().split("(")[0].strip() if node.to is not None else ""
    return name in ("TINYINT", "SMALLINT", "INTEGER", "INT", "BIGINT", "HUGEINT", "DOUBLE", "DECIMAL", "NUMERIC",
                    "FLOAT", "REAL")


def _written_name(node, sql: str | None) -> str | None:
    """A function call's name as the SQL text spells it (sqlglot's class names another spelling)."""
    meta = node.meta if isinstance(node, exp.Func) else {}
    start, end = meta.get("start"), meta.get("end")
    if sql is None or start is None or end is None or not 0 <= start <= end < len(sql):
        return None
    name = sql[start:end + 1]
    return name if name.replace("_", "").isalnum() else None


def _describe(node, dialect: str = "duckdb") -> str:
    """The construct as the user's dialect spells it (STRPTIME, not sqlglot's STR_TO_TIME)."""
    name = type(node).__name__
    try:
        text = node.sql(dialect=dialect)
    except Exception:
        text = name
    return text if len(text) <= 60 else text[:57] + "..."


__all__ = ["ExprBinder", "AGGREGATES", "is_aggregate", "lit", "call", "boolean", "not_", "and_", "or_",
           "is_null", "is_not_null"]
