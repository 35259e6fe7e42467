"""Temporal filter: the rows for which ``value(row) < enter(now)`` (they *enter* once the clock has
passed a moment) and ``value(row) > leave(now)`` (they *leave* once it has passed another), for a
clock that only moves forward and thresholds non-decreasing in it (compiler/temporal.py).  Either
condition may be absent; each may be strict or not.

For a given clock the filter is linear; as the clock moves, the output changes by the rows that
entered minus the rows that left:

    Δout = σ_now'(I(in) + Δin) - σ_now(I(in))
         = [rows waiting whose value fell below enter(now')] - [rows present whose value fell to
           leave(now') or below] + σ_now'(Δin)

State: the rows waiting to enter, by the value that decides when (a heap), and, when rows can
leave, the rows present, by the value that decides when they leave.  A row that has left (or that
can no longer enter) is kept nowhere: the clock never comes back for it, and a change to it
changes nothing.  While the clock is unset (None) no row is present and every row waits.
A row whose deciding value is NULL is never present.
"""

from __future__ import annotations

import heapq

from ..circuit import Operator


class TemporalFilter(Operator):
    state = ("waiting", "present", "at")

    def __init__(self, source: Operator, clock: Operator, enter=None, leave=None, text: str = ""):
        super().__init__(source, clock)
        # each (value: row -> value, threshold: now -> value, strict: bool), or None
        self.enter = enter
        self.leave = leave
        self.text = text
        self.waiting: dict = {}  # row -> weight
        self.present: dict = {}  # row -> weight (only when rows can leave)
        self.at = None  # the clock's value at the last step
        self._wait_heap: list = []  # (enter value, n, row)
        self._leave_heap: list = []  # (leave value, n, row)
        self._n = 0

    # -- classifying ------------------------------------------------------------------------------
    def _thresholds(self, now):
        if now is None:
            return None, None
        lo = self.enter[1](now) if self.enter is not None else None
        hi = self.leave[1](now) if self.leave is not None else None
        return lo, hi

    def _entered(self, v, lo) -> bool:
        if self.enter is None:
            return True
        if lo is None:
            return False
        return v < lo if self.enter[2] else v <= lo

    def _stays(self, v, hi) -> bool:
        if self.leave is None:
            return True
        if hi is None:
            return True  # (only while the clock is unset, when every row waits)
        return v > hi if self.leave[2] else v >= hi

    # -- evaluation -------------------------------------------------------------------------------
    def eval(self, delta: dict, tick: dict) -> dict:
        now = self.inputs[1].now
        lo, hi = self._thresholds(now)
        out: dict = {}
        undo: list = []  # (dict, row, old weight or 0)
        popped: list = []  # (heap, item)
        if now != self.at:
            self._advance(now, lo, hi, out, undo, popped)
        enter, leave = self.enter, self.leave
        for row, w in delta.items():
            ve = enter[0](row) if enter is not None else None
            vl = leave[0](row) if leave is not None else None
            if (enter is not None and ve is None) or (leave is not None and vl is None):
                continue  # NULL: never present
            if now is None:
                self._add(self.waiting, row, w, undo, self._wait_heap, ve)
            elif not self._stays(vl, hi):
                continue  # gone for good
            elif self._entered(ve, lo):
                out[row] = out.get(row, 0) + w
                if leave is not None:
                    self._add(self.present, row, w, undo, self._leave_heap, vl)
            else:
                self._add(self.waiting, row, w, undo, self._wait_heap, ve)
        self.journal.record(self._undo, (undo, popped, self.at))
        self.at = now
        return {r: w for r, w in out.items() if w}

    def _advance(self, now, lo, hi, out, undo, popped) -> None:
        if now is None:
            return
        waiting, heap = self.waiting, self._wait_heap
        enter, leave = self.enter, self.leave
        # rows that enter: all of them when there is no enter condition (the clock was unset)
        due = []
        if enter is None:
            due = [(None, 0, row) for row in waiting]
        else:
            try:
                while heap and self._entered(heap[0][0], lo):
                    item = heapq.heappop(heap)
                    popped.append((heap, item))
                    due.append(item)
            except TypeError:
                pass
        for _, _, row in due:
            w = waiting.get(row)
            if w is None:
                continue
            self._set(waiting, row, 0, undo)
            vl = leave[0](row) if leave is not None else None
            if self._stays(vl, hi):
                out[row] = out.get(row, 0) + w
                if leave is not None:
                    self._add(self.present, row, w, undo, self._leave_heap, vl)
        if leave is None:
            return
        present, heap = self.present, self._leave_heap
        try:
            while heap and not self._stays(heap[0][0], hi):
                item = heapq.heappop(heap)
                popped.append((heap, item))
                row = item[2]
                w = present.get(row)
                if w is not None:
                    self._set(present, row, 0, undo)
                    out[row] = out.get(row, 0) - w
        except TypeError:
            pass

    def _add(self, where: dict, row, w: int, undo: list, heap: list, v) -> None:
        old = where.get(row, 0)
        self._set(where, row, old + w, undo)
        if not old and v is not None:
            self._n += 1
            heapq.heappush(heap, (v, self._n, row))

    @staticmethod
    def _set(where: dict, row, w: int, undo: list) -> None:
        undo.append((where, row, where.get(row, 0)))
        if w:
            where[row] = w
        else:
            where.pop(row, None)

    def _undo(self, saved) -> None:
        undo, popped, at = saved
        for where, row, w in reversed(undo):
            if w:
                where[row] = w
            else:
                where.pop(row, None)
        for heap, item in popped:
            heapq.heappush(heap, item)
        self.at = at

    def after_import(self) -> None:
        """Make the heaps again from the rows kept (runtime/state.py)."""
        self._wait_heap, self._leave_heap, self._n = [], [], 0
        for where, heap, cond in ((self.waiting, self._wait_heap, self.enter), (self.present, self._leave_heap,
                                                                                 self.leave)):
            if cond is None:
                continue
            for row in where:
                self._n += 1
                heap.append((cond[0](row), self._n, row))
            heapq.heapify(heap)

    def describe(self) -> str:
        return f"TemporalFilter[{self.text}]" if self.text else "TemporalFilter"
