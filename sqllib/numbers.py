"""SQL arithmetic and math over Python numbers: NULL in, NULL out; integer division and modulo
truncate toward zero (Python's // and % floor); DECIMALs in one 60-digit context; overflow checks per
integer width; errors raise DataError.  ``NAN`` is the one NaN object: computed NaNs are made this object,
so rows holding NaN hash and compare as one value (DISTINCT, GROUP BY, joins)."""

from __future__ import annotations

import decimal
import math
from fractions import Fraction

from .errors import DataError

DC = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN, Emax=10**6, Emin=-10**6)
NAN = math.nan  # the one NaN: computed NaNs are made this object (math.nan itself, so the runtime, which
# imports nothing outside itself, holds the same object), and rows holding NaN compare equal

# -- arithmetic ------------------------------------------------------------------------------------

def idiv(x, y):
    """Integer division truncating toward zero; x / 0 is an error."""
    if y == 0:
        raise DataError("division by zero")
    q = abs(x) // abs(y)
    return q if (x < 0) == (y < 0) else -q


def idiv_null(x, y):
    """Integer division truncating toward zero; x / 0 is NULL."""
    if y == 0:
        return None
    q = abs(x) // abs(y)
    return q if (x < 0) == (y < 0) else -q


def imod(x, y):
    """Remainder with the sign of the dividend (C / SQL semantics); x % 0 is an error."""
    if y == 0:
        raise DataError("division by zero")
    r = abs(x) % abs(y)
    return -r if x < 0 else r


def imod_null(x, y):
    if y == 0:
        return None
    r = abs(x) % abs(y)
    return -r if x < 0 else r


_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1


def sqlite_div(x, y):
    """SQLite's /: integer division (truncating) when both values are integers, else real; NULL for
    a zero divisor.  SQLite types values, not expressions, so this is decided per value."""
    if type(x) is int and type(y) is int:
        if y == 0:
            return None
        q = abs(x) // abs(y)
        q = q if (x < 0) == (y < 0) else -q
        return q if _I64_MIN <= q <= _I64_MAX else float(q)
    y = float(y)
    if y == 0.0:
        return None
    return float(x) / y


def sqlite_mod(x, y):
    """SQLite's %: both operands taken as integers (truncated); a real if either was real."""
    xi, yi = int(x), int(y)
    if yi == 0:
        return None
    r = abs(xi) % abs(yi)
    r = -r if xi < 0 else r
    return r if type(x) is int and type(y) is int else float(r)




def fdiv(x, y):
    """Floating-point division with IEEE results for division by zero (DuckDB's DOUBLE /)."""
    x = float(x)
    y = float(y)
    if y == 0.0:
        if x == 0.0 or x != x:
            return NAN
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    r = x / y
    return r if r == r else NAN


def fdiv_null(x, y):
    if y == 0:
        return None
    return float(x) / float(y)


def fmod(x, y):
    x = float(x)
    y = float(y)
    if y == 0.0 or x != x or y != y or math.isinf(x):
        return NAN
    return math.fmod(x, y)


def fmod_null(x, y):
    if y == 0:
        return None
    if x != x or y != y or math.isinf(x):
        return NAN
    return math.fmod(float(x), float(y))


def dmod(x, y):
    if y == 0:
        raise DataError("division by zero")
    return DC.remainder(x, y)


def dmod_null(x, y):
    if y == 0:
        return None
    return DC.remainder(x, y)


def make_decimal_check(precision: int, scale: int, what: str, operand: bool = False):
    """A function that checks a DECIMAL value fits DECIMAL(precision, scale) (DuckDB's overflow error;
    the value already has at most ``scale`` fraction digits).  ``what`` names the operation whose type
    that is; ``operand``: the value is an operand cast to it (DuckDB casts both sides of + and - to the
    result type first).  NULL passes."""
    limit = decimal.Decimal(10) ** (precision - scale)
    t = f"DECIMAL({precision},{scale})"

    def check(v):
        if v is None or v.copy_abs() < limit:  # copy_abs: exact (abs() rounds to 28 digits)
            return v
        if operand:
            raise DataError(f"casting {v} to {t}, the type of the {what}, failed: value is out of range")
        raise DataError(f"overflow in {what} of DECIMAL({precision}): {v} does not fit {t}")
    return check


