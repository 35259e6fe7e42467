"""HISTOGRAM(x): the multiset of a group's non-NULL values as a map from value to count, keys in
ascending order (NaN above every number), as DuckDB answers it; NULL for a group without a value.

Law: the state is the multiset {value: count} (exactly invertible: a deletion decrements), so the
result depends on the group's current values only, never on the order rows arrived in.
"""

from __future__ import annotations

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
