"""Expiry: the forward-only "drop the entries below a bound" hook of stateful operators.

An operator keeping state keyed by values that later changes can only bring at or above a bound
(a window's start under a watermark, a join key that is a time) is given an Expiry by the
compiler: ``bound()`` returns that bound, which only moves forward (None while there is none yet),
and ``value(entry)`` the value of one of the operator's state entries.  The operator notes the
entries it creates and, at the end of its step, drops the entries ``due()`` returns: their value is
below the bound, so no later change can reach them, and dropping them changes no output.  (The
bound must hold for every change from the *next* step on: an operator drops entries only after it
has applied this step's changes, and a join only after it has joined them.)

Entries wait in a heap ordered by value; one removed meanwhile is found gone and skipped, one noted
twice is dropped once.  ``due`` pops; the operator journals what it dropped and, on rollback, puts
the popped heap items back with ``restore``.  The heap is derived from the operator's state, which
alone is saved: ``rebuild`` makes it again after the state is imported.
"""

from __future__ import annotations

import heapq


class Expiry:
    __slots__ = ("bound", "value", "heap", "n", "text", "keyed")

    def __init__(self, bound, value, text: str = "", keyed: bool = False):
        self.bound = bound  # () -> the bound, or None
        self.value = value  # entry -> its value, or None (never due)
        self.text = text  # what it drops, for circuit printouts
        self.keyed = keyed  # (for joins) entries are whole keys rather than rows
        self.heap: list = []  # (value, n, entry)
        self.n = 0

    def note(self, entry) -> None:
        v = self.value(entry)
        if v is not None and v == v:  # NULL and NaN are never below a bound
            self.n += 1
            heapq.heappush(self.heap, (v, self.n, entry))

    def due(self) -> list:
        """The heap items (value, n, entry) whose value is now below the bound, popped."""
        heap = self.heap
        if not heap:
            return []
        b = self.bound()
        if b is None:
            return []
        out = []
        pop = heapq.heappop
        try:
            while heap and heap[0][0] < b:
                out.append(pop(heap))
        except TypeError:  # a value of another type than the bound: nothing more to drop
            pass
        return out

    def restore(self, popped) -> None:
        for item in popped:
            heapq.heappush(self.heap, item)

    def rebuild(self, entries) -> None:
        self.heap, self.n = [], 0
        for e in entries:
            self.note(e)

    def __len__(self) -> int:
        return len(self.heap)


class AnyExpiry:
    """Several expiries over the same entries: an entry is due as soon as one of them finds it due
    (a partition keyed by two columns that each only change at or above a bound is closed once
    either is below its bound).  The interface of ``Expiry``; the items ``due`` returns carry the
    index of the heap they came from in their middle element, so ``restore`` puts each back."""

    __slots__ = ("parts", "text", "keyed")

    def __init__(self, parts: list):
        self.parts = parts
        self.text = " or ".join(p.text for p in parts)
        self.keyed = parts[0].keyed

    def note(self, entry) -> None:
        for p in self.parts:
            p.note(entry)

    def due(self) -> list:
        return [(v, (i, n), e) for i, p in enumerate(self.parts) for v, n, e in p.due()]

    def restore(self, popped) -> None:
        for v, (i, n), e in popped:
            heapq.heappush(self.parts[i].heap, (v, n, e))

    def rebuild(self, entries) -> None:
        entries = list(entries)
        for p in self.parts:
            p.rebuild(entries)

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts)
