"""SQL semantics as small Python functions, called by generated code (NULL in, NULL out, unless
noted).  Integer division and modulo truncate toward zero; errors raise DataError."""

from __future__ import annotations

import datetime
import decimal
import hashlib as _hashlib
import math
import re

from . import re2 as _re2
from .errors import DataError

DC = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN, Emax=10**6, Emin=-10**6)
NAN = float("nan")  # the one NaN: computed NaNs are made this object, so rows holding NaN compare equal


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


def cast_numeric(v):
    """SQLite's conversion of text to a number: an INTEGER if the text is one, else a REAL."""
    if v is None:
        return None
    if isinstance(v, str):
        text = v.strip()
        try:
            return int(text)
        except ValueError:
            return cast_float(text, strict=False)
    return v


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
    return check


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


def quantizer(scale: int):
    q = decimal.Decimal(1).scaleb(-scale)

    def quantize(v):
        return v.quantize(q, context=DC)
    return quantize


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
    return dec(-x)


def to_decimal(v):
    if isinstance(v, decimal.Decimal):
        return v
    if isinstance(v, float):
        return decimal.Decimal(repr(v))
    return decimal.Decimal(v)


# -- math functions --------------------------------------------------------------------------------

def round_half_away(x, digits=0):
    """ROUND as DuckDB and SQLite do it: halves away from zero."""
    if x is None or digits is None:
        return None
    if isinstance(x, int):
        if digits >= 0:
            return x
        q = 10 ** (-digits)
        r = (abs(x) + q // 2) // q * q
        return r if x >= 0 else -r
    if isinstance(x, decimal.Decimal):
        if digits >= -x.as_tuple().exponent:
            return x  # already no more digits than asked: DuckDB keeps the scale
        return dec(x.quantize(decimal.Decimal(1).scaleb(-digits), rounding=decimal.ROUND_HALF_UP, context=DC))
    if math.isinf(x) or math.isnan(x):
        return x
    d = decimal.Decimal(repr(x)).quantize(decimal.Decimal(1).scaleb(-digits), rounding=decimal.ROUND_HALF_UP,
                                          context=DC)
    return float(d)


def sql_floor(x):
    if x is None:
        return None
    if isinstance(x, int):
        return x
    if isinstance(x, decimal.Decimal):
        return dec(x.to_integral_value(rounding=decimal.ROUND_FLOOR))
    return float(math.floor(x)) if math.isfinite(x) else x


def sql_ceil(x):
    if x is None:
        return None
    if isinstance(x, int):
        return x
    if isinstance(x, decimal.Decimal):
        return dec(x.to_integral_value(rounding=decimal.ROUND_CEILING))
    return float(math.ceil(x)) if math.isfinite(x) else x


def sql_sign(x):
    if x is None:
        return None
    return (x > 0) - (x < 0)


def sql_power(x, y):
    if x is None or y is None:
        return None
    try:
        r = math.pow(float(x), float(y))
    except (OverflowError, ValueError):
        raise DataError(f"POWER({x}, {y}) is out of range") from None
    return r


def sql_sqrt(x):
    if x is None:
        return None
    if x < 0:
        raise DataError(f"cannot take the square root of a negative number ({x})")
    return math.sqrt(float(x))


def sql_abs(x):
    return None if x is None else abs(x)


# -- strings ---------------------------------------------------------------------------------------

_LIKE_CACHE: dict = {}


def like(s, pattern, case_insensitive=False, escape=None):
    """s LIKE pattern: % any run, _ one character, optional escape character."""
    if s is None or pattern is None:
        return None
    key = (pattern, case_insensitive, escape)
    rx = _LIKE_CACHE.get(key)
    if rx is None:
        parts = []
        i = 0
        while i < len(pattern):
            ch = pattern[i]
            if escape is not None and ch == escape and i + 1 < len(pattern):
                parts.append(re.escape(pattern[i + 1]))
                i += 2
                continue
            parts.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
            i += 1
        flags = re.DOTALL | (re.IGNORECASE if case_insensitive else 0)
        rx = _LIKE_CACHE[key] = re.compile("".join(parts), flags)
        if len(_LIKE_CACHE) > 10_000:
            _LIKE_CACHE.clear()
    return rx.fullmatch(s) is not None


def substring(s, start, length=None):
    """SUBSTRING(s, start[, length]), 1-based; a negative start counts from the end, position 0 is
    just before the first character, and a negative length takes the characters before start
    (as DuckDB does).  Positions outside the string are dropped."""
    if s is None or start is None:
        return None
    n = len(s)
    pos = start if start >= 0 else n + start + 1  # the 1-based position start names
    if length is None:
        first, last = pos, n
    elif length >= 0:
        first, last = pos, pos + length - 1
    else:
        first, last = pos + length, pos - 1
    first = max(first, 1)
    last = min(last, n)
    return s[first - 1:last] if first <= last else ""


def sql_contains(s, sub):
    if s is None or sub is None:
        return None
    return sub in s


def sql_starts_with(s, prefix):
    if s is None or prefix is None:
        return None
    return s.startswith(prefix)


def sql_ends_with(s, suffix):
    if s is None or suffix is None:
        return None
    return s.endswith(suffix)


def sql_lpad(s, n, fill=" "):
    if s is None or n is None or fill is None:
        return None
    if n <= len(s):
        return s[:max(n, 0)]
    if not fill:
        return s
    need = n - len(s)
    return (fill * (need // len(fill) + 1))[:need] + s


def sql_rpad(s, n, fill=" "):
    if s is None or n is None or fill is None:
        return None
    if n <= len(s):
        return s[:max(n, 0)]
    if not fill:
        return s
    need = n - len(s)
    return s + (fill * (need // len(fill) + 1))[:need]


def concat_ws(sep, *parts):
    """CONCAT_WS(sep, a, b, …): the non-NULL arguments joined by sep; NULL if sep is NULL."""
    if sep is None:
        return None
    return sep.join(to_text(p) for p in parts if p is not None)


def sql_length(s):
    return None if s is None else len(s)


def sql_upper(s):
    return None if s is None else s.upper()


def sql_lower(s):
    return None if s is None else s.lower()


def sql_trim(s, chars=None, where="both"):
    if s is None:
        return None
    chars = " " if chars is None else chars
    if where == "leading":
        return s.lstrip(chars)
    if where == "trailing":
        return s.rstrip(chars)
    return s.strip(chars)


def sql_replace(s, old, new):
    if s is None or old is None or new is None:
        return None
    if old == "":
        return s
    return s.replace(old, new)


def sql_position(needle, haystack):
    if needle is None or haystack is None:
        return None
    return haystack.find(needle) + 1


def concat_skip_null(*parts):
    """CONCAT(a, b, …): NULL arguments are skipped (the || operator propagates NULL instead)."""
    return "".join(to_text(p) for p in parts if p is not None)


def sql_left(s, n):
    if s is None or n is None:
        return None
    return s[:n] if n >= 0 else s[:max(len(s) + n, 0)]


def sql_right(s, n):
    if s is None or n is None:
        return None
    if n >= 0:
        return s[len(s) - n:] if n else ""
    return s[-n:]


def sql_reverse(s):
    return None if s is None else s[::-1]


def sql_repeat(s, n):
    if s is None or n is None:
        return None
    return s * max(n, 0)


# -- casts and text forms --------------------------------------------------------------------------

def to_text(v) -> str:
    """The text form of a value, as CAST(v AS VARCHAR) gives it."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v != v:
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v.is_integer() and abs(v) < 1e16:
            return f"{v:.1f}"
        return repr(v)
    if isinstance(v, datetime.datetime):
        text = v.strftime("%Y-%m-%d %H:%M:%S")
        if v.microsecond:
            text += f".{v.microsecond:06d}".rstrip("0")
        return text
    if isinstance(v, Interval):
        return v.text()
    return str(v)


def to_text_sqlite(v) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return f"{v:.1f}"
        return f"{v:.15g}"
    return to_text(v)


def try_cast(conversion, v):
    """TRY_CAST: the conversion of v, or NULL where it fails."""
    try:
        return conversion(v)
    except (DataError, TypeError, ValueError, ArithmeticError):
        return None


def cast_int(v, bits: int, truncate: bool):
    """CAST(v AS integer type): floats round half away from zero (DuckDB) or truncate (SQLite)."""
    if v is None:
        return None
    if isinstance(v, bool):
        out = int(v)
    elif isinstance(v, int):
        out = v
    elif isinstance(v, (float, decimal.Decimal)):
        if isinstance(v, float) and not math.isfinite(v):
            raise DataError(f"cannot cast {v} to an integer")
        if truncate:
            out = int(v)
        elif isinstance(v, float):
            out = round(v)  # DuckDB rounds a DOUBLE half to even
        else:
            out = int(v.to_integral_value(rounding=decimal.ROUND_HALF_UP))  # and a DECIMAL half away
    elif isinstance(v, str):
        text = v.strip()
        if truncate:
            try:
                out = int(text)
            except ValueError:
                out = _sqlite_int_prefix(text)
        else:
            out = _duckdb_string_int(text)
            if out is None:
                raise DataError(f"cannot cast {v!r} to an integer")
    else:
        raise DataError(f"cannot cast {v!r} to an integer")
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if not lo <= out <= hi:
        if truncate:
            return hi if out > hi else lo
        raise DataError(f"integer overflow: {out} does not fit {bits}-bit integer")
    return out


_DUCK_DECIMAL = re.compile(r"[+-]?(?=\.?\d)(\d(?:_?\d)*)?(\.\d*)?([eE][+-]?\d+)?", re.ASCII)
_DUCK_RADIX = re.compile(r"0[xX][0-9a-fA-F]+|0[bB][01]+", re.ASCII)


def _duckdb_string_int(text: str) -> int | None:
    """A string read as an integer the way DuckDB casts it: ASCII digits with single underscores
    between them, a fraction or exponent rounded half away from zero ('2.5' is 3, '-0.50' is -1),
    or unsigned 0x / 0b literals; None if it is none of these."""
    if _DUCK_RADIX.fullmatch(text):
        return int(text, 0)
    if not _DUCK_DECIMAL.fullmatch(text):
        return None
    d = decimal.Decimal(text.replace("_", ""))
    return int(d.to_integral_value(rounding=decimal.ROUND_HALF_UP))


def _sqlite_int_prefix(text: str) -> int:
    m = re.match(r"[+-]?\d+", text)
    return int(m.group(0)) if m else 0


def cast_float(v, strict: bool = True):
    if v is None:
        return None
    if isinstance(v, str):
        try:
            f = float(v.strip())
            return f if f == f else NAN
        except ValueError:
            if not strict:
                m = re.match(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", v.strip())
                return float(m.group(0)) if m else 0.0
            raise DataError(f"cannot cast {v!r} to DOUBLE") from None
    if not isinstance(v, (int, float, decimal.Decimal)):
        raise DataError(f"cannot cast {v!r} to DOUBLE")
    return float(v)


def cast_decimal(v, scale: int, precision: int):
    if v is None:
        return None
    try:
        d = v if isinstance(v, decimal.Decimal) else decimal.Decimal(repr(v) if isinstance(v, float) else
                                                                      str(v).strip() if isinstance(v, str)
                                                                      else v)
    except (decimal.InvalidOperation, TypeError):
        raise DataError(f"cannot cast {v!r} to DECIMAL({precision},{scale})") from None
    q = dec(d.quantize(decimal.Decimal(1).scaleb(-scale), rounding=decimal.ROUND_HALF_UP, context=DC))
    if abs(q) >= decimal.Decimal(10) ** (precision - scale):
        raise DataError(f"{v} does not fit DECIMAL({precision},{scale})")
    return q


def cast_bool(v):
    if v is None:
        return None
    if isinstance(v, str):
        t = v.strip().lower()
        if t in ("true", "t", "1", "yes", "y"):
            return True
        if t in ("false", "f", "0", "no", "n"):
            return False
        raise DataError(f"cannot cast {v!r} to BOOLEAN")
    if not isinstance(v, (int, float, decimal.Decimal)):
        raise DataError(f"cannot cast {v!r} to BOOLEAN")
    return bool(v)


def cast_date(v):
    if v is None:
        return None
    if isinstance(v, datetime.datetime):
        return v.date()
    if isinstance(v, datetime.date):
        return v
    try:
        return datetime.date.fromisoformat(str(v).strip())
    except ValueError:
        raise DataError(f"cannot cast {v!r} to DATE") from None


def cast_timestamp(v):
    if v is None:
        return None
    if isinstance(v, datetime.datetime):
        return v
    if isinstance(v, datetime.date):
        return datetime.datetime(v.year, v.month, v.day)
    try:
        return datetime.datetime.fromisoformat(str(v).strip())
    except ValueError:
        raise DataError(f"cannot cast {v!r} to TIMESTAMP") from None


# -- dates, timestamps, intervals ------------------------------------------------------------------

class Interval(datetime.timedelta):
    """An SQL interval: months, days and microseconds kept apart (a month has no fixed length), and
    at the same time the timedelta DuckDB's Python API returns for it (a month counted as 30 days),
    which is also how DuckDB compares and orders intervals."""

    __slots__ = ("months", "day_part", "micro_part")

    def __new__(cls, months: int = 0, days: int = 0, micros: int = 0):
        self = super().__new__(cls, days=months * 30 + days, microseconds=micros)
        self.months = months
        self.day_part = days
        self.micro_part = micros
        return self

    def __neg__(self):
        return Interval(-self.months, -self.day_part, -self.micro_part)

    def __add__(self, other):
        if isinstance(other, Interval):
            return Interval(self.months + other.months, self.day_part + other.day_part,
                            self.micro_part + other.micro_part)
        return NotImplemented

    def __sub__(self, other):
        if isinstance(other, Interval):
            return self + (-other)
        return NotImplemented

    def key(self) -> int:
        return (self.months * 30 + self.day_part) * 86_400_000_000 + self.micro_part

    def __repr__(self) -> str:
        return f"Interval(months={self.months}, days={self.day_part}, micros={self.micro_part})"

    def __reduce__(self):
        return (Interval, (self.months, self.day_part, self.micro_part))

    def text(self) -> str:
        parts = []
        years, months = divmod(self.months, 12) if self.months >= 0 else (-((-self.months) // 12),
                                                                          -((-self.months) % 12))
        if years:
            parts.append(f"{years} year{'s' if abs(years) != 1 else ''}")
        if months:
            parts.append(f"{months} month{'s' if abs(months) != 1 else ''}")
        if self.day_part:
            parts.append(f"{self.day_part} day{'s' if abs(self.day_part) != 1 else ''}")
        if self.micro_part or not parts:
            us = abs(self.micro_part)
            h, rem = divmod(us, 3_600_000_000)
            m, rem = divmod(rem, 60_000_000)
            sec, frac = divmod(rem, 1_000_000)
            text = f"{'-' if self.micro_part < 0 else ''}{h:02d}:{m:02d}:{sec:02d}"
            if frac:
                text += f".{frac:06d}"
            parts.append(text)
        return " ".join(parts)


_UNIT_MICROS = {"microsecond": 1, "millisecond": 1000, "second": 1_000_000, "minute": 60_000_000,
                "hour": 3_600_000_000}


def make_interval(n, unit: str):
    if n is None:
        return None
    unit = unit.lower().rstrip("s")
    if unit == "year":
        return Interval(months=int(n) * 12)
    if unit == "month":
        return Interval(months=int(n))
    if unit == "week":
        return Interval(days=int(n) * 7)
    if unit == "day":
        return Interval(days=int(n))
    if unit in _UNIT_MICROS:
        return Interval(micros=int(round(n * _UNIT_MICROS[unit])))
    raise DataError(f"unknown interval unit {unit!r}")


def _add_months(d, months: int):
    y, m = divmod(d.month - 1 + months, 12)
    year = d.year + y
    month = m + 1
    last = [31, 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28, 31, 30, 31, 30,
            31, 31, 30, 31, 30, 31][month - 1]
    return d.replace(year=year, month=month, day=min(d.day, last))


def add_interval(d, iv: Interval, as_timestamp: bool):
    """date/timestamp + interval; a date plus a sub-day interval becomes a timestamp."""
    if d is None or iv is None:
        return None
    if as_timestamp and not isinstance(d, datetime.datetime):
        d = datetime.datetime(d.year, d.month, d.day)
    try:
        if iv.months:
            d = _add_months(d, iv.months)
        if iv.day_part:
            d = d + datetime.timedelta(days=iv.day_part)
        if iv.micro_part:
            d = d + datetime.timedelta(microseconds=iv.micro_part)
    except OverflowError:
        raise DataError("date out of range") from None
    return d


def sub_interval(d, iv, as_timestamp: bool):
    return None if iv is None else add_interval(d, -iv, as_timestamp)


def sql_strftime(d, fmt):
    """STRFTIME: C-style format codes, as DuckDB and SQLite use them."""
    if d is None or fmt is None:
        return None
    return d.strftime(fmt)


def date_diff_days(a, b):
    """date - date: whole days (DuckDB's BIGINT)."""
    if a is None or b is None:
        return None
    return (a - b).days


def date_diff(unit: str, start, end):
    """DATE_DIFF(unit, start, end): the number of unit boundaries between start and end."""
    if start is None or end is None:
        return None
    unit = unit.lower().rstrip("s")
    if unit in ("year", "quarter", "month"):
        months = (end.year - start.year) * 12 + (end.month - start.month)
        return {"year": end.year - start.year, "quarter": (end.year * 12 + end.month - 1) // 3
                - (start.year * 12 + start.month - 1) // 3, "month": months}[unit]
    a = start if isinstance(start, datetime.datetime) else datetime.datetime(start.year, start.month, start.day)
    b = end if isinstance(end, datetime.datetime) else datetime.datetime(end.year, end.month, end.day)
    if unit == "week":
        return (date_trunc("week", b) - date_trunc("week", a)).days // 7
    if unit == "day":
        return (b.date() - a.date()).days
    micros = {"hour": 3_600_000_000, "minute": 60_000_000, "second": 1_000_000, "millisecond": 1000,
              "microsecond": 1}.get(unit)
    if micros is None:
        raise DataError(f"unknown DATE_DIFF unit {unit!r}")
    ta, tb = date_trunc(unit, a), date_trunc(unit, b)
    delta = tb - ta
    return (delta.days * 86_400_000_000 + delta.seconds * 1_000_000 + delta.microseconds) // micros


def interval_mul(iv, n):
    if iv is None or n is None:
        return None
    if isinstance(n, int):
        return Interval(iv.months * n, iv.day_part * n, iv.micro_part * n)
    # fractional multiples spill months and days into the smaller units, as DuckDB does
    months = iv.months * n
    days = iv.day_part * n + (months - int(months)) * 30
    micros = iv.micro_part * n + (days - int(days)) * 86_400_000_000
    return Interval(int(months), int(days), int(round(micros)))


def timestamp_diff(a, b):
    """timestamp - timestamp: an interval of days and microseconds."""
    if a is None or b is None:
        return None
    delta = a - b
    return Interval(0, delta.days, delta.seconds * 1_000_000 + delta.microseconds)


def date_add_days(d, n):
    if d is None or n is None:
        return None
    return d + datetime.timedelta(days=n)


def _day_micros(d):
    return ((d.hour * 60 + d.minute) * 60 + d.second) * 1_000_000 + d.microsecond \
        if isinstance(d, datetime.datetime) else 0


_EXTRACT = {
    "year": lambda d: d.year, "month": lambda d: d.month, "day": lambda d: d.day,
    "quarter": lambda d: (d.month - 1) // 3 + 1,
    "dow": lambda d: d.isoweekday() % 7,
    "isodow": lambda d: d.isoweekday(), "doy": lambda d: d.timetuple().tm_yday,
    "week": lambda d: d.isocalendar()[1], "isoyear": lambda d: d.isocalendar()[0],
    "yearweek": lambda d: d.isocalendar()[0] * 100 + d.isocalendar()[1],
    "decade": lambda d: d.year // 10, "century": lambda d: (d.year - 1) // 100 + 1 if d.year > 0 else -((-d.year) // 100 + 1),
    "millennium": lambda d: (d.year - 1) // 1000 + 1 if d.year > 0 else -((-d.year) // 1000 + 1),
    "era": lambda d: 1 if d.year > 0 else 0,
    "hour": lambda d: d.hour if isinstance(d, datetime.datetime) else 0,
    "minute": lambda d: d.minute if isinstance(d, datetime.datetime) else 0,
    "second": lambda d: d.second if isinstance(d, datetime.datetime) else 0,
    "millisecond": lambda d: (d.second * 1000 + d.microsecond // 1000) if isinstance(d, datetime.datetime) else 0,
    "microsecond": lambda d: (d.second * 1_000_000 + d.microsecond) if isinstance(d, datetime.datetime) else 0,
    "epoch": lambda d: (d - datetime.datetime(1970, 1, 1)).total_seconds() if isinstance(d, datetime.datetime)
    else float((d - datetime.date(1970, 1, 1)).days * 86400),
    "julian": lambda d: float(d.toordinal() + 1_721_425) + _day_micros(d) / 86_400_000_000,
    "timezone": lambda d: 0, "timezone_hour": lambda d: 0, "timezone_minute": lambda d: 0,
}

# DuckDB's names for the parts (date_part, EXTRACT), each mapped to one of _EXTRACT's
EXTRACT_ALIASES = {alias: part for part, aliases in {
    "year": "year yr y years yrs", "month": "month mon months mons", "day": "day days d dayofmonth",
    "decade": "decade dec decades decs", "century": "century cent centuries c",
    "millennium": "millennium mil millenniums millennia mils millenium",
    "microsecond": "microseconds microsecond us usec usecs usecond useconds",
    "millisecond": "milliseconds millisecond ms msec msecs msecond mseconds",
    "second": "second sec seconds secs s", "minute": "minute min minutes mins m", "hour": "hour hours hr hrs h",
    "epoch": "epoch", "dow": "dow dayofweek weekday", "isodow": "isodow", "week": "week weeks w weekofyear",
    "doy": "doy dayofyear", "quarter": "quarter quarters", "yearweek": "yearweek", "isoyear": "isoyear",
    "era": "era", "julian": "julian", "timezone": "timezone", "timezone_hour": "timezone_hour",
    "timezone_minute": "timezone_minute",
}.items() for alias in aliases.split()}
INTERVAL_FIELDS = frozenset({"year", "month", "day", "hour", "minute", "second", "epoch"})
DOUBLE_FIELDS = frozenset({"epoch", "julian"})

EXTRACT_FIELDS = frozenset(_EXTRACT)


def extract(field: str, d):
    if d is None:
        return None
    if isinstance(d, Interval):
        return _extract_interval(field, d)
    return _EXTRACT[field](d)


def _extract_interval(field, iv):
    if field == "year":
        return int(iv.months / 12)
    if field == "month":
        return iv.months - int(iv.months / 12) * 12
    if field == "day":
        return iv.day_part
    if field == "hour":
        return int(iv.micro_part / 3_600_000_000)
    if field == "minute":
        return int(iv.micro_part / 60_000_000) % 60
    if field == "second":
        return int(iv.micro_part / 1_000_000) % 60
    if field == "epoch":
        return (iv.months * 30 + iv.day_part) * 86400 + iv.micro_part / 1_000_000
    raise DataError(f"EXTRACT({field}) is not defined for intervals")


TRUNC_UNITS = ("millennium", "century", "decade", "year", "quarter", "month", "week", "day", "hour",
               "minute", "second", "millisecond", "microsecond")


def date_trunc(unit: str, d, as_date: bool = False):
    if d is None:
        return None
    is_dt = isinstance(d, datetime.datetime)
    ts = d if is_dt else datetime.datetime(d.year, d.month, d.day)
    if unit == "millennium":
        ts = ts.replace(year=(ts.year - 1) // 1000 * 1000 + 1 if ts.year > 0 else ts.year, month=1, day=1,
                        hour=0, minute=0, second=0, microsecond=0)
    elif unit == "century":
        ts = ts.replace(year=(ts.year - 1) // 100 * 100 + 1, month=1, day=1, hour=0, minute=0, second=0,
                        microsecond=0)
    elif unit == "decade":
        ts = ts.replace(year=ts.year // 10 * 10, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "year":
        ts = ts.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "quarter":
        ts = ts.replace(month=(ts.month - 1) // 3 * 3 + 1, day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "month":
        ts = ts.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "week":
        ts = (ts - datetime.timedelta(days=ts.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    elif unit == "day":
        ts = ts.replace(hour=0, minute=0, second=0, microsecond=0)
    elif unit == "hour":
        ts = ts.replace(minute=0, second=0, microsecond=0)
    elif unit == "minute":
        ts = ts.replace(second=0, microsecond=0)
    elif unit == "second":
        ts = ts.replace(microsecond=0)
    elif unit == "millisecond":
        ts = ts.replace(microsecond=ts.microsecond // 1000 * 1000)
    elif unit != "microsecond":
        raise DataError(f"unknown DATE_TRUNC unit {unit!r}")
    return ts.date() if as_date else ts


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
    """Division where x / 0 is an error (dialects that say so)."""
    if y == 0:
        raise DataError("division by zero")
    return float(x) / float(y)


# -- regular expressions and GLOB (patterns translated by re2.py) ----------------------------------

def _regex(p, opts):
    """A pattern already translated at compile time, or a pattern value translated now (cached)."""
    if type(p) is _re2.Regex:
        return p
    try:
        return _re2.translate(p, *opts)
    except _re2.PatternError as e:
        raise DataError(f"regular expression {p!r}: {e}") from None


def regexp_matches(s, p, opts):
    """REGEXP_MATCHES: the pattern matches somewhere in s."""
    if s is None or p is None:
        return None
    return _regex(p, opts).rx.search(s) is not None


def regexp_full_match(s, p, opts):
    if s is None or p is None:
        return None
    return _regex(p, opts).rx.fullmatch(s) is not None


def regexp_extract(s, p, group, opts):
    """REGEXP_EXTRACT: the group of the first match; '' without a match or for a group that took no part."""
    if s is None or p is None:
        return None
    rx = _regex(p, opts)
    m = rx.rx.search(s)
    if m is None or group > rx.groups:
        return ""
    return m.group(group) or ""


def regexp_replace(s, p, replacement, opts, every):
    """REGEXP_REPLACE: the first match (or, with 'g', each) replaced, as RE2's Replace/GlobalReplace do
    it: after a match, an empty match at its end is skipped by one character."""
    if s is None or p is None or replacement is None:
        return None
    rx = _regex(p, opts)
    if type(replacement) is not _re2.Rewrite:
        try:
            replacement = _re2.rewrite(replacement)
        except _re2.PatternError as e:
            raise DataError(f"regexp_replace: {e}") from None
    if replacement.max_group > rx.groups:
        raise DataError(f"regexp_replace: the replacement asks for group \\{replacement.max_group} but the "
                        f"pattern has {rx.groups}")
    parts = replacement.parts
    search = rx.rx.search
    if not every:
        m = search(s)
        if m is None:
            return s
        return s[:m.start()] + "".join(x if type(x) is str else (m.group(x) or "") for x in parts) + s[m.end():]
    out, pos, last_end, n, count = [], 0, -1, len(s), 0
    while pos <= n:
        m = search(s, pos)
        if m is None:
            break
        start, end = m.span()
        out.append(s[pos:start])
        if start == end == last_end:
            out.append(s[start:start + 1])
            pos = start + 1
            continue
        out.extend(x if type(x) is str else (m.group(x) or "") for x in parts)
        pos = last_end = end
        count += 1
    if not count:
        return s
    out.append(s[pos:])
    return "".join(out)


def glob_match(s, pattern, sqlite):
    """s GLOB pattern (DuckDB's or SQLite's rules, see re2.glob); case-sensitive."""
    if s is None or pattern is None:
        return None
    rx = _re2.glob(pattern, sqlite)
    return rx is not None and rx.fullmatch(s) is not None


# -- more string functions -------------------------------------------------------------------------

def split_part(s, delimiter, index):
    """SPLIT_PART: the index-th piece (1-based, negative from the end), '' when there is none; an
    empty delimiter splits into characters."""
    if s is None or delimiter is None or index is None:
        return None
    parts = list(s) if delimiter == "" else s.split(delimiter)
    n = len(parts)
    if 0 < index <= n:
        return parts[index - 1]
    if 0 < -index <= n:
        return parts[n + index]
    return ""


def string_slice(s, start, end, has_start, has_end):
    """s[start:end] as DuckDB slices strings: 1-based, both ends included, negative positions counted
    from the end, clamped to the string; an omitted bound is the string's start or end."""
    if s is None or (has_start and start is None) or (has_end and end is None):
        return None
    n = len(s)
    lo = 1 if not has_start else (n + start + 1 if start < 0 else start)
    hi = n if not has_end else (n + end + 1 if end < 0 else end)
    lo, hi = max(lo, 1), min(hi, n)
    return s[lo - 1:hi] if lo <= hi else ""


def string_element(s, index):
    """s[index]: the character at a 1-based position (negative from the end), '' outside the string."""
    if s is None or index is None:
        return None
    i = index if index > 0 else len(s) + index + 1
    return s[i - 1] if index and 1 <= i <= len(s) else ""


def sql_translate(s, source, target):
    """TRANSLATE: each character of source replaced by the one at its position in target (the first
    occurrence counts), or removed where target is shorter."""
    if s is None or source is None or target is None:
        return None
    table = {}
    for i, c in enumerate(source):
        table.setdefault(ord(c), target[i] if i < len(target) else None)
    return s.translate(table)


def sql_ascii(s):
    if s is None:
        return None
    return ord(s[0]) if s else 0


def sql_chr(n):
    if n is None:
        return None
    if not 0 <= n <= 0x10FFFF or 0xD800 <= n <= 0xDFFF:
        raise DataError(f"CHR({n}): not a valid Unicode code point")
    return chr(n)


def _digest(name):
    def digest(s):
        if s is None:
            return None
        return _hashlib.new(name, s.encode("utf-8", "surrogatepass")).hexdigest()
    digest.__name__ = f"sql_{name}"
    return digest


sql_md5, sql_sha1, sql_sha256 = _digest("md5"), _digest("sha1"), _digest("sha256")


def bit_count(n, bits):
    """BIT_COUNT: set bits of the two's-complement form at the argument's width."""
    if n is None:
        return None
    return bin(n & ((1 << bits) - 1)).count("1")


# DuckDB's UPPER/LOWER map each character on its own (Unicode simple case mapping): no 'SS' for 'ß',
# no final sigma, 'i' for 'İ'
_UPPER_SINGLE: dict | None = None


def _upper_single():
    global _UPPER_SINGLE
    if _UPPER_SINGLE is None:
        multi = {chr(cp) for cp in range(0x20000) if not 0xD800 <= cp <= 0xDFFF and len(chr(cp).upper()) > 1}
        table = {}
        for cp in range(0x20000):
            if 0xD800 <= cp <= 0xDFFF:
                continue
            low = chr(cp).lower()
            if low in multi and low != chr(cp):
                table.setdefault(low, chr(cp))  # the capital whose lowercase is the character
        _UPPER_SINGLE = table
    return _UPPER_SINGLE


def duck_upper(s):
    if s is None:
        return None
    u = s.upper()
    if len(u) == len(s):
        return u
    table = _upper_single()
    return "".join(c.upper() if len(c.upper()) == 1 else table.get(c, c) for c in s)


def duck_lower(s):
    if s is None:
        return None
    if "\u03a3" not in s and "\u0130" not in s:
        return s.lower()
    return "".join("i" if c == "\u0130" else c.lower() for c in s)


def ascii_lower(s):
    """SQLite's NOCASE: only ASCII letters fold."""
    if s is None:
        return None
    return s.lower() if s.isascii() else "".join(c.lower() if c.isascii() else c for c in s)


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


# -- more dates --------------------------------------------------------------------------------------

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")


def dayname(d):
    return None if d is None else _DAY_NAMES[d.weekday()]


def monthname(d):
    return None if d is None else _MONTH_NAMES[d.month - 1]


def last_day(d):
    """LAST_DAY: the last day of the month, as a DATE."""
    if d is None:
        return None
    return _add_months(datetime.date(d.year, d.month, 1), 1) - datetime.timedelta(days=1)


def make_date(year, month, day):
    if year is None or month is None or day is None:
        return None
    try:
        return datetime.date(year, month, day)
    except (ValueError, OverflowError):
        if 1 <= month <= 12 and 1 <= day <= 31 and not 1 <= year <= 9999:
            raise DataError(f"make_date: year {year} is outside the supported range 1-9999") from None
        raise DataError(f"make_date: date out of range: {year}-{month}-{day}") from None


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_days(year, month):
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 29 if month == 2 and leap else _MONTH_DAYS[month - 1]


def age(a, b):
    """AGE(a, b): a - b in years, months, days and time, field by field with borrows (as DuckDB and
    Postgres compute it; a borrowed month is the length of the earlier timestamp's month)."""
    if a is None or b is None:
        return None
    if not isinstance(a, datetime.datetime):
        a = datetime.datetime(a.year, a.month, a.day)
    if not isinstance(b, datetime.datetime):
        b = datetime.datetime(b.year, b.month, b.day)
    diff = [a.year - b.year, a.month - b.month, a.day - b.day, a.hour - b.hour, a.minute - b.minute,
            a.second - b.second, a.microsecond - b.microsecond]
    flipped = a < b
    if flipped:
        diff = [-x for x in diff]
    years, months, days, hours, minutes, seconds, micros = diff
    while micros < 0:
        micros += 1_000_000
        seconds -= 1
    while seconds < 0:
        seconds += 60
        minutes -= 1
    while minutes < 0:
        minutes += 60
        hours -= 1
    while hours < 0:
        hours += 24
        days -= 1
    while days < 0:
        earlier = a if flipped else b
        days += _month_days(earlier.year, earlier.month)
        months -= 1
    while months < 0:
        months += 12
        years -= 1
    sign = -1 if flipped else 1
    return Interval(sign * (years * 12 + months), sign * days,
                    sign * (((hours * 60 + minutes) * 60 + seconds) * 1_000_000 + micros))
