"""Temporal values as DuckDB's 64-bit microsecond counts, and back to an INTERVAL or a value: what MAD and
MEDIAN of a DATE, TIMESTAMP, TIMESTAMPTZ or TIME compute over (runtime/temporal_mad.py, temporal_median.py).

Laws (DuckDB's physical values): a TIMESTAMP is microseconds since 1970-01-01 00:00:00 (a TIMESTAMPTZ:
of its UTC instant); a DATE is its midnight's TIMESTAMP (days since 1970-01-01 times 86,400,000,000,
a FarDate's day number too); a TIME is microseconds since midnight; ±infinity is ±(2**63 - 1), the
value DuckDB's infinite TIMESTAMP is (its infinite DATE casts to it).  ``interval_of(m)`` is DuckDB's
Interval::FromMicro: whole days and the microseconds left, no months.  ``counter(unit)`` counts in units
of ``unit`` microseconds (TIMESTAMP_S: 1,000,000), ``maker(kind, unit)`` turns a count back into a TIMESTAMP,
TIMESTAMPTZ or TIME (±infinity kept; past the TIMESTAMP range here an error)."""

from __future__ import annotations

import datetime

from .dates import Interval, _Infinite, epoch_micros, infinite
from .errors import Unrepresentable
from .fardates import days_of

DAY = 86_400_000_000
UNIT_MICROS = {1: 1_000_000, 4: 1_000}  # a TIMESTAMP type's precision (compiler/types.py) -> its unit: S, MS
INFINITE = (1 << 63) - 1
_EPOCH = datetime.datetime(1970, 1, 1)
_UTC = datetime.timezone.utc


def micros(v) -> int:
    """A DATE, TIMESTAMP, TIMESTAMPTZ or TIME as DuckDB's microsecond count."""
    if isinstance(v, _Infinite):
        return INFINITE * v.sign
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(_UTC).replace(tzinfo=None)
        return epoch_micros(v)
    if isinstance(v, datetime.time):
        return ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond
    return days_of(v) * DAY


def interval_of(m: int) -> Interval:
    """A non-negative count of microseconds as DuckDB's interval of it: days, then the rest."""
    days, rest = divmod(m, DAY)
    return Interval(0, days, rest)


def counter(unit: int):
    """v -> its count of ``unit`` microseconds (a value of that unit: exact)."""
    if unit == 1:
        return micros

    def count(v) -> int:
        m = micros(v)
        return m if abs(m) == INFINITE else m // unit
    return count


def maker(kind: str, unit: int):
    """A count of ``unit`` microseconds -> the TIMESTAMP (kind "timestamp"), TIMESTAMPTZ or TIME it is."""
    def make(n: int):
        if kind == "time":
            return (datetime.datetime.min + datetime.timedelta(microseconds=n * unit)).time()
        if abs(n) == INFINITE:
            return infinite(True, 1 if n > 0 else -1)
        try:
            t = _EPOCH + datetime.timedelta(microseconds=n * unit)
        except OverflowError:
            raise Unrepresentable("a median TIMESTAMP before year 1 or after 9999 is not supported") from None
        return t.replace(tzinfo=_UTC) if kind == "timestamptz" else t
    return make
