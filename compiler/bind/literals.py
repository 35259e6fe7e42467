"""Leaves and casts: columns, literals, NULL, booleans, intervals, CAST / TRY_CAST, TYPEOF.

Laws: a literal is typed by its text as DuckDB types it (every digit written counts in a DECIMAL's
precision; integers widen INTEGER -> BIGINT -> HUGEINT -> DOUBLE as they grow); a cast of a constant
folds now or fails for the rows that reach it; TRY_CAST is NULL where the conversion fails, but an
error in computing its argument is still an error.
"""

from __future__ import annotations

import decimal

from sqlglot import exp

from ...sqllib import sqlfuncs as F
from ...sqllib.errors import DataError, Unrepresentable
from ...sqllib.interval_text import cast_interval
from .. import lists, maps, structs, timestamp_units, typeof_rules
from ..aggregates import is_aggregate
from ..errors import CompileError
from ..expr import Call, Lit
from ..types import (
    BIGINT,
    BOOLEAN,
    DOUBLE,
    INTEGER,
    INTERVAL,
    NULLTYPE,
    TEXT,
    UHUGEINT,
    SqlType,
    decimal_type,
    from_sqlglot,
    typeof_name,
)
from .builders import call


def _holds_number(t: SqlType) -> bool:
    return t.numeric or (t.elem is not None and _holds_number(t.elem)) or any(_holds_number(f) for _, f in t.fields)


_TEXT_ONLY = ("blob", "uuid", "bit")  # types cast only to and from text (and themselves)


def _exact_numeric_cast(node) -> bool:
    """A CAST to a numeric type DuckDB names as we do (not unsigned types, which are widened)."""
    name = node.to.sql(dialect="duckdb").upper().split("(")[0].strip() if node.to is not None else ""
    return name in ("TINYINT", "SMALLINT", "INTEGER", "INT", "BIGINT", "HUGEINT", "UINT128", "DOUBLE", "DECIMAL", "NUMERIC",
                    "FLOAT", "REAL")


class LiteralRules:
    """ExprBinder methods for the constructs above (mixed into ExprBinder)."""

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
        if 0 <= v < (1 << 128):  # DuckDB types it a UHUGEINT (a DOUBLE would round it)
            return Lit(v, UHUGEINT)
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

    def _Cast(self, node):
        a = self.bind(node.this)
        try:
            t = from_sqlglot(node.to, self.dialect)
        except LookupError as e:
            raise self.error(node.to if node.to is not None else node, f"unsupported type {e}") from None
        if a.type.kind == "null" or (isinstance(a, Lit) and a.value is None):
            return Lit(None, t)
        if t.kind == "map" or a.type.kind == "map":
            return maps.cast(self, node, a, t, isinstance(node, exp.TryCast))
        if t.kind == "struct" or a.type.kind == "struct":  # (also a list's elements: lists.castable)
            return structs.cast(self, node, a, t, isinstance(node, exp.TryCast))
        if t.kind == "list" or a.type.kind == "list":
            return lists.cast(self, node, a, t, isinstance(node, exp.TryCast))
        if t.kind == "interval" and a.type.kind not in ("text", "interval"):
            raise self.error(node, f"cannot cast {a.type} to INTERVAL")
        if (t.kind == "timetz" and a.type.kind not in ("text", "time", "timetz", "timestamptz")) or \
                (a.type.kind == "timetz" and t.kind not in ("text", "time", "timetz")) or \
                (t.kind == "time" and a.type.kind not in ("text", "time", "timestamp", "timetz")) or \
                (a.type.kind == "time" and t.kind not in ("text", "time", "timetz")) or \
                (t.kind in _TEXT_ONLY or a.type.kind in _TEXT_ONLY) and \
                (t.kind != a.type.kind and "text" not in (t.kind, a.type.kind)):
            raise self.error(node, f"cannot cast {a.type} to {t}")
        if isinstance(node, exp.TryCast):
            # NULL where the conversion fails; an error in computing the argument is still an error
            if isinstance(a, Lit):
                try:
                    return Lit(self.convert_literal(a.value, a.type, t, node), t)
                except CompileError as e:
                    if isinstance(e.__cause__, Unrepresentable):
                        raise
                    return Lit(None, t)
            return Call("try_cast", (a,), t, True, t)
        if isinstance(a, Lit):
            return self.fold_cast(a, t, node)
        return Call("cast", (a,), t, a.nullable, t)

    _TryCast = _Cast

    def _Tuple(self, node):
        if isinstance(node.parent, exp.Array) and self.dialect.name != "sqlite":  # [(1, 'a'), …]: DuckDB's rows
            return structs.row(self, node, node.expressions)
        raise self.error(node, "row values are only supported on the left of IN (subquery)")

    def _Typeof(self, node):
        """TYPEOF, DuckDB's type name, where ours is certainly the same: a number computed from integer
        columns or unsigned casts is refused (DuckDB keeps TINYINT + 1 a TINYINT; compiler/typeof_rules)."""
        self.not_sqlite(node, "TYPEOF")
        e = self.bind(node.this)
        arg = node.this
        while isinstance(arg, (exp.Paren, exp.Neg)):
            arg = arg.this
        if (e.type.numeric or e.type.kind == "uhugeint") and not (
                isinstance(arg, exp.Literal) or (isinstance(arg, exp.Cast) and _exact_numeric_cast(arg))
                or typeof_rules.derivable(e, arg, self.rel.plan, self.qb.catalog, self.dialect)):
            raise self.error(node, "TYPEOF of a number computed from integer columns, unsigned casts or "
                                   "integer functions is not supported (its integer or DECIMAL width may "
                                   "differ from DuckDB's)")
        if timestamp_units.typeof_widened(arg):
            raise self.error(node, "TYPEOF of a value computed from a TIMESTAMP_S, TIMESTAMP_MS or TIMESTAMP_NS is "
                                   "not supported (DuckDB's result type there depends on the function)")
        if e.type.kind == "null" and not isinstance(arg, exp.Null):
            raise self.error(node, "TYPEOF of an untyped NULL expression is not supported")
        if e.type.kind in ("struct", "map") and _holds_number(e.type) and (
                arg.find(exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.Mod, exp.Neg) is not None
                or any(is_aggregate(n) for n in arg.walk())):  # (HISTOGRAM's counts are DuckDB's UBIGINT)
            raise self.error(node, "TYPEOF of a STRUCT or MAP holding numbers computed from columns is not "
                                   "supported (their integer or DECIMAL widths may differ from DuckDB's)")
        return Lit(typeof_name(e.type), TEXT)  # (NULL inside a nested type quoted too, as DuckDB)