def make_int_check(bits: int, to_float: bool):
    """A function that checks an integer result fits ``bits`` (error), or turns it to a float.
    NULL passes (a division by zero may have made it NULL)."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1

    if to_float:
        def check(v):
            if v is None or lo <= v <= hi:
                return v
            return float(v)
    else:
        def check(v):
            if v is None or lo <= v <= hi:
                return v
            raise DataError(f"integer overflow: {v} does not fit {bits}-bit integer")
        check.bounds = (lo, hi)  # (what generated code tests inline, calling check only out of range)
    return check


def check_uhugeint(v):
    """A UHUGEINT result: NULL, or an integer in 0 .. 2**128 - 1 (else the overflow error DuckDB raises)."""
    if v is None or 0 <= v < 1 << 128:
        return v
    raise DataError(f"integer overflow: {v} does not fit UHUGEINT")


def _wrap_bits(v: int, bits: int) -> int:
    """Two's-complement wrap-around into ``bits`` (shifts overflow silently, as in SQLite and C)."""
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def shift_left(x, n, bits):
    if n < 0:
        return shift_right(x, -n, bits)
    return 0 if n >= bits else _wrap_bits(x << n, bits)


def shift_right(x, n, bits):
    if n < 0:
        return shift_left(x, -n, bits)
    return (-1 if x < 0 else 0) if n >= bits else x >> n


def nan_eq(a, b):
    """DOUBLE = as DuckDB: NaN equals NaN."""
    return a == b or (a != a and b != b)


def nan_lt(a, b):
    """DOUBLE < as DuckDB: NaN is greater than every other value."""
    if a != a:
        return False
    if b != b:
        return True
    return a < b


def greatest(*args):
    values = [v for v in args if v is not None]
    return max(values) if values else None


def least(*args):
    values = [v for v in args if v is not None]
    return min(values) if values else None


def dec(v):
    """A DECIMAL result: Python's Decimal keeps the sign of a zero, SQL's DECIMAL has none."""
    return v.copy_abs() if v.is_zero() else v


def dadd(x, y):
    return dec(DC.add(x, y))


def dsub(x, y):
    return dec(DC.subtract(x, y))


def dmul(x, y):
    return dec(DC.multiply(x, y))


def dneg(x):
    return dec(x.copy_negate())  # exact: unary minus would round to the thread's context (28 digits)


def to_decimal(v):
    if isinstance(v, decimal.Decimal):
        return v
    if isinstance(v, float):
        return decimal.Decimal(repr(v))
    return decimal.Decimal(v)


# -- math functions --------------------------------------------------------------------------------

def round_half_away(x, digits=0):
    """ROUND as DuckDB (and SQLite) do it: halves away from zero.  An integer or a DECIMAL is rounded
    exactly (to 0 when ``digits`` reaches past its first digit, however far); a DOUBLE is rounded as
    DuckDB computes it, in doubles: round(x * 10^digits) / 10^digits, so ROUND(2.675, 2) is 2.67
    (2.675 is stored as 2.67499…), and x itself when 10^digits overflows."""
    return _round(x, digits, False, "ROUND")


def round_half_even(x, digits):
    """ROUND_EVEN (ROUNDBANKERS) as DuckDB does it: as ROUND, but a half goes to the even neighbour
    (ROUND_EVEN(2.5, 0) is 2, ROUND_EVEN(35, -1) is 40), for integers, DECIMALs and DOUBLEs alike."""
    return _round(x, digits, True, "ROUND_EVEN")


