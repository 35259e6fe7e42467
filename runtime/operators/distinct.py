"""Incremental distinct: emits +1 for a row whose integrated weight goes from ≤ 0 to > 0 and -1 for
one going from > 0 to ≤ 0, nothing otherwise.  distinct^Δ = D ∘ distinct ∘ I, computed in O(|Δ|)
from the integrated input (state: row -> weight, only rows with non-zero weight).
"""

from ..circuit import Operator


class Distinct(Operator):
    state = ("weights",)

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
        return out

    def _undo(self, delta: dict) -> None:
        weights = self.weights
        for row, w in delta.items():
            n = weights.get(row, 0) - w
            if n:
                weights[row] = n
            else:
                weights.pop(row, None)

    def describe(self) -> str:
        return f"Distinct[{self.name}]" if self.name else "Distinct"
