"""Lifted flat_map: each row becomes zero or more rows (each with the input weight).  Linear."""

from ..circuit import Operator
from ..zset import drop_zeros


class FlatMap(Operator):
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
            for r in fn(row):
                out[r] = get(r, 0) + w
        return drop_zeros(out)

    def describe(self) -> str:
        return f"FlatMap[{self.name}]" if self.name else "FlatMap"