def _round(x, digits, even: bool, name: str):
    if x is None or digits is None:
        return None
    if isinstance(x, int):
        if digits >= 0:
            return x
        if -digits > len(str(abs(x))):
            return 0
        scale = 10 ** -digits
        q, rest = divmod(abs(x), scale)
        if 2 * rest > scale or 2 * rest == scale and (q % 2 or not even):
            q += 1
        return q * scale if x >= 0 else -q * scale
    if isinstance(x, decimal.Decimal):
        if digits >= -x.as_tuple().exponent:
            return x  # already no more digits than asked: DuckDB keeps the scale
        if digits < 0 and (not x or -digits > x.adjusted() + 1):
            return decimal.Decimal(0)
        mode = decimal.ROUND_HALF_EVEN if even else decimal.ROUND_HALF_UP
        r = x.quantize(decimal.Decimal(1).scaleb(-digits), rounding=mode, context=DC)
        if r.adjusted() >= 38:  # a carry out of a DECIMAL(38, 0): no wider DECIMAL to hold it
            raise DataError(f"Overflow in {name} of DECIMAL(38)")
        return dec(r.quantize(_ONE, context=DC) if digits < 0 else r)  # scale 0 (1.2E+3 is 1200)
    return _round_double(x, digits, even)


_ONE = decimal.Decimal(1)


def _round_double(x: float, digits: int, even: bool) -> float:
    """ROUND of a DOUBLE as DuckDB computes it, in doubles: for d >= 0, round(x * 10^d) / 10^d where
    the halfway test reads the exact product (so 2.675, stored as 2.67499…, rounds to 2.67 though
    2.675 * 100 is 267.5 in doubles); for d < 0, round(x / 10^-d) * 10^-d.  An infinite result gives
    x itself; a NaN (inf / inf, 0 * inf) gives x, or 0 when d < 0.  (Where 10^d is not a double, d >= 23,
    DuckDB's last bit differs now and then: BUGS.md.)"""
    if x != x or x in (math.inf, -math.inf):
        return x
    if digits >= 0:
        scale = _power10(digits)
        exact = Fraction(x) * Fraction(scale) if scale != math.inf else None
        r = _nearest(x * scale, exact, even) / scale
    else:
        scale = _power10(-digits)
        r = _nearest(x / scale, None, even) * scale
    if r != r:
        return 0.0 if digits < 0 else x
    return x if r in (math.inf, -math.inf) else r


def _power10(n: int) -> float:
    try:
        return math.pow(10.0, n)
    except OverflowError:
        return math.inf


def _nearest(v: float, exact, even: bool) -> float:
    """The integer nearest v, halves away from zero or to the even one; ``exact`` (a Fraction, or None)
    is v's exact value when v was rounded, and decides a tie."""
    if v != v or v in (math.inf, -math.inf) or abs(v) >= 2.0 ** 52:
        return v
    a = abs(exact) if exact is not None else abs(v)
    n = math.floor(a)
    f = a - n
    if f > Fraction(1, 2) or f == Fraction(1, 2) and (n % 2 or not even):
        n += 1
    return math.copysign(float(n), v)


def sql_floor(x):
    if x is None:
        return None
    if isinstance(x, int):
        return x
    if isinstance(x, decimal.Decimal):
        return dec(x.to_integral_value(rounding=decimal.ROUND_FLOOR))
    return math.copysign(float(math.floor(x)), x) if math.isfinite(x) else x  # (C's floor(-0.0) is -0.0)


def sql_ceil(x):
    if x is None:
        return None
    if isinstance(x, int):
        return x
    if isinstance(x, decimal.Decimal):
        return dec(x.to_integral_value(rounding=decimal.ROUND_CEILING))
    return math.copysign(float(math.ceil(x)), x) if math.isfinite(x) else x  # (C's ceil(-0.5) is -0.0)


def sql_sign(x):
    if x is None:
        return None
    return (x > 0) - (x < 0)


def sql_power(x, y):
    """POWER as DuckDB computes it (C's pow): NaN for a negative base and a fractional exponent,
    ±inf past the range of a double (and for 0 to a negative power)."""
    if x is None or y is None:
        return None
    x, y = float(x), float(y)
    try:
        return math.pow(x, y)
    except OverflowError:
        odd = y.is_integer() and int(y) % 2 == 1
        return -math.inf if x < 0 and odd else math.inf
    except ValueError:
        if x == 0:
            return math.inf
        return NAN


def sql_sqrt(x):
    """SQRT as DuckDB computes it: NaN for a negative number."""
    if x is None:
        return None
    x = float(x)
    return math.sqrt(x) if x >= 0 else NAN


def sql_abs(x):
    if isinstance(x, decimal.Decimal):
        return x.copy_abs()  # exact: abs() would round to the thread's context (28 digits)
    return None if x is None else abs(x)



