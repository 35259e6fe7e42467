"""A hash of SQL values that every process computes alike: which worker owns a key.

Python's ``hash`` is salted per process for strings, bytes and dates (PYTHONHASHSEED), and is the
object's address for None (before 3.12) and for NaN, so two workers (processes, Ray actors) would
route one key to different owners.  ``value_hash`` is deterministic everywhere.

Law: ``a == b`` implies ``value_hash(a) == value_hash(b)`` for the values one column (or one join
key, after the compiler's common type) holds, because rows meet in dicts by ``==``:
- numbers keep Python's numeric hash, which is not salted and is equal for equal int, float,
  Decimal and bool (1 == 1.0 == Decimal('1.00') == True), and for 0.0 and -0.0;
- every NaN hashes alike (one NaN object stands for all of them in rows);
- strings by CRC-32 of their UTF-8 bytes (BLOBs of their bytes, UUIDs by their number); dates, times and
  timestamps by their fields (a date before year 1 or after 9999, sqllib's FarDate, by its day number) (an aware
  timestamp by its UTC instant, as it compares); intervals as timedeltas compare (days, seconds,
  microseconds); tuples (LIST values too) by their elements.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from uuid import UUID
from zlib import crc32

NONE_HASH = 0x5BD1E995
NAN_HASH = 0x7FF80000


def value_hash(v) -> int:
    t = type(v)
    if t is int or t is bool:
        return hash(v)
    if t is str:
        return crc32(v.encode("utf-8", "surrogatepass"))
    if v is None:
        return NONE_HASH
    if t is float:
        return hash(v) if v == v else NAN_HASH
    if t is tuple:
        return hash(tuple(value_hash(x) for x in v))
    if t is Decimal:
        return NAN_HASH if v.is_nan() else hash(v)
    if isinstance(v, datetime.datetime):  # read through the base class: a subclass (the infinite
        dt = datetime.datetime            # timestamps) may refuse its fields but compares as its value
        offset = dt.utcoffset(v)
        if offset is not None:
            v = dt.__sub__(v, offset)
        return hash((datetime.date.toordinal(v), dt.hour.__get__(v), dt.minute.__get__(v),
                     dt.second.__get__(v), dt.microsecond.__get__(v)))
    if isinstance(v, datetime.date):
        return datetime.date.toordinal(v)
    if type(v).__name__ == "FarDate":  # (sqllib/fardates.py; the runtime imports nothing of sqllib) by its day
        return hash(v.days)
    if isinstance(v, datetime.timedelta):  # INTERVAL too: it compares as its timedelta
        return hash((v.days, v.seconds, v.microseconds))
    if isinstance(v, datetime.time):
        return hash((v.hour, v.minute, v.second, v.microsecond))
    if t is bytes or t is bytearray:
        return crc32(v)
    if t is UUID:  # (its own hash is its number's, but keep it explicit)
        return hash(v.int)
    if isinstance(v, int):  # subclasses compare as their numbers
        return hash(int(v))
    if isinstance(v, float):
        return value_hash(float(v))
    if isinstance(v, tuple):  # a LIST value (sqllib's SqlList, a tuple) hashes as its elements
        return hash(tuple(value_hash(x) for x in v))
    raise TypeError(f"no stable hash for a value of type {t.__name__}")


def owner(key, workers: int) -> int:
    """The worker (0 … workers - 1) that owns ``key``."""
    return value_hash(key) % workers
