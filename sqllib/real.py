"""FLOAT / REAL: 32-bit IEEE floats, held as Python floats whose value is exactly a float32.

Laws relied on:

* A float32 is exactly a double, so a REAL value is an ordinary Python float: it hashes, compares
  and orders with DOUBLEs and integers as the numbers they are (DuckDB compares a FLOAT with a DOUBLE
  after widening it, which is exact).
* For +, -, *, / and sqrt of float32 operands, the double result rounded to float32 is the float32
  result (a double has more than 2 * 24 + 2 significant bits: rounding twice gives the correctly
  rounded answer), so REAL arithmetic is double arithmetic followed by ``f32``.
* A conversion from an exact number (an integer, a DECIMAL, a text) rounds the exact value once,
  to nearest with ties to even, as C's conversions do: going through the nearest double first could
  round twice, so ``to_real`` corrects the one case where that differs (the double is exactly halfway
  between two float32s).
* Arithmetic that overflows the float32 range gives ±inf, as in DuckDB; a DOUBLE outside the range
  cast to FLOAT is an error, and a text like '1e39' is inf (DuckDB's rules).
* A REAL prints with the fewest digits that read back as the same float32 (DuckDB's and Postgres'
  text form), laid out as a DOUBLE with those digits would be.
"""

from __future__ import annotations

import decimal
import math
import struct
from fractions import Fraction

from .errors import DataError, show_value
from .numbers import NAN

FLT_MAX = 3.4028234663852886e38
_PACK = struct.Struct("<f")
_BITS = struct.Struct("<I")


def f32(x):
    """A double rounded to the nearest float32 (ties to even); past the range ±inf; NULL stays NULL."""
    if x is None:
        return None
    if x != x:
        return NAN
    try:
        return _PACK.unpack(_PACK.pack(x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)
    except struct.error:  # not a float: an int or a Decimal reached here
        return to_real(x)


def _neighbour(r: float, toward: float) -> float:
    """The float32 next to the float32 r in the direction of ``toward``."""
    bits = _BITS.unpack(_PACK.pack(r))[0]
    up = (toward > r) == (r >= 0)
    bits = bits + 1 if up else bits - 1
    if r == 0:
        bits = 1 if toward > 0 else 0x80000001
    return _PACK.unpack(_BITS.pack(bits))[0]


def _round_exact(q: Fraction) -> float:
    """The float32 nearest to the exact number q (ties to even)."""
    d = float(q)  # correctly rounded to a double
    try:
        r = _PACK.unpack(_PACK.pack(d))[0]
    except OverflowError:
        return math.copysign(math.inf, d)
    if r == d or q == d:
        return r
    other = _neighbour(r, d)
    if abs(Fraction(other) - Fraction(d)) != abs(Fraction(r) - Fraction(d)):
        return r  # d is not a midpoint: q rounds to the same float32 as d
    lo, hi = (r, other) if r < other else (other, r)
    return lo if q < d else hi


def to_real(v):
    """CAST(v AS FLOAT): an integer, DECIMAL or text rounded once to the nearest float32, a DOUBLE
    rounded (outside the float32 range: an error), a boolean 0 or 1."""
    if v is None:
        return None
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, float):
        if v != v:
            return NAN
        if math.isinf(v):
            return v
        r = f32(v)
        if math.isinf(r) or abs(v) > FLT_MAX:
            raise DataError(f"{show_value(v)} is out of range for FLOAT")
        return r
    if isinstance(v, (int, decimal.Decimal)):
        if isinstance(v, decimal.Decimal) and not v.is_finite():
            return NAN if v.is_nan() else math.copysign(math.inf, v)
        return _round_exact(Fraction(v))
    if isinstance(v, str):
        text = v.strip()
        try:
            q = Fraction(decimal.Decimal(text))
        except (decimal.InvalidOperation, ValueError):
            low = text.lower().lstrip("+-")
            if low in ("inf", "infinity", "nan"):
                f = float(text)
                return NAN if f != f else f
            raise DataError(f"cannot cast {show_value(v)} to FLOAT") from None
        except OverflowError:  # 'Infinity' read by Decimal as infinite
            return math.copysign(math.inf, -1 if text.startswith("-") else 1)
        return _round_exact(q)
    raise DataError(f"cannot cast {show_value(v)} to FLOAT")


def real_digits(v: float) -> float:
    """The double with the fewest significant digits that lies strictly nearer to the float32 v than
    to either neighbour (1.1 for f32(1.1)); a length where the rounding of v's exact value to that
    many digits is a tie is passed over (262144.125 stays 262144.125), as DuckDB prints."""
    if v != v or math.isinf(v) or v == 0:
        return v
    exact = decimal.Decimal(v)
    q = Fraction(v)
    lo, hi = Fraction(_neighbour(v, -math.inf)), Fraction(_neighbour(v, math.inf))
    low_bound, high_bound = (q + lo) / 2, (q + hi) / 2
    ctx = decimal.Context(prec=30, rounding=decimal.ROUND_HALF_EVEN)
    for p in range(1, 10):
        if _is_tie(exact, p):
            continue
        ctx.prec = p
        s = ctx.plus(exact)
        f = Fraction(s)
        if low_bound < f < high_bound:
            return float(s)
    return v


def _is_tie(exact: decimal.Decimal, p: int) -> bool:
    """Whether exact lies exactly halfway between two numbers of p significant digits."""
    t = exact.as_tuple()
    digits = t.digits
    if len(digits) <= p:
        return False
    rest = digits[p:]
    return rest[0] == 5 and not any(rest[1:])


def real_text(v) -> str | None:
    """CAST(v AS VARCHAR) of a FLOAT: its shortest digits, laid out as DuckDB lays out a DOUBLE."""
    if v is None:
        return None
    from .casts import to_text
    short = real_digits(v)
    if short != v and 2.0 ** 27 <= abs(v) < 2.0 ** 40:
        # DuckDB prints some of these integers whole and others by their shortest digits, by a rule
        # of its digit generator not reproduced here: an error rather than a text that could differ
        raise DataError(f"the text of the FLOAT {v:.0f} is not supported (DuckDB's digits for integers "
                        "from 2^27 to 2^40 are not reproduced)")
    return to_text(short)


__all__ = ["f32", "to_real", "real_text", "real_digits", "FLT_MAX"]