# -- comparisons of mixed-type values (SQLite's ordering: NULL < numbers < text) -------------------

def sqlite_cmp_key(v):
    if isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool):
        return (1, v, "")
    if isinstance(v, bool):
        return (1, int(v), "")
    return (2, 0, v)


def ddiv(x, y):
    """DECIMAL / DECIMAL: DuckDB gives a DOUBLE (the binder types it so); kept for explicit use."""
    return fdiv(x, y)


def ddiv_null(x, y):
    return fdiv_null(x, y)


def fdiv_checked(x, y):
    """Division where x / 0 is an error (dialects that say so, SET ieee_floating_point_ops = false)."""
    if y == 0:
        raise DataError("division by zero")
    r = float(x) / float(y)
    return r if r == r else NAN


def fmod_checked(x, y):
    """The floating-point remainder where x % 0 is an error (SET ieee_floating_point_ops = false)."""
    if y == 0:
        raise DataError("division by zero")
    return fmod(x, y)



# -- more math ---------------------------------------------------------------------------------------

def sql_trunc(x):
    """TRUNC: toward zero; a DOUBLE keeps its sign (-0.5 gives -0.0) and inf/nan pass."""
    if x is None:
        return None
    if isinstance(x, int):
        return x
    if isinstance(x, decimal.Decimal):
        return dec(x.to_integral_value(rounding=decimal.ROUND_DOWN))
    if not math.isfinite(x):
        return x
    return math.copysign(float(math.trunc(x)), x)


def _logarithm(fn):
    """A logarithm with IEEE results where C's gives them (DuckDB): -inf at 0, NaN below."""
    def log(x):
        if x is None:
            return None
        x = float(x)
        if x > 0:
            return fn(x)
        return -math.inf if x == 0 else NAN
    return log


sql_ln, sql_log10, sql_log2 = _logarithm(math.log), _logarithm(math.log10), _logarithm(math.log2)


def sql_log(base, x):
    """LOG(b, x) = log10(x) / log10(b), as DuckDB computes it."""
    if base is None or x is None:
        return None
    return fdiv(sql_log10(x), sql_log10(base))


def sql_exp(x):
    if x is None:
        return None
    try:
        return math.exp(float(x))
    except OverflowError:
        return math.inf


# -- trigonometry and the other C math functions -----------------------------------------------------

def _c_math(fn, on_overflow=lambda *xs: math.inf):
    """A C math function as DuckDB calls it: NULL in, NULL out; NaN outside its domain (asin(2),
    sin(inf)); past the double range ``on_overflow`` (an infinity)."""
    def call(*args):
        if any(a is None for a in args):
            return None
        xs = [float(a) for a in args]
        try:
            r = fn(*xs)
        except (ValueError, ZeroDivisionError):
            return NAN
        except OverflowError:
            return on_overflow(*xs)
        return r if r == r else NAN
    return call


def _cot(x: float) -> float:
    t = math.tan(x)
    return math.copysign(math.inf, x) if t == 0 else 1 / t


sql_sin, sql_cos, sql_tan = _c_math(math.sin), _c_math(math.cos), _c_math(math.tan)
sql_asin, sql_acos, sql_atan = _c_math(math.asin), _c_math(math.acos), _c_math(math.atan)
sql_atan2, sql_cot = _c_math(math.atan2), _c_math(_cot)
sql_degrees, sql_radians = _c_math(math.degrees), _c_math(math.radians)
sql_sinh = _c_math(math.sinh, lambda x: math.copysign(math.inf, x))
sql_cosh, sql_tanh = _c_math(math.cosh), _c_math(math.tanh)
sql_asinh, sql_acosh = _c_math(math.asinh), _c_math(math.acosh)
sql_atanh = _c_math(lambda x: math.copysign(math.inf, x) if abs(x) == 1 else math.atanh(x))
sql_cbrt = _c_math(math.cbrt)


