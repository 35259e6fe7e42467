"""D (differentiate): D(s)[t] = s[t] - s[t-1].  Linear; I ∘ D = id."""

from ..circuit import Operator
from ..zset import add_scaled_into


class Differentiate(Operator):
    linear = True
    idle_noop = False  # an empty value after a non-empty one is a change
    state = ("previous",)

    def __init__(self, source: Operator):
        super().__init__(source)
        self.previous: dict = {}

    def eval(self, value: dict) -> dict:
        out = add_scaled_into(dict(value), self.previous, -1)
        self.journal.record(self._restore, self.previous)
        self.previous = dict(value)
        return out

    def _restore(self, previous: dict) -> None:
        self.previous = previous
