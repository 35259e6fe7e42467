"""FILL(x [ORDER BY k]) OVER (…): a partition's NULL values of x replaced by linear interpolation
along the key k (the window's single ORDER BY key when the call has none), DuckDB's rule for rule.

Laws (DuckDB's WindowFillExecutor):
- a row is *usable* when its key is not NULL and finite (no NaN, ±infinity, infinite date) and its
  value is not NULL and finite; only a NULL value whose key is usable is filled, from usable rows;
- in key order, the two points are the last usable row before the row and the first usable one after
  that; with none before, the first two usable rows after it; with none after, the last two usable
  rows (extrapolation); with one usable row only, its value; with none, NULL;
- the slope (k - k0) / (k1 - k0) is computed in doubles (0 when k0 = k1); integers (and dates, days,
  timestamps, microseconds, DECIMALs, their unscaled integers) interpolate as lo + (hi - lo) * slope
  in doubles with one rounding (a fused multiply-add), truncated, and a result equal (as a double) to
  an end point's is that value exactly; they extrapolate from the smaller of the two values (the slope
  taken from its side) by an offset rounded half to even, NULL when the result overflows the type;
  DOUBLEs are lo * (1 - slope) + hi * slope, FLOATs lo + (hi - lo) * slope in doubles (fused) rounded
  to a FLOAT.
Rows tied on the key are in no particular order in DuckDB: when a point it would take lies among tied
usable rows holding different values, or a NULL to fill is tied with a usable row, the answer depends
on that order (DuckDB gives tied NULLs different values), and the step fails with a DataError (never
a guess).
"""

from __future__ import annotations

import datetime
import math
from decimal import Decimal
from fractions import Fraction

from .dates import _Infinite, epoch_micros
from .errors import DataError
from .real import f32

__all__ = ["fill_partition"]

_EPOCH_DATE = datetime.date(1970, 1, 1)
_EPOCH = datetime.datetime(1970, 1, 1)


def _number(v, kind: str):
    """A key or value as the number DuckDB computes with (None: not usable)."""
    if v is None:
        return None
    if kind in ("double", "float"):
        return v if math.isfinite(v) else None
    if kind == "date":
        return None if isinstance(v, _Infinite) else (v - _EPOCH_DATE).days
    if kind == "timestamp":
        return None if isinstance(v, _Infinite) else epoch_micros(v)
    if kind.startswith("decimal"):
        return int(Decimal(v).scaleb(int(kind.split(":")[1])))
    return v


def _value(n, kind: str, bits: int):
    if n is None:
        return None
    try:
        if kind == "date":
            return _EPOCH_DATE + datetime.timedelta(days=n)
        if kind == "timestamp":
            return _EPOCH + datetime.timedelta(microseconds=n)
        if kind.startswith("decimal"):
            return Decimal(n).scaleb(-int(kind.split(":")[1]))
    except OverflowError:
        raise DataError(f"FILL: the interpolated {kind.upper()} is out of range") from None
    return n


def _fma(a: float, b: float, c: float) -> float:
    """a * b + c rounded once (DuckDB's build contracts the multiply and add into one FMA)."""
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def _interpolate(y0, y1, slope: float, kind: str, bits: int):
    if kind == "double":
        return y0 * (1.0 - slope) + y1 * slope
    if kind == "float":  # DuckDB's generic rule, in doubles, then rounded to a FLOAT
        return f32(_fma(y1 - y0, slope, y0))
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if 0 <= slope <= 1:
        r = _fma(float(y1) - float(y0), slope, float(y0))
        if r == float(y0) or r == float(y1):  # an end point's value: exactly (beyond 2**53 too)
            return y0 if r == float(y0) else y1
        return hi if r >= float(hi) else lo if r <= float(lo) else int(r)
    if y0 > y1:  # extrapolated from the smaller value
        y0, y1, slope = y1, y0, 1.0 - slope
    offset = (float(y1) - float(y0)) * slope
    if not math.isfinite(offset):
        return None
    step = round(offset)
    r = y0 + step
    return r if lo <= step <= hi and lo <= r <= hi else None


def fill_partition(values: list, keys: list, value_kind: str, key_kind: str, bits: int = 64) -> list:
    """The filled values of one partition's rows, given in key order (values and keys alike)."""
    n = len(values)
    xs = [_number(k, key_kind) for k in keys]
    ys = [_number(v, value_kind) for v in values]
    usable = [i for i in range(n) if xs[i] is not None and ys[i] is not None]
    if not usable:
        return list(values)
    seen: dict = {}
    ambiguous = set()  # keys of tied usable rows with different values, or of a usable row and a hole
    for i in usable:
        x = xs[i]
        if x in seen and seen[x] != ys[i]:
            ambiguous.add(x)
        seen.setdefault(x, ys[i])
    ambiguous.update(xs[i] for i in range(n) if values[i] is None and xs[i] in seen)
    out = list(values)
    u = 0  # usable[:u] lie before row i
    for i in range(n):
        while u < len(usable) and usable[u] < i:
            u += 1
        if values[i] is not None or xs[i] is None:
            continue
        if u > 0:
            p = u - 1
        elif u < len(usable):
            p = u
        else:
            continue
        q = p + 1 if p + 1 < len(usable) else (p - 1 if p > 0 else None)
        if q is not None and q < p:
            p, q = q, p
        a = usable[p]
        if xs[i] in ambiguous or xs[a] in ambiguous or (q is not None and xs[usable[q]] in ambiguous):
            raise DataError("FILL: rows tied on its ORDER BY key hold different values (or one a NULL), and "
                            "DuckDB's answer depends on the order it reads them")
        if q is None:
            out[i] = values[a]
            continue
        b = usable[q]
        x, x0, x1 = float(xs[i]), float(xs[a]), float(xs[b])
        den = x1 - x0
        if math.isinf(den):  # (a span beyond the doubles': halved, which is exact)
            slope = (x / 2 - x0 / 2) / (x1 / 2 - x0 / 2)
        else:
            slope = 0.0 if den == 0 else (x - x0) / den
        out[i] = _value(_interpolate(ys[a], ys[b], slope, value_kind, bits), value_kind, bits)
    return out
