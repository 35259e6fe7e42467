"""Temporal values as DuckDB's 64-bit microsecond counts, and back to an INTERVAL: what MAD of a DATE,
TIMESTAMP, TIMESTAMPTZ or TIME computes over (runtime/temporal_mad.py).

Laws (DuckDB's physical values): a TIMESTAMP is microseconds since 1970-01-01 00:00:00 (a TIMESTAMPTZ:
of its UTC instant); a DATE is its midnight's TIMESTAMP (days since 1970-01-01 times 86,400,000,000,
a FarDate's day number too); a TIME is microseconds since midnight; ±infinity is ±(2**63 - 1), the
value DuckDB's infinite TIMESTAMP is (its infinite DATE casts to it).  ``interval_of(m)`` is DuckDB's
Interval::FromMicro: whole days and the microseconds left, no months."""

from __future__ import annotations

import datetime

from .dates import Interval, _Infinite
from .fardates import days_of

DAY = 86_400_000_000
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
        delta = v - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if isinstance(v, datetime.time):
        return ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond
    return days_of(v) * DAY


def interval_of(m: int) -> Interval:
    """A non-negative count of microseconds as DuckDB's interval of it: days, then the rest."""
    days, rest = divmod(m, DAY)
    return Interval(0, days, rest)
