"""Casts between SQL types and the text form of values (as DuckDB and SQLite print them): a failed
conversion raises DataError (TRY_CAST turns it into NULL)."""

from __future__ import annotations

import datetime
import decimal
import math
import re

from .binary import blob_text
from .dates import Interval, _Infinite
from .timetz import TimeTZ
from .errors import DataError, Unrepresentable, show_value
from .numbers import DC, NAN, dec

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
    if isinstance(v, _Infinite):
        return v.text()
    if isinstance(v, datetime.datetime):
        text = v.strftime("%Y-%m-%d %H:%M:%S")
        if v.microsecond:
            text += f".{v.microsecond:06d}".rstrip("0")
        return text
    if isinstance(v, Interval):
        return v.text()
    if isinstance(v, datetime.time):
        return time_text(v)
    if isinstance(v, bytes):
        return blob_text(v)
    return str(v)


def time_text(v: datetime.time) -> str:
    """A TIME as DuckDB prints it: 12:34:56, 12:34:56.5 (the fraction without trailing zeros); a TIMETZ
    with its offset (sqllib/timetz.py)."""
    if isinstance(v, TimeTZ):
        return v.text()
    text = f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
    return text + f".{v.microsecond:06d}".rstrip("0") if v.microsecond else text


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
    except Unrepresentable:
        raise
    except (DataError, TypeError, ValueError, ArithmeticError):
        return None


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


def cast_uhugeint(v):
    """CAST(v AS UHUGEINT): as to an integer type (cast_int), into 0 .. 2**128 - 1."""
    if v is None:
        return None
    out = _integer_value(v, False)
    if not 0 <= out < 1 << 128:
        raise DataError(f"integer overflow: {out} does not fit UHUGEINT")
    return out


def cast_int(v, bits: int, truncate: bool):
    """CAST(v AS integer type): floats round half away from zero (DuckDB) or truncate (SQLite)."""
    if v is None:
        return None
    out = _integer_value(v, truncate)
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if not lo <= out <= hi:
        if truncate:
            return hi if out > hi else lo
        raise DataError(f"integer overflow: {out} does not fit {bits}-bit integer")
    return out


def _integer_value(v, truncate: bool) -> int:
    """The integer a cast to an integer type converts v to, before its range is checked."""
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
                raise DataError(f"cannot cast {show_value(v)} to an integer")
    else:
        raise DataError(f"cannot cast {show_value(v)} to an integer")
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
            raise DataError(f"cannot cast {show_value(v)} to DOUBLE") from None
    if not isinstance(v, (int, float, decimal.Decimal)):
        raise DataError(f"cannot cast {show_value(v)} to DOUBLE")
    return float(v)


def cast_decimal(v, scale: int, precision: int):
    if v is None:
        return None
    try:
        d = v if isinstance(v, decimal.Decimal) else decimal.Decimal(repr(v) if isinstance(v, float) else
                                                                      str(v).strip() if isinstance(v, str)
                                                                      else v)
    except (decimal.InvalidOperation, TypeError):
        raise DataError(f"cannot cast {show_value(v)} to DECIMAL({precision},{scale})") from None
    q = dec(d.quantize(decimal.Decimal(1).scaleb(-scale), rounding=decimal.ROUND_HALF_UP, context=DC))
    if q.copy_abs() >= decimal.Decimal(10) ** (precision - scale):
        raise DataError(f"{v} does not fit DECIMAL({precision},{scale})")
    return q


_TRUE_WORDS = ("true", "t", "1", "yes", "y")
_FALSE_WORDS = ("false", "f", "0", "no", "n")
_PG_BLANKS = " \t\n\r\v\f"


def cast_bool(v, rule: str = "duckdb"):
    """CAST(v AS BOOLEAN).  A string by the dialect's ``rule`` (compiler/dialect.py, bool_text): DuckDB
    takes its words exactly, in any ASCII case, with nothing around them; Postgres trims blanks and
    takes any unique prefix of true, false, yes, no, on, off (``o`` alone is neither) and 1 or 0; the
    lenient rule trims blanks and takes DuckDB's words.  A number: not zero is TRUE (NaN too)."""
    if v is None:
        return None
    if isinstance(v, str):
        if rule == "duckdb":
            t = v.lower() if v.isascii() else v
        else:
            t = v.strip(_PG_BLANKS if rule == "postgres" else None).lower()
        if rule == "postgres":
            got = _pg_bool(t)
            if got is not None:
                return got
        elif t in _TRUE_WORDS:
            return True
        elif t in _FALSE_WORDS:
            return False
        raise DataError(f"cannot cast {show_value(v)} to BOOLEAN")
    if not isinstance(v, (int, float, decimal.Decimal)):
        raise DataError(f"cannot cast {show_value(v)} to BOOLEAN")
    return bool(v)


def _pg_bool(t: str):
    """Postgres's reading of a trimmed, lower-cased string as a boolean; None if it is not one."""
    if t in ("1", "0"):
        return t == "1"
    if t.startswith("o"):  # on / of / off: "o" alone could be either
        return True if t == "on" else False if t in ("of", "off") else None
    for word, value in (("true", True), ("false", False), ("yes", True), ("no", False)):
        if t and word.startswith(t):
            return value
    return None


# DATE, TIMESTAMP, TIMESTAMPTZ and INTERVAL from text read as DuckDB reads them: timestamps.py and
# interval_text.py
from .interval_text import cast_interval  # noqa: E402,F401
from .timestamps import cast_date, cast_time, cast_timestamp, cast_timestamptz, timestamptz_text  # noqa: E402,F401
