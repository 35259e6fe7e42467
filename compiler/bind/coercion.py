"""Coercion: converting bound expressions to a type, and unifying several to their common type.

Laws: a constant is converted at compile time, and one that does not convert stays a run-time cast
(a batch engine answers a query over no rows without error); an untyped NULL takes any type; string
literals adopt the other side's type in a unification (DuckDB's implicit casts); SQLite types values,
not expressions (an integer stays an integer in a REAL union, text becomes a number in arithmetic).
"""

from __future__ import annotations

import decimal

from ...sqllib import sqlfuncs as F
from ...sqllib import binary, timestamps
from ...sqllib.errors import Unrepresentable
from ...sqllib.interval_text import cast_interval
from .. import lists, maps, structs
from ..errors import CompileError
from ..expr import Call, Lit
from ..types import (
    timestamp_digits,
    BIGINT,
    DOUBLE,
    NULLTYPE,
    TEXT,
    UHUGEINT,
    UHUGEINT_MAX,
    SqlType,
    common_type,
    decimal_type,
    show_value,
)


def _int_digits(t: SqlType) -> int:
    return {8: 3, 16: 5, 32: 10, 64: 19, 128: 38}.get(t.bits, 19)


class CoercionRules:
    """ExprBinder methods for the constructs above (mixed into ExprBinder)."""

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
            if k == "struct" or src.kind == "struct":
                return structs.convert_constant(self, v, src, target, node)
            if k == "map" or src.kind == "map":
                return maps.convert_constant(self, v, src, target, node)
            if k == "int":
                out = F.cast_int(v, target.bits, self.dialect.cast_float_to_int_truncates)
            elif k == "uhugeint":
                out = F.cast_uhugeint(v)
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
                out = F.cast_bool(v, self.dialect.bool_text)
            elif k == "date":
                out = timestamps.cast_date(v)
            elif k == "timestamp" and target.precision:  # TIMESTAMP_S / _MS / _NS
                out = F.cast_timestamp_unit(v, timestamp_digits(target))
            elif k == "timestamp":
                out = timestamps.cast_timestamp(v)
            elif k == "timestamptz":
                out = timestamps.cast_timestamptz(v)
            elif k == "timetz":
                out = F.cast_timetz(v)
            elif k == "time" and src.kind == "timetz":
                out = F.timetz_time(v)
            elif k == "time":
                out = timestamps.cast_time(v)
            elif k in ("blob", "uuid", "bit"):
                out = getattr(binary, f"cast_{k}")(v)
            elif k == "interval":
                out = cast_interval(v)
            elif k == "list":
                return lists.convert_constant(self, v, src, target, node)
            else:
                raise ValueError
        except Unrepresentable as e:  # (not a NULL under TRY_CAST: literals.py)
            raise self.error(node, str(e)) from e
        except Exception:
            raise self.error(node, f"cannot convert {show_value(v)} ({src}) to {target}") from None
        return out

    def unify(self, exprs, node, what: str):
        """Coerce expressions to their common type (string literals adopt the other side's type)."""
        if any(e.type.kind == "uhugeint" for e in exprs):  # an integer constant is a UHUGEINT beside one
            exprs = [adapt_to_uhugeint(e) for e in exprs]
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

    def to_text(self, e, node):
        if e.type.kind in ("list", "struct", "map", "blob"):  # DuckDB's string functions have list overloads
            # (repeat, …); a BLOB is no VARCHAR to most of them
            raise self.error(node, f"a {e.type} where a VARCHAR is expected (CAST it to VARCHAR)")
        if e.type.kind in ("text", "null"):
            return e if e.type.kind == "text" else Lit(None, TEXT)
        if isinstance(e, Lit):
            return Lit(self.convert_literal(e.value, e.type, TEXT, node), TEXT)
        return Call("to_text", (e,), TEXT, e.nullable)

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


def adapt_to_uhugeint(e):
    """An integer constant that a UHUGEINT holds, as a UHUGEINT (DuckDB's integer literals take the type
    of the UHUGEINT they meet); anything else as it is."""
    if isinstance(e, Lit) and e.type.kind == "int" and e.value is not None and 0 <= e.value <= UHUGEINT_MAX:
        return Lit(e.value, UHUGEINT)
    return e
