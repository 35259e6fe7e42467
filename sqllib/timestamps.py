"""DATE, TIMESTAMP, TIMESTAMPTZ and TIME values from text and from Python, as DuckDB reads them.

Text is ``YYYY-MM-DD[( |T)HH:MM[:SS[.fraction]]][ Z | UTC | ±HH[:MM[:SS]]]`` (months and days may
have one digit; ``/`` or a space may separate them instead of ``-``); ``20240102`` is no date.  The laws DuckDB follows (its session time zone UTC):

- a TIMESTAMP is a wall-clock time without a zone: an offset written in its text is dropped
  ('2024-01-01 10:00:00+02' is 10:00), while a zone-aware Python datetime is converted to UTC first;
- a TIMESTAMPTZ is an instant, held as a datetime in UTC: an offset in its text (or a Python
  datetime's zone) is applied, a time without one is read as UTC; it prints as ``…+00``;
- a DATE text may carry a time, which is dropped.
"""

from __future__ import annotations

import datetime
import re

from .dates import _Infinite, infinite, parse_infinity
from .fardates import FarDate, parse_far_date
from .errors import DataError, Unrepresentable, show_value

UTC = datetime.timezone.utc

_TEXT = re.compile(r"""\s*(\d+)(?P<sep>[-/ ])(\d{1,2})(?P=sep)(\d{1,2})
    (?:(?:T|\s+)(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?)?
    \s*(?:(?P<utc>Z|UTC|GMT)|(?P<sign>[+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?)?\s*$""", re.X | re.I)


def _parse(text: str, what: str):
    """(naive wall-clock datetime, offset as a timedelta or None) of a text."""
    m = _TEXT.match(text)
    if m is None:
        raise DataError(f"cannot convert '{text}' to {what}: expected YYYY-MM-DD[ HH:MM[:SS[.US]]][±HH[:MM]]")
    y, mo, d, h, mi, s, frac = m.group(1, 3, 4, 5, 6, 7, 8)
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        wall = datetime.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), micro)
    except ValueError as e:
        raise DataError(f"cannot convert '{text}' to {what}: {e}") from None
    offset = None
    if m.group("utc"):
        offset = datetime.timedelta(0)
    elif m.group("sign"):
        oh, om, os = (int(x or 0) for x in m.group(11, 12, 13))
        offset = datetime.timedelta(hours=oh, minutes=om, seconds=os)
        if m.group("sign") == "-":
            offset = -offset
    return wall, offset


# TIME: [date (T| )]H[H]:M[M][:S[S][.fraction]][Z | ±HH[:MM[:SS]]]; a fraction past microseconds is cut
_TIME = re.compile(r"""\s*(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d*))?)?
    \s*(?:Z|[+-](\d{1,2})(?::?\d{2}){0,2})?\s*$""", re.X | re.I)
_DATE_FIRST = re.compile(r"\s*\d+[-/ ]\d{1,2}[-/ ]\d{1,2}(?:T|\s)")
DATE_ONLY = re.compile(r"\d+([-/])\d{1,2}\1\d{1,2}$")


def parse_time(text: str) -> datetime.time:
    """A TIME from text as DuckDB reads it: a date before the time is dropped (and checked), so is an
    offset after it.  DuckDB's 24:00:00 (the end of a day) has no Python time: refused."""
    if _DATE_FIRST.match(text) or DATE_ONLY.match(text):  # (a date alone: its midnight, as DuckDB reads it)
        return _parse(text, "TIME")[0].time()
    m = _TIME.match(text)
    if m is None or (m.group(5) is not None and int(m.group(5)) > 15):
        raise DataError(f"cannot convert '{text}' to TIME: expected [YYYY-MM-DD ]HH:MM[:SS[.US]]")
    h, mi, s = (int(x or 0) for x in m.group(1, 2, 3))
    micro = int((m.group(4) or "")[:6].ljust(6, "0"))
    if h == 24 and mi == s == micro == 0:
        raise Unrepresentable(f"cannot convert '{text}' to TIME: 24:00:00 (DuckDB's end of a day) is not supported")
    if h > 23 or mi > 59 or s > 59:
        raise DataError(f"cannot convert '{text}' to TIME: time field value out of range")
    return datetime.time(h, mi, s, micro)


