"""Lifted map ↑f and its fused form: linear operators, so Map^Δ = Map (no state)."""

from ..circuit import Operator
from ..zset import drop_zeros


class Map(Operator):
    """↑f for a row function f: applies f to every row, summing weights of rows mapped together."""

    linear = True

    def __init__(self, source: Operator, fn, name: str = ""):
        super().__init__(source)
        self.fn = fn
        self.name = name

    def eval(self, delta: dict) -> dict:
        fn = self.fn
        out: dict = {}
        get = out.get
        for row, w in delta.items():
            r = fn(row)
            out[r] = get(r, 0) + w
        return drop_zeros(out)

    def describe(self) -> str:
        return f"Map[{self.name}]" if self.name else "Map"


class Lifted(Operator):
    """A linear operator given as a compiled batch function Z-set -> Z-set.

    The compiler fuses a chain of filters and projections into one generated function; it must be
    the lifting of a row-wise function (so it is linear: f(a + b) = f(a) + f(b)).
    """

    linear = True

    def __init__(self, source: Operator, batch, name: str = ""):
        super().__init__(source)
        self.batch = batch
        self.name = name

    def eval(self, delta: dict) -> dict:
        return self.batch(delta)

    def describe(self) -> str:
        return f"Lifted[{self.name}]" if self.name else "Lifted"
