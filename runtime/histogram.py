"""HISTOGRAM(x): the multiset of a group's non-NULL values as a map from value to count, keys in
ascending order (NaN above every number), as DuckDB answers it; NULL for a group without a value.
HISTOGRAM(x, bins) and HISTOGRAM_EXACT(x, bins): the same multiset counted into given bins.

Law: the state is the multiset {value: count} (exactly invertible: a deletion decrements), so the
result depends on the group's current values only, never on the order rows arrived in.
"""

from __future__ import annotations

from bisect import bisect_left

from .aggregates import _Multiset, order_key


class Histogram(_Multiset):
    """``make`` builds the map value from (key, count) pairs (the SQL library's map type)."""

    def __init__(self, make):
        self.make = make

    def result(self, st):
        counts = st[0]
        if not counts:
            return None
        return self.make((v, counts[v]) for v in sorted(counts, key=order_key))


class BinnedHistogram(_Multiset):
    """HISTOGRAM(x, bins): each value counted in the first bin (an upper boundary, ``bins`` sorted and
    distinct) at or above it; HISTOGRAM_EXACT(x, bins): in the bin equal to it.  A value no bin takes
    goes to the ``other`` bin (the type's largest value, DuckDB's), listed last and only when it holds
    one; every bin is listed, counts of 0 too.  NULL for a group without a value.

    Law: the state is the multiset {value: count}, so the result depends on the group's current values
    only (a deletion decrements)."""

    def __init__(self, make, bins: tuple, other, exact: bool):
        self.make = make
        self.bins = bins
        self.keys = [order_key(b) for b in bins]
        self.other = other
        self.exact = exact

    def result(self, st):
        counts = st[0]
        if not counts:
            return None
        binned = [0] * len(self.bins)
        other = 0
        for v, n in counts.items():
            i = bisect_left(self.keys, order_key(v))
            if i < len(self.bins) and (not self.exact or self.keys[i] == order_key(v)):
                binned[i] += n
            else:
                other += n
        pairs = list(zip(self.bins, binned))
        if other:
            pairs.append((self.other, other))
        return self.make(pairs)
