"""Incremental distinct: emits +1 for a row whose integrated weight goes from ≤ 0 to > 0 and -1 for
one going from > 0 to ≤ 0, nothing otherwise.  distinct^Δ = D ∘ distinct ∘ I, computed in O(|Δ|)
from the integrated input (state: row -> weight, only rows with non-zero weight).  With an
``expiry`` over rows (a column only changing at or above a watermark-driven bound), rows below the
bound are dropped after the step: no later change can reach them (DISTINCT per closed window).
"""

from ..circuit import Operator


class Distinct(Operator):
    state = ("weights",)
    expiry = None  # an Expiry over rows, or None

    def __init__(self, source: Operator, name: str = ""):
        super().__init__(source)
        self.name = name
        self.weights: dict = {}

    def eval(self, delta: dict) -> dict:
        weights = self.weights
        get = weights.get
        out = {}
        for row, w in delta.items():
            old = get(row, 0)
            new = old + w
            if new:
                weights[row] = new
            else:
                del weights[row]
            if (old > 0) != (new > 0):
                out[row] = 1 if new > 0 else -1
        if delta:
            self.journal.record(self._undo, delta)
            if self.expiry is not None:
                self._expire(delta)
        return out

    def _expire(self, delta: dict) -> None:
        expiry, weights = self.expiry, self.weights
        for row, w in delta.items():
            if w > 0:
                expiry.note(row)
        popped = expiry.due()
        if popped:
            dropped = [(row, weights.pop(row)) for _, _, row in popped if row in weights]
            self.journal.record(self._unexpire, (popped, dropped))

    def _unexpire(self, saved) -> None:
        popped, dropped = saved
        self.expiry.restore(popped)
        self.weights.update(dropped)

    def after_import(self) -> None:
        if self.expiry is not None:
            self.expiry.rebuild(self.weights)

    def _undo(self, delta: dict) -> None:
        weights = self.weights
        for row, w in delta.items():
            n = weights.get(row, 0) - w
            if n:
                weights[row] = n
            else:
                weights.pop(row, None)

    def describe(self) -> str:
        drops = f"drops {self.expiry.text}" if self.expiry is not None else ""
        inside = ", ".join(x for x in (self.name, drops) if x)
        return f"Distinct[{inside}]" if inside else "Distinct"
