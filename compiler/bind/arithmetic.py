"""Arithmetic and bitwise operators: + - * / // % and their typing by the dialect (dialect.py).

Laws: NULL in, NULL out (an untyped NULL operand gives a NULL of the other side's type); integers keep
the wider width and overflow is an error at run time; DECIMAL sums keep max(scale) and one more
integer digit, products add scales, both capped at 38 digits; FLOAT meets anything as FLOAT; division
is integer or floating, erroring or NULL on zero, as the dialect says; DATE/TIMESTAMP +/- INTERVAL or
days, and differences of dates, follow DuckDB.
"""

from __future__ import annotations

import decimal

from sqlglot import exp

from .. import functions as FN
from .. import lists
from ..expr import Call, Lit
from ..types import (
    BIGINT,
    DOUBLE,
    INTEGER,
    INTERVAL,
    BIT,
    TIMESTAMP,
    UHUGEINT,
    SqlType,
    common_type,
    decimal_product,
    decimal_type,
)
from .builders import call
from .coercion import _int_digits, adapt_to_uhugeint

_OPS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "idiv": "//", "mod": "%"}


def _literal(node) -> bool:
    """Whether a sqlglot node is a number as written (in parentheses or not)."""
    while isinstance(node, exp.Paren):
        node = node.this
    return isinstance(node, exp.Literal)


def _float_result(a: SqlType, b: SqlType) -> SqlType:
    """The type of a division: FLOAT when a FLOAT meets a FLOAT, an integer or a DECIMAL, else DOUBLE."""
    t = common_type(a, b)
    return t if t is not None and t.kind == "float" else DOUBLE


class ArithmeticRules:
    """ExprBinder methods for the constructs above (mixed into ExprBinder)."""

    def _Neg(self, node):
        a = self.bind(node.this)
        if isinstance(a, Lit) and a.type.numeric and a.value is not None:
            if isinstance(a.value, decimal.Decimal):  # exact; a DECIMAL has no negative zero (-0.0 is 0.0)
                v = a.value.copy_negate() if a.value else a.value
            else:
                v = -a.value
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
        if any(a.type.kind == "bit" for a in args):
            return self.bit_string_op(fn, args, node)
        for a in args:
            if a.type.kind == "null":
                return Lit(None, BIGINT)
            if a.type.kind != "int":
                raise self.error(node, f"bitwise operators need integers, not {a.type}")
        t = max((a.type for a in args), key=lambda t: t.bits)
        return Call(fn, tuple(args), t, any(a.nullable for a in args))

    def bit_string_op(self, fn, args, node):
        """& | ^ ~ of bit strings (of one length, or an error at run time as in DuckDB); a string constant is
        read as a BIT."""
        if fn not in ("bit_and", "bit_or", "bit_xor", "bit_not"):
            raise self.error(node, "shifts of a BIT are not supported")
        args = [self.coerce(a, BIT, node) if a.type.kind in ("text", "null") and isinstance(a, Lit) else a
                for a in args]
        if any(a.type.kind != "bit" for a in args):
            raise self.error(node, f"cannot apply a bitwise operator to {' and '.join(str(a.type) for a in args)}")
        return FN.call(fn.replace("bit_", "bits_"), args)

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
        if op == "add" and "list" in (ta.kind, tb.kind):  # DuckDB's + of lists: list_concat (NULL: [])
            what = "+ of lists"
            args = lists.prepare_concat(self, node, [lists.list_arg(self, node, x, what) for x in (a, b)], what)
            return FN.call("list_concat", args)
        if ta.kind == "null" or tb.kind == "null":
            other = tb if ta.kind == "null" else ta
            t = DOUBLE if op == "div" and not self.dialect.integer_division else other
            if t.kind == "null":
                t = INTEGER
            return Lit(None, t)
        temporal = {"date", "timestamp", "interval", "time"}
        if ta.kind in temporal or tb.kind in temporal:
            return self.temporal_arith(op, a, b, node)
        if "uhugeint" in (ta.kind, tb.kind):
            # (a literal only: DuckDB mixes 1::HUGEINT, a constant too, with a UHUGEINT as a DOUBLE)
            a, b = (adapt_to_uhugeint(x) if _literal(n) else x for x, n in ((a, node.this), (b, node.expression)))
            ta, tb = a.type, b.type
            if op == "div" or "float" in (ta.kind, tb.kind):  # DuckDB divides (and mixes with floats) as floats
                ft = DOUBLE if op == "div" else (ta if ta.kind == "float" else tb)
                a, b = self.coerce(a, ft, node), self.coerce(b, ft, node)
                ta, tb = a.type, b.type
            elif ta.kind == tb.kind == "uhugeint":
                extra = "null" if op in ("idiv", "mod") and self.dialect.division_by_zero_null else None
                nullable = True if extra else None
                return call(op, [a, b], UHUGEINT, extra, nullable)
            else:
                raise self.error(node, f"{_OPS[op]} of {ta} and {tb} is not supported (DuckDB computes it as a "
                                       f"DOUBLE, a DECIMAL or a UHUGEINT by rules of its own); CAST an operand")
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
            if t.kind == "decimal" and self.dialect.decimal_overflow and _mod_digits(ta, tb) > 38:
                # DuckDB computes a DECIMAL % needing more than 38 digits in DOUBLEs (x % 0 still an error)
                return call("mod", [self.coerce(a, DOUBLE), self.coerce(b, DOUBLE)], DOUBLE, extra or "error",
                            nullable)
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
                t = decimal_product(da, db, self.dialect.decimal_overflow)
            else:
                scale = max(da.scale, db.scale)
                whole = max(da.precision - da.scale, db.precision - db.scale) + 1
                t = decimal_type(min(whole + scale, 38), scale)
            if t.scale > 38:
                if self.dialect.decimal_overflow:  # as DuckDB, which refuses it when binding
                    raise self.error(node, f"the product of {ta} and {tb} needs scale {t.scale}, more than a "
                                           f"DECIMAL holds (38); cast an operand to fewer digits")
                return call(op, [self.coerce(a, DOUBLE), self.coerce(b, DOUBLE)], DOUBLE)
            return call(op, [self.to_decimal(a), self.to_decimal(b)], t)
        t = ta if ta.bits >= tb.bits else tb
        return call(op, [a, b], t)

    def temporal_arith(self, op, a, b, node):
        ka, kb = a.type.kind, b.type.kind
        if "time" in (ka, kb):
            return self.time_arith(op, a, b, node)
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

    def time_arith(self, op, a, b, node):
        """TIME ± INTERVAL (around the clock), INTERVAL + TIME, DATE + TIME and TIME + DATE (a TIMESTAMP),
        as DuckDB has them; nothing else (DuckDB has no TIME - TIME)."""
        ka, kb = a.type.kind, b.type.kind
        if op == "add" and kb == "time" and ka in ("interval", "date"):
            a, b, ka, kb = b, a, kb, ka
        if ka == "time" and kb == "interval" and op in ("add", "sub"):
            return FN.call("time_add_interval", [a, b if op == "add" else call("interval_neg", [b], INTERVAL)])
        if ka == "time" and kb == "date" and op == "add":
            return FN.call("date_add_time", [b, a])
        raise self.error(node, f"cannot apply {_OPS[op]} to {a.type} and {b.type}")


def _mod_digits(ta, tb) -> int:
    """The digits DuckDB's DECIMAL % needs: the larger integer part and the larger scale of the two."""
    da, db = (t if t.kind == "decimal" else decimal_type(_int_digits(t), 0) for t in (ta, tb))
    return max(da.precision - da.scale, db.precision - db.scale) + max(da.scale, db.scale)
