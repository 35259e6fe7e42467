"""MAD of a DATE, TIMESTAMP, TIMESTAMPTZ or TIME: an INTERVAL, as DuckDB computes it.

DuckDB takes each value as its 64-bit microsecond count (a DATE as its midnight's TIMESTAMP), the
median m of those (runtime/temporal_median.py's rule: between two middle values lo <= hi,
lo + llround((hi - lo) * 0.5) in doubles, so halves round up), then the median of the deviations |x - m| the same way, and gives that count of
microseconds as an INTERVAL of days and microseconds.  The counts are exact integers here; (hi - lo)
is rounded to a double before halving, as DuckDB's arithmetic does (exact below 2**53 microseconds,
about 285 years).  The state is MEDIAN's sorted multiset of the counts, so deletion is exact; the
result reads the touched group's values (O(n log n): the deviations' order changes with the median).
Conversions come from the caller (sqllib/temporal_micros.py): runtime imports nothing above it.
"""

from __future__ import annotations

from collections.abc import Callable

from .statistics import Median, OutOfRangeError
from .temporal_median import _median

_INT64 = 1 << 63


class TemporalMad(Median):
    """MAD(x) of a temporal x (see the module docstring): MEDIAN's sorted multiset of the counts, which
    ``micros`` reads from the values; ``interval`` makes the result from a count."""

    def __init__(self, micros: Callable, interval: Callable):
        super().__init__()
        self.micros = micros
        self.interval = interval

    def update(self, st, v, w):
        super().update(st, None if v is None else self.micros(v), w)

    def result(self, st):
        bag = st[0]
        if not len(bag):
            return None
        values = [m for _, m in bag]
        med = _median(values)
        devs = sorted(abs(x - med) for x in values)
        if devs[-1] >= _INT64:  # DuckDB's x - median overflows its 64 bits
            raise OutOfRangeError("MAD: a deviation from the median past 64-bit microseconds")
        return self.interval(_median(devs))
