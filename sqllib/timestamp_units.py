"""TIMESTAMP_S, TIMESTAMP_MS and TIMESTAMP_NS values: DuckDB's timestamps counted in seconds,
milliseconds and nanoseconds, held here as the TIMESTAMP's ``datetime`` (microseconds).

Laws (DuckDB's casts, checked against it in tests/test_diff_timestamp_units.py):
- a cast into TIMESTAMP_S / TIMESTAMP_MS rounds the microsecond count since 1970-01-01 to the unit,
  halves away from zero (2021-08-20 00:00:00.5 -> 00:00:01, but 1921-08-20 00:00:00.5, a negative
  count, -> 00:00:00); text is read as a TIMESTAMP first (its digits past microseconds cut, which
  rounds the same: every boundary between two units lies on the microsecond grid);
- a TIMESTAMP_NS holds any microsecond value from 1677-09-21 00:12:43.145225 to 2262-04-11
  23:47:16.854775 (DuckDB's 64-bit nanosecond range); past it the cast is an error as in DuckDB.  Text
  with nanoseconds that are not whole microseconds is refused (``Unrepresentable``, an error even under
  TRY_CAST): a ``datetime`` cannot hold them;
- ±infinity stays infinite; a value of one unit read as another is converted the same way.
"""

from __future__ import annotations

import datetime
import re

from .dates import _Infinite, epoch_micros
from .errors import DataError, Unrepresentable
from .timestamps import cast_timestamp

UNIT_MICROS = {0: 1_000_000, 3: 1_000}  # TIMESTAMP_S and TIMESTAMP_MS: microseconds per unit
NS = 9
_EPOCH = datetime.datetime(1970, 1, 1)
_NS_MIN = -(2 ** 63 // 1000)  # microseconds since the epoch a TIMESTAMP_NS holds (whole ones)
_NS_MAX = (2 ** 63 - 1) // 1000
_SUB_MICRO = re.compile(r"\.\d{6}(\d+)")


def cast_timestamp_unit(v, digits: int):
    """A value cast to the TIMESTAMP counting units of 10**-digits seconds (0, 3 or 9)."""
    if v is None:
        return None
    if digits == NS and isinstance(v, str):
        m = _SUB_MICRO.search(v)
        if m and m.group(1).strip("0"):
            raise Unrepresentable(f"'{v}' as a TIMESTAMP_NS: nanoseconds that are not whole microseconds are not "
                                  f"supported")
    t = cast_timestamp(v)
    if isinstance(t, _Infinite):
        return t
    m = epoch_micros(t)
    if digits == NS:
        if not _NS_MIN <= m <= _NS_MAX:
            raise DataError(f"could not convert {t} to TIMESTAMP_NS: out of its range (1677-09-21 .. 2262-04-11)")
        return t
    unit = UNIT_MICROS[digits]
    q, r = divmod(abs(m), unit)
    if 2 * r >= unit:  # halves away from zero
        q += 1
    rounded = q * unit if m >= 0 else -q * unit
    return t if rounded == m else _EPOCH + datetime.timedelta(microseconds=rounded)
