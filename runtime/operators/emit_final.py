"""Emit on close: a view's rows are delivered once, when they are final (Feldera's ``emit_final``).

A row whose column ``c`` is below the bound of that column (compiler/waterlines.py: no later change
of the view has ``c`` below it) can never be retracted or changed again.  The operator holds the
view's changes until then: it adds each step's changes to what it holds, and passes on, with their
total weight, the rows whose ``c`` has fallen below the bound.  So the output only ever inserts
(append-only), each final row once; a row inserted and retracted while held is never seen.  A row
whose ``c`` is NULL is never final.

    out(t) = held(t-1) + Δin(t) restricted to rows with c < bound(t)

State: the rows held (a heap by ``c`` orders them; it is rebuilt after a state import).
"""

from __future__ import annotations

import heapq

from ..circuit import Operator


class EmitFinal(Operator):
    state = ("held",)

    def __init__(self, source: Operator, column: int, bound, text: str = ""):
        super().__init__(source)
        self.column = column
        self.bound = bound  # () -> the bound of the column, or None
        self.text = text
        self.held: dict = {}  # row -> weight
        self._heap: list = []  # (value, n, row)
        self._n = 0
        self.idle_noop = False  # rows become final as the watermarks move, input or not

    def eval(self, delta: dict) -> dict:
        held, c = self.held, self.column
        undo = []
        for row, w in delta.items():
            old = held.get(row, 0)
            undo.append((row, old))
            n = old + w
            if n:
                held[row] = n
                if not old and row[c] is not None:
                    self._n += 1
                    heapq.heappush(self._heap, (row[c], self._n, row))
            else:
                held.pop(row, None)
        out: dict = {}
        popped = []
        b = self.bound()
        heap = self._heap
        if b is not None:
            try:
                while heap and heap[0][0] < b:
                    item = heapq.heappop(heap)
                    popped.append(item)
                    row = item[2]
                    w = held.pop(row, 0)
                    if w:
                        undo.append((row, w))
                        out[row] = w
            except TypeError:
                pass
        if undo or popped:
            self.journal.record(self._undo, (undo, popped))
        return out

    def _undo(self, saved) -> None:
        undo, popped = saved
        for row, w in reversed(undo):
            if w:
                self.held[row] = w
            else:
                self.held.pop(row, None)
        for item in popped:
            heapq.heappush(self._heap, item)

    def after_import(self) -> None:
        c = self.column
        self._heap = [(row[c], n, row) for n, row in enumerate(self.held) if row[c] is not None]
        heapq.heapify(self._heap)
        self._n = len(self._heap)

    def describe(self) -> str:
        return f"EmitFinal[{self.text}]" if self.text else "EmitFinal"
