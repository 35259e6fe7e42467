"""MEDIAN of a DATE, TIMESTAMP (and its _S / _MS / _NS units), TIMESTAMPTZ or TIME, as DuckDB computes it.

DuckDB takes each value as its 64-bit count (microseconds; seconds or milliseconds for TIMESTAMP_S /
_MS: the interpolation is in the type's own unit), and between the two middle counts lo <= hi gives
lo + llround((hi - lo) * 0.5), the difference a double: a half rounds up (toward hi), also below the epoch.
A DATE's median is a TIMESTAMP (its midnight's count).  ``_median`` is that rule, which MAD uses twice
(runtime/temporal_mad.py).  The state is MEDIAN's sorted multiset of the counts, so deletion is exact;
the result reads two ranks.  Conversions come from the caller (sqllib/temporal_micros.py): runtime
imports nothing above it.
"""

from __future__ import annotations

from collections.abc import Callable

from .statistics import Median


def _middle(lo: int, hi: int) -> int:
    """DuckDB's interpolation at d = 0.5: lo + llround((hi - lo) * 0.5), the difference a double."""
    half = float(hi - lo) * 0.5
    whole = int(half)
    return lo + whole + (1 if half - whole >= 0.5 else 0)


def _median(values: list) -> int:
    """The median of sorted counts, DuckDB's way."""
    n = len(values)
    lo, hi = values[(n - 1) // 2], values[n // 2]
    return lo if lo == hi else _middle(lo, hi)


class TemporalMedian(Median):
    """MEDIAN(x) of a temporal x: ``count`` reads a value as its count, ``value`` makes the result."""

    def __init__(self, count: Callable, value: Callable):
        super().__init__()
        self.count = count
        self.value = value

    def update(self, st, v, w):
        super().update(st, None if v is None else self.count(v), w)

    def result(self, st):
        bag = st[0]
        n = len(bag)
        if not n:
            return None
        lo, hi = bag.at((n - 1) // 2)[1], bag.at(n // 2)[1]
        return self.value(lo if lo == hi else _middle(lo, hi))
