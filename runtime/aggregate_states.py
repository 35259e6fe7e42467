"""AGGREGATE_STATE values: an aggregate's state as a value (DuckDB's ``agg(x) EXPORT_STATE``).

A ``StateValue`` is the multiset of the values an aggregate was fed (after FILTER; NULLs dropped, which
every aggregate skips), with the aggregate it belongs to: ``make()`` builds that aggregate's runtime
function (runtime/aggregates.py protocol: new, update, result) and ``signature`` names it.  Laws:
- ``finalize(state(R)) = agg(R)``: the aggregate fed the multiset is the aggregate fed the rows, for
  every aggregate whose answer depends only on the multiset of its inputs (every maintained one: those
  that need an order carry their order key in each value).
- ``combine(state(R), state(S)) = state(R ⊎ S)`` (multiset union): associative, commutative, the empty
  state its unit, so ``finalize(combine(…))`` is the aggregate over all the rows, whatever the grouping.
- Exactly invertible: ``ExportState`` and ``CombineStates`` keep counts per value, so a deletion undoes
  an insertion (weights may go negative in between; a count of 0 is dropped).
Two states are equal when their signatures and multisets are; that is not DuckDB's equality of its
internal states, so the compiler lets no SQL operation compare, order or print one.
"""

from __future__ import annotations

from .zset import add_into, add_scaled_into


class StateValue:
    """An immutable, hashable multiset of fed values, for one aggregate."""

    __slots__ = ("signature", "make", "counts", "_hash")

    def __init__(self, signature: str, make, counts: dict):
        self.signature = signature
        self.make = make
        self.counts = counts  # value -> count (> 0); never changed after construction
        self._hash = None

    def __eq__(self, other):
        return (isinstance(other, StateValue) and self.signature == other.signature
                and self.counts == other.counts)

    def __hash__(self):
        if self._hash is None:
            self._hash = hash((self.signature, frozenset(self.counts.items())))
        return self._hash

    def __repr__(self):
        return f"AGGREGATE_STATE<{self.signature}>({self.counts!r})"

    def finalize(self):
        """The aggregate's result over the multiset."""
        f = self.make()
        st = f.new()
        for v, n in self.counts.items():
            f.update(st, v, n)
        return f.result(st)

    def combine(self, other: StateValue | None) -> StateValue:
        """The state of both multisets (a NULL state is the empty one)."""
        if other is None or not other.counts:
            return self
        counts = dict(self.counts)
        add_into(counts, other.counts)
        return StateValue(self.signature, self.make, counts)


class ExportState:
    """``agg(x) EXPORT_STATE``: the StateValue of the values fed (never NULL: the empty multiset over
    no rows, which finalizes to the aggregate over no rows)."""

    def __init__(self, signature: str, make):
        self.signature = signature
        self.make = make

    def new(self):
        return {}

    def update(self, st, v, w):
        if v is not None:
            c = st.get(v, 0) + w
            if c:
                st[v] = c
            else:
                del st[v]

    def result(self, st):
        return StateValue(self.signature, self.make, dict(st))


class CombineStates(ExportState):
    """``COMBINE_AGGR(state)``: the union of a group's states (NULL states skipped; the empty state
    over none): ExportState's multiset, fed whole states instead of values."""

    def update(self, st, v, w):
        if v is not None:
            add_scaled_into(st, v.counts, w)