def cast_time(v):
    """CAST(v AS TIME): from text, or a TIMESTAMP's time of day (a zone-aware Python datetime's in UTC)."""
    if v is None:
        return None
    if isinstance(v, _Infinite):
        raise DataError("cannot cast an infinite TIMESTAMP to TIME")
    if isinstance(v, datetime.datetime):
        return (v.astimezone(UTC) if v.tzinfo is not None else v).time()
    if isinstance(v, datetime.time) and v.tzinfo is None:
        return v
    if isinstance(v, str):
        return parse_time(v)
    raise DataError(f"cannot cast {show_value(v)} to TIME")


def parse_date(text: str):
    """A DATE from text: a Python date, or a FarDate for one before year 1 or after 9999 (sqllib/fardates.py)."""
    try:
        return _parse(text, "DATE")[0].date()
    except DataError:
        far = parse_far_date(text)
        if far is None:
            raise
        return far


def parse_timestamp(text: str) -> datetime.datetime:
    """A TIMESTAMP from text: the wall-clock time written, any offset dropped (as DuckDB)."""
    try:
        return _parse(text, "TIMESTAMP")[0]
    except DataError:
        _far_timestamp(text, "TIMESTAMP")
        raise


def _far_timestamp(text: str, what: str) -> None:
    """Unrepresentable for a timestamp text DuckDB reads before year 1 or after 9999 (a TRY_CAST of it
    must not be NULL where DuckDB has a value)."""
    try:
        far = parse_far_date(text)
    except DataError:
        return
    if far is not None:
        raise Unrepresentable(f"cannot convert '{text}' to {what}: a TIMESTAMP before year 1 or after 9999 "
                              f"is not supported")


def parse_timestamptz(text: str) -> datetime.datetime:
    """A TIMESTAMPTZ from text: the instant, in UTC (no offset written: UTC)."""
    try:
        wall, offset = _parse(text, "TIMESTAMP WITH TIME ZONE")
    except DataError:
        _far_timestamp(text, "TIMESTAMP WITH TIME ZONE")
        raise
    try:
        return (wall - offset).replace(tzinfo=UTC) if offset else wall.replace(tzinfo=UTC)
    except OverflowError:
        raise DataError(f"'{text}' is out of the TIMESTAMP WITH TIME ZONE range") from None


def cast_date(v):
    if isinstance(v, _Infinite):  # 'infinity' (dates.py)
        return infinite(False, v.sign)
    if v is None or (isinstance(v, datetime.date) and not isinstance(v, datetime.datetime)) or type(v) is FarDate:
        return v
    if isinstance(v, datetime.datetime):
        return (v.astimezone(UTC) if v.tzinfo else v).date()
    if isinstance(v, str):
        return parse_infinity(v, False) or parse_date(v)
    raise DataError(f"cannot cast {show_value(v)} to DATE")


def cast_timestamp(v):
    if v is None:
        return None
    if isinstance(v, _Infinite):
        return infinite(True, v.sign)
    if isinstance(v, datetime.datetime):
        return v.astimezone(UTC).replace(tzinfo=None) if v.tzinfo is not None else v
    if isinstance(v, datetime.date):
        return datetime.datetime(v.year, v.month, v.day)
    if isinstance(v, str):
        return parse_infinity(v, True) or parse_timestamp(v)
    if type(v) is FarDate:
        raise Unrepresentable(f"cannot cast DATE '{v}' to TIMESTAMP: a TIMESTAMP before year 1 or after 9999 is "
                              f"not supported")
    raise DataError(f"cannot cast {show_value(v)} to TIMESTAMP")


def cast_timestamptz(v):
    if v is None:
        return None
    if isinstance(v, datetime.datetime):
        return v.astimezone(UTC) if v.tzinfo is not None else v.replace(tzinfo=UTC)
    if isinstance(v, datetime.date):
        return datetime.datetime(v.year, v.month, v.day, tzinfo=UTC)
    if isinstance(v, str):
        return parse_timestamptz(v)
    if type(v) is FarDate:
        raise Unrepresentable(f"cannot cast DATE '{v}' to TIMESTAMP WITH TIME ZONE: a TIMESTAMP before year 1 or "
                              f"after 9999 is not supported")
    raise DataError(f"cannot cast {show_value(v)} to TIMESTAMP WITH TIME ZONE")


def timestamptz_text(v: datetime.datetime) -> str:
    """A TIMESTAMPTZ as DuckDB prints it in UTC: 2024-01-01 08:00:00+00."""
    text = v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if v.microsecond:
        text += f".{v.microsecond:06d}".rstrip("0")
    return text + "+00"