def sql_trunc_digits(x, digits):
    """TRUNC(x, d): toward zero at d digits after the point (before it, for d < 0).  An integer or a
    DECIMAL exactly; a DOUBLE as DuckDB computes it, in doubles: trunc(x * 10^d) / 10^d (x / 10^-d,
    then times, for d < 0), x itself where that overflows, the sign of x kept on a zero."""
    if x is None or digits is None:
        return None
    if isinstance(x, int):
        if digits >= 0:
            return x
        q = 10 ** min(-digits, len(str(abs(x))))
        r = abs(x) // q * q
        return r if x >= 0 else -r
    if isinstance(x, decimal.Decimal):
        if digits >= -x.as_tuple().exponent:
            return x
        if digits < 0 and (not x or -digits > x.adjusted() + 1):
            return decimal.Decimal(0)
        r = x.quantize(decimal.Decimal(1).scaleb(-digits), rounding=decimal.ROUND_DOWN, context=DC)
        return dec(r.quantize(_ONE, context=DC) if digits < 0 else r)
    if x != x or x in (math.inf, -math.inf):
        return x
    if digits >= 0:
        scale = _power10(digits)
        v = x * scale
        r = math.trunc(v) / scale if math.isfinite(v) else x
    else:
        scale = _power10(-digits)
        r = float(math.trunc(x / scale)) * scale if scale != math.inf else 0.0
    return math.copysign(r, x) if r == 0 else r


def sql_isnan(x):
    return None if x is None else isinstance(x, float) and x != x


def sql_isinf(x):
    return None if x is None else isinstance(x, float) and x in (math.inf, -math.inf)


def sql_isfinite(x):
    return None if x is None else not isinstance(x, float) or math.isfinite(x)


def sql_signbit(x):
    """The sign bit: true for negative numbers, -0.0 and a NaN with its sign set."""
    if x is None:
        return None
    return math.copysign(1.0, x) < 0 if isinstance(x, float) else x < 0


def sql_even(x):
    """EVEN(x): x rounded away from zero to the next even integer (a DOUBLE)."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return x
    v = math.ceil(x) if x >= 0 else math.floor(x)
    if v % 2:
        v += 1 if x >= 0 else -1
    return math.copysign(float(v), x)  # (EVEN(-0.0) is -0.0)


def sql_gcd(a, b):
    """GCD of two BIGINTs (DuckDB): Euclid's loop on the signed values, the absolute value of what is
    left taken at the end; that is only out of range when it is 2^63 (GCD(-2^63, 0), GCD(-2^63, -2^63))."""
    if a is None or b is None:
        return None
    g = math.gcd(a, b)
    if g == 2 ** 63:
        raise DataError("GCD: overflow on the absolute value of -9223372036854775808")
    return g


def sql_lcm(a, b):
    """LCM of two BIGINTs (DuckDB): 0 if either is 0, else |a / GCD(a, b) * b|, where the product must fit
    BIGINT and its absolute value too (LCM(-2^63, 1) fails, LCM(-2^62, 2) is 2^62)."""
    if a is None or b is None:
        return None
    if not a or not b:
        return 0
    x = a // sql_gcd(a, b) * b  # (the GCD divides a: no rounding)
    if not -2 ** 63 <= x < 2 ** 63:
        raise DataError(f"LCM({a}, {b}) is out of the range of BIGINT")
    if x == -2 ** 63:
        raise DataError("LCM: overflow on the absolute value of -9223372036854775808")
    return abs(x)


def sql_factorial(n):
    """FACTORIAL(n) (a HUGEINT): n up to 33; negative numbers are an error."""
    if n is None:
        return None
    if n < 0:
        raise DataError("factorial of a negative number is undefined")
    if n > 33:
        raise DataError(f"FACTORIAL({n}) is out of the range of HUGEINT")
    return math.factorial(n)


def sql_gamma(x):
    """GAMMA(x) as C's tgamma: inf at 0 and where it overflows, NaN at the negative integers."""
    if x is None:
        return None
    x = float(x)
    if x == 0:
        return math.copysign(math.inf, x)
    if x != x or (x < 0 and x == math.floor(x)) or x == -math.inf:
        return math.nan
    try:
        return math.gamma(x)
    except OverflowError:
        return math.inf


def sql_lgamma(x):
    """LGAMMA(x) as C's lgamma: inf at 0 and the negative integers."""
    if x is None:
        return None
    x = float(x)
    if x != x:
        return x
    if x in (math.inf, -math.inf) or (x <= 0 and x == math.floor(x)):
        return math.inf
    try:
        return math.lgamma(x)
    except OverflowError:
        return math.inf


