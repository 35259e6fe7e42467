"""INTERVAL values from text and from Python, as DuckDB reads them.

    '2 hours'  '1 year 2 months 3 days'  '1 day 02:00:00.5'  '-01:30'  '3 weeks'  '2h'  '1.5 hours'
    '@ 1 day'  '4 minutes 3 seconds ago'  '1' (seconds)

A text is a sequence of ``number [unit]`` and ``[-]h:m[:s[.f]]`` parts, summed; a trailing ``ago``
negates the whole.  Units are DuckDB's spellings (``mon``, ``h``, ``ms``, ``us``, …); years, quarters,
decades, centuries and millennia count months.  A fraction of a month becomes days (30 a month) and a
fraction of a day microseconds, as DuckDB does.  A Python ``timedelta`` is days and microseconds.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from .errors import DataError, show_value
from .dates import Interval

_DAY_MICROS = 86_400_000_000

# unit -> (field, amount): field 0 months, 1 days, 2 microseconds
_UNITS: dict = {}
for _names, _field, _amount in (
        (("millennium", "millennia", "millenniums", "mil", "mils"), 0, 12000),
        (("century", "centuries", "c", "cent", "cents"), 0, 1200),
        (("decade", "decades", "dec", "decs"), 0, 120),
        (("year", "years", "y", "yr", "yrs"), 0, 12),
        (("quarter", "quarters"), 0, 3),
        (("month", "months", "mon", "mons"), 0, 1),
        (("week", "weeks", "w"), 1, 7),
        (("day", "days", "d"), 1, 1),
        (("hour", "hours", "h", "hr", "hrs"), 2, 3_600_000_000),
        (("minute", "minutes", "m", "min", "mins"), 2, 60_000_000),
        (("second", "seconds", "s", "sec", "secs"), 2, 1_000_000),
        (("millisecond", "milliseconds", "ms", "msec", "msecs"), 2, 1000),
        (("microsecond", "microseconds", "us", "usec", "usecs"), 2, 1)):
    for _n in _names:
        _UNITS[_n] = (_field, _amount)

_PART = re.compile(r"""\s*(?:
    (?P<clock>[+-]?\d+:\d+(?::\d+(?:\.\d*)?)?)
  | (?P<number>[+-]?\d+(?:\.\d*)?)\s*(?P<unit>[a-z]+)?
)""", re.X)


def parse_interval(text: str) -> Interval:
    """The interval a text spells (DataError if it spells none)."""
    s = text.strip().lower()
    if s.startswith("@"):
        s = s[1:]
    negate = False
    if s.endswith("ago"):
        s, negate = s[:-3], True
    months, days, micros = Decimal(0), Decimal(0), Decimal(0)
    pos, n = 0, 0
    s = s.rstrip()
    while pos < len(s):
        m = _PART.match(s, pos)
        if m is None or m.end() == pos:
            raise DataError(f"cannot convert '{text}' to INTERVAL")
        pos, n = m.end(), n + 1
        if m.group("clock"):
            clock = m.group("clock")
            sign = -1 if clock.startswith("-") else 1
            pieces = clock.lstrip("+-").split(":")
            h, mi = int(pieces[0]), int(pieces[1])
            sec = Decimal(pieces[2]) if len(pieces) > 2 else Decimal(0)
            micros += sign * ((h * 60 + mi) * 60_000_000 + sec * 1_000_000)
            continue
        unit = m.group("unit") or "second"
        if unit not in _UNITS:
            raise DataError(f"cannot convert '{text}' to INTERVAL: unknown unit {unit!r}")
        try:
            value = Decimal(m.group("number"))
        except InvalidOperation:
            raise DataError(f"cannot convert '{text}' to INTERVAL") from None
        field, amount = _UNITS[unit]
        value *= amount
        if field == 0:
            whole = int(value)
            months += whole
            value = (value - whole) * 30
            field = 1
        if field == 1:
            whole = int(value)
            days += whole
            value = (value - whole) * _DAY_MICROS
        micros += value
    if n == 0:
        raise DataError(f"cannot convert '{text}' to INTERVAL")
    sign = -1 if negate else 1
    return Interval(sign * int(months), sign * int(days), sign * int(micros.to_integral_value()))


def from_timedelta(td: datetime.timedelta) -> Interval:
    """A Python timedelta as an interval of days and microseconds (as DuckDB's Python API reads it)."""
    if isinstance(td, Interval):
        return td
    return Interval(0, td.days, td.seconds * 1_000_000 + td.microseconds)


def cast_interval(v):
    """CAST(v AS INTERVAL): from an interval, a timedelta or a text."""
    if v is None or isinstance(v, Interval):
        return v
    if isinstance(v, datetime.timedelta):
        return from_timedelta(v)
    if isinstance(v, str):
        return parse_interval(v)
    raise DataError(f"cannot cast {show_value(v)} to INTERVAL")
