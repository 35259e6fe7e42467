"""time_bucket: the start of the fixed-width time window a DATE or TIMESTAMP falls in, as DuckDB
computes it (and so the window start of TUMBLE and HOP).

A width is either whole months or days-and-microseconds, never both.  Buckets are laid from an
origin: 2000-01-01 for month widths (of an origin, only its month counts) and 2000-01-03 (a Monday) for the others unless one is given;
an offset form shifts the default origin.  bucket(ts) = origin + floor((ts - origin) / width) *
width, so every bucket is [start, start + width) and ts lies in exactly one.  With an offset,
bucket(ts - offset) + offset, both in calendar arithmetic when the offset has months (DuckDB's answer on
every width, date and offset tried, month ends included); a DATE outside Python's years with such an
offset is still an error.
"""

from __future__ import annotations

import datetime

from .dates import _Infinite, add_interval, epoch_micros, infinite
from .errors import DataError
from .fardates import FarDate, civil_from_days, days_from_civil, days_of, from_days, timestamp_of

_MONTH_ORIGIN = datetime.datetime(2000, 1, 1)
_ORIGIN = datetime.datetime(2000, 1, 3)
_MICROS_PER_DAY = 86_400_000_000


def time_bucket(width, value, origin=None, offset=None, as_date: bool = False, third: bool = False):
    """The bucket start of ``value`` for an Interval ``width``; ``origin`` a TIMESTAMP/DATE or None,
    ``offset`` an Interval or None.  NULL in, NULL out: with ``third`` (an origin or offset was
    given) a None one is a NULL argument."""
    if width is None or value is None or (third and origin is None and offset is None):
        return None
    months, days, micros = width.months, width.day_part, width.micro_part
    if months and (days or micros):
        raise DataError("time_bucket: a month width cannot have a day or time part")
    if months < 0 or days * _MICROS_PER_DAY + micros <= 0 and not months:
        raise DataError("time_bucket: the bucket width must be positive")
    if isinstance(value, _Infinite):  # DuckDB: the bucket of an infinite value is that value
        return infinite(not as_date, value.sign)
    if isinstance(origin, _Infinite):  # (and of an infinite origin NULL)
        return None
    if type(value) is FarDate or type(origin) is FarDate:
        return _far_bucket(months, days * _MICROS_PER_DAY + micros, value, origin, offset)
    ts = timestamp_of(value)
    if origin is not None:
        origin = timestamp_of(origin)
    shift = None
    if offset is not None and offset.months:  # ts - offset and bucket + offset in calendar months (DuckDB)
        ts = add_interval(ts, -offset, True)
    elif offset is not None:
        shift = datetime.timedelta(days=offset.day_part, microseconds=offset.micro_part)
        ts = ts - shift
    if months:
        base = origin if origin is not None else _MONTH_ORIGIN  # only its month counts, as in DuckDB
        n = ((ts.year - base.year) * 12 + ts.month - base.month) // months * months
        y, m = divmod(base.month - 1 + n, 12)
        out = datetime.datetime(base.year + y, m + 1, 1)
    else:
        base = origin if origin is not None else _ORIGIN
        step = days * _MICROS_PER_DAY + micros
        d = ts - base
        elapsed = (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds
        out = base + datetime.timedelta(microseconds=elapsed // step * step)
    if shift is not None:
        out = out + shift
    elif offset is not None:
        out = add_interval(out, offset, True)
    return out.date() if as_date else out


# DuckDB's TIMESTAMP range in microseconds since 1970: 290309-12-22 (BC) to 294247-01-10 04:00:54.775806
_TS_MIN, _TS_MAX = -9_223_372_022_400_000_000, 9_223_372_036_854_775_806


def _far_bucket(months: int, step: int, value, origin, offset):
    """time_bucket of a DATE when it or its origin is a FarDate (sqllib/fardates.py): the same arithmetic
    in integer microseconds.  As DuckDB: a month width without an offset counts the dates' months; any
    other bucket is laid on TIMESTAMPs, so the value and the bucket start must lie in a TIMESTAMP's range."""
    def micros(v):
        if isinstance(v, datetime.datetime):
            return epoch_micros(v)
        return days_of(v) * _MICROS_PER_DAY

    def in_range(us):
        if not _TS_MIN <= us <= _TS_MAX:
            raise DataError(f"time_bucket: {value} is out of the TIMESTAMP range")
        return us

    if offset is not None and offset.months:
        raise DataError("time_bucket: an offset with months is not supported")
    shift = 0 if offset is None else offset.day_part * _MICROS_PER_DAY + offset.micro_part
    ts = micros(value)
    if months and offset is None:
        ts_days = ts // _MICROS_PER_DAY
    else:
        ts_days = None
        ts = in_range(ts) - shift
    if months:
        y, m, _ = civil_from_days(ts_days if ts_days is not None else ts // _MICROS_PER_DAY)
        by, bm, _ = civil_from_days(micros(origin) // _MICROS_PER_DAY) if origin is not None else (2000, 1, 1)
        n = ((y - by) * 12 + m - bm) // months * months
        oy, om = divmod(bm - 1 + n, 12)
        out = days_from_civil(by + oy, om + 1, 1) * _MICROS_PER_DAY
    else:
        base = micros(origin) if origin is not None else micros(_ORIGIN)
        rest = abs(base) % step * (1 if base >= 0 else -1)  # DuckDB subtracts origin % width (C's %) from ts
        if not -(1 << 63) <= ts - rest < (1 << 63):  # in 64 bits
            raise DataError(f"time_bucket: {value} is out of the TIMESTAMP range (overflow)")
        out = base + (ts - base) // step * step
    if ts_days is None:
        out = in_range(out + shift)
    return from_days(out // _MICROS_PER_DAY)


def bucketer(width, origin=None, offset=None, as_date: bool = False):
    """time_bucket with a constant width (and origin or offset) as a function of the value alone,
    the arithmetic prepared once: a width without months on TIMESTAMP values is one integer floor
    division.  Equal to ``time_bucket(width, value, origin, offset, as_date)`` for every value."""
    if (as_date or width is None or width.months or width.day_part * _MICROS_PER_DAY + width.micro_part <= 0
            or (offset is not None and offset.months)
            or (origin is not None and not isinstance(origin, datetime.datetime))):
        return lambda value: time_bucket(width, value, origin, offset, as_date)
    step = width.day_part * _MICROS_PER_DAY + width.micro_part
    base = origin if origin is not None else _ORIGIN
    if offset is not None:
        base = base + datetime.timedelta(days=offset.day_part, microseconds=offset.micro_part)
    delta = datetime.timedelta

    def bucket(value):
        if value is None:
            return None
        if not isinstance(value, datetime.datetime):
            return time_bucket(width, value, origin, offset, as_date)
        d = value - base
        return base + delta(microseconds=((d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds) // step * step)
    return bucket