# -- SET ieee_floating_point_ops = false: where an IEEE result (inf, NaN) becomes an error --------------

def _checked_log(x, what="logarithm"):
    if x is not None:
        x = float(x)
        if x == 0:
            raise DataError(f"cannot take {what} of zero")
        if x < 0:
            raise DataError(f"cannot take {what} of a negative number")


def _strict(fn, check):
    def call(*args):
        check(*args)
        return fn(*args)
    return call


sql_ln_strict, sql_log10_strict, sql_log2_strict = (_strict(f, _checked_log) for f in (sql_ln, sql_log10, sql_log2))


def sql_log_strict(base, x):
    """LOG(b, x) without IEEE results: b and x must be positive, and b not 1."""
    _checked_log(x)
    _checked_log(base)
    if base is not None and x is not None and float(base) == 1:
        raise DataError("division by zero in based logarithm")
    return sql_log(base, x)


def _checked_sqrt(x):
    if x is not None and float(x) < 0:
        raise DataError("cannot take square root of a negative number")


def _checked_zero(what):
    def check(x):
        if x is not None and float(x) == 0:
            raise DataError(f"cannot take {what} of zero")
    return check


def _checked_unit(what):
    def check(x):
        if x is not None and abs(float(x)) > 1:
            raise DataError(f"{what} is undefined outside [-1,1]")
    return check


sql_sqrt_strict = _strict(sql_sqrt, _checked_sqrt)
sql_gamma_strict = _strict(sql_gamma, _checked_zero("gamma"))
sql_lgamma_strict = _strict(sql_lgamma, _checked_zero("log gamma"))
sql_cot_strict = _strict(sql_cot, _checked_zero("cotangent"))
sql_asin_strict = _strict(sql_asin, _checked_unit("ASIN"))
sql_acos_strict = _strict(sql_acos, _checked_unit("ACOS"))
sql_atanh_strict = _strict(sql_atanh, _checked_unit("ATANH"))


def sql_binom(n, k):
    """BINOM(n, k): the binomial coefficient (a HUGEINT; 0 when k > n); negative input is an error."""
    if n is None or k is None:
        return None
    if n < 0 or k < 0:
        raise DataError("binom with negative input is undefined")
    r = math.comb(n, k)
    if r >= 2 ** 127:
        raise DataError(f"BINOM({n}, {k}) is out of the range of HUGEINT")
    return r


def decimal_division(a, b, scale, width=None):
    """DECIMAL_DIVISION(a, b, scale): the exact a / b rounded half to even at ``scale`` digits (DuckDB 2.0.1's
    answer on 300 random divisions; its test file's comments say truncated, which it no longer is); the
    binder typed the result wide enough; by zero an error; a NULL scale NULL."""
    if a is None or b is None or scale is None:
        return None
    if not b:
        raise DataError("decimal_division: division by zero")
    return _half_even(Fraction(a) / Fraction(b), scale)


def _half_even(q: Fraction, scale: int):
    """The exact number q as a DECIMAL of ``scale`` digits, rounded half to even."""
    q *= 10 ** scale
    units = q.numerator // q.denominator
    rest = q - units
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and units % 2):
        units += 1
    return dec(decimal.Decimal(units).scaleb(-scale, context=DC))


def make_decimal_average(scale: int):
    """DECIMAL_AVERAGE's finish for a DECIMAL of ``scale``: the exact sum over the count, rounded half to even
    at that scale (DuckDB 2.0.1: 3.5 → 4, 2.5 → 2, -2.5 → -2); a sum whose scaled integer is outside
    HUGEINT's range is DuckDB's overflow error (DuckDB checks each partial sum, whose order a view cannot
    know: only the total is checked here, so a total in range after partial sums out of it is answered)."""
    lo, hi = -(1 << 127), (1 << 127) - 1

    def average(total, count):
        if not lo <= Fraction(total) * 10 ** scale <= hi:
            raise DataError("decimal_average: the intermediate sum overflowed HUGEINT range")
        return _half_even(Fraction(total) / count, scale)
    return average
