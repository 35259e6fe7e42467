"""I (integrate): the running sum, I(s)[t] = Σ_{t' ≤ t} s[t'].  Linear; I = (1 - z⁻¹)⁻¹; D ∘ I = id."""

from ..circuit import Operator
from ..zset import add_into, negate


class Integrate(Operator):
    linear = True
    idle_noop = False  # outputs the (unchanged) sum even when the input is empty
    state = ("total",)

    def __init__(self, source: Operator):
        super().__init__(source)
        self.total: dict = {}

    def eval(self, delta: dict) -> dict:
        if delta:
            add_into(self.total, delta)
            self.journal.record(self._undo, delta)
        return dict(self.total)

    def _undo(self, delta: dict) -> None:
        add_into(self.total, negate(delta))
