"""FMOD, FDIV and NEXTAFTER: floored division and the next float, in DOUBLE or in FLOAT (32 bits); TRUNC(x, d) of a FLOAT.

``is32`` says which overload the binder chose (FLOAT when an argument is a FLOAT and none a DOUBLE);
the arguments arrive already converted to it.  Laws, as DuckDB computes them:
- FDIV(x, y) = floor(x / y) (FLOAT: x / y rounded to float32 first: fdiv(1, 0.1::FLOAT) is 10); FMOD(x, y) the exact remainder of x by y (C's fmod) moved to
  y's side when it is not zero (x - y · floor(x / y) computed exactly; a zero is +0.0); a FLOAT
  result is the double result rounded to float32 once;
- by zero: IEEE's NaN / ±inf, or under ``SET ieee_floating_point_ops = false`` a division-by-zero
  error (the ``_strict`` variants);
- TRUNC(x, d) of a FLOAT is TRUNC of the DOUBLE x, rounded to float32 (checked against DuckDB on 1,600
  values and digit counts, the sign of a zero included);
- NEXTAFTER(x, y) is the representable number next to x toward y (y itself when x = y; NaN if either
  is NaN), in doubles or in float32s.
"""

from __future__ import annotations

import math
import struct

from .errors import DataError
from .numbers import NAN, sql_trunc_digits
from .real import f32

__all__ = ["sql_fmod", "sql_fdiv", "sql_fmod_strict", "sql_fdiv_strict", "sql_nextafter", "sql_trunc_digits_real"]

_F = struct.Struct("<f")
_I = struct.Struct("<i")


def _floor(q: float) -> float:
    """C's floor: NaN and ±inf as they are, a zero keeps its sign (floor(-0.0) is -0.0)."""
    if q != q or math.isinf(q):
        return q
    r = float(math.floor(q))
    return math.copysign(0.0, q) if r == 0 else r


def _div(x: float, y: float) -> float:
    if y == 0:
        if x == 0 or x != x:
            return NAN
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


def _result(r: float, is32: bool) -> float:
    if r != r:
        return NAN
    return f32(r) if is32 else r


def sql_fdiv(x, y, is32):
    if x is None or y is None:
        return None
    q = _div(x, y)
    return _result(_floor(f32(q) if is32 else q), is32)  # (FLOAT: the quotient is a float32 before the floor)


def sql_fmod(x, y, is32):
    if x is None or y is None:
        return None
    if y == 0 or x != x or y != y or math.isinf(x):
        return NAN
    r = math.fmod(x, y)  # C's fmod: exact, with x's sign (a zero too); then moved to y's side, as DuckDB
    if r != 0 and (r < 0) != (y < 0):
        r += y
    return _result(r if r else 0.0, is32)


def _checked(fn, x, y, is32):
    if y == 0 and x is not None:
        raise DataError("division by zero")
    return fn(x, y, is32)


def sql_fdiv_strict(x, y, is32):
    return _checked(sql_fdiv, x, y, is32)


def sql_fmod_strict(x, y, is32):
    return _checked(sql_fmod, x, y, is32)


def _next32(x: float, y: float) -> float:
    if x != x or y != y:
        return NAN
    if x == y:
        return y
    if x == 0:
        tiny = _F.unpack(_I.pack(1))[0]
        return tiny if y > 0 else -tiny
    bits = _I.unpack(_F.pack(x))[0]
    bits += 1 if (y > x) == (x > 0) else -1
    return _F.unpack(_I.pack(bits))[0]


def sql_nextafter(x, y, is32):
    if x is None or y is None:
        return None
    r = _next32(x, y) if is32 else math.nextafter(x, y)
    return NAN if r != r else r


def sql_trunc_digits_real(x, digits):
    return f32(sql_trunc_digits(x, digits))
